package api

import (
	"fmt"
	"net/http"

	"github.com/labstack/echo/v4"

	"github.com/haixi-hrss/fundledger/domain/calendar"
	"github.com/haixi-hrss/fundledger/domain/claim"
	"github.com/haixi-hrss/fundledger/ledger/schema"
)

// EvidenceRequest records a document received for a claim. The file stays
// in the bureau's archive; the ledger keeps its SHA-256.
type EvidenceRequest struct {
	Kind       claim.EvidenceKind `json:"kind"`
	DocumentNo string             `json:"documentNo"`
	Digest     string             `json:"digest"`
	ReceivedOn calendar.Date      `json:"receivedOn"`
	Note       string             `json:"note"`
}

// recordEvidence appends ClaimEvidenceRecorded to the claim's own stream:
// evidence moves no money, so no ledger process is involved.
func (s *server) recordEvidence(c echo.Context) error {
	return runOne(s, c, oneCommand[EvidenceRequest, claim.State, claim.Command]{
		name: "RecordEvidence", existing: schema.Claim, param: "claimId", what: "claim",
		effective: func(in EvidenceRequest) calendar.Date { return in.ReceivedOn },
		command: func(r *request, in EvidenceRequest) claim.Command {
			return claim.RecordEvidence{Kind: in.Kind, DocumentNo: in.DocumentNo, Digest: in.Digest, ReceivedOn: in.ReceivedOn,
				Note: in.Note, Actor: r.p.Name, Role: r.p.Role, At: r.at}
		},
		decide: claim.Decide,
	})
}

// listEvidence lists the documents recorded on a claim in the order they
// were recorded, read from the claim's stream. Evidence is only ever
// appended, so an item's index is a stable cursor.
func (s *server) listEvidence(c echo.Context) error {
	q, err := parsePage(c)
	if err != nil {
		return err
	}
	id := c.Param("claimId")
	st, err := mustExist(c.Request().Context(), s, schema.Claim(id), "claimId", "claim", id)
	if err != nil {
		return err
	}
	type indexed struct {
		key string
		e   claim.Evidence
	}
	items := make([]indexed, len(st.Evidence))
	for i, e := range st.Evidence {
		items[i] = indexed{fmt.Sprintf("%08d", i), e}
	}
	p := paginate(items, func(x indexed) string { return x.key }, q)
	out := Page[claim.Evidence]{Items: make([]claim.Evidence, len(p.Items)), NextCursor: p.NextCursor}
	for i, x := range p.Items {
		out.Items[i] = x.e
	}
	return writeJSON(c, http.StatusOK, out)
}
