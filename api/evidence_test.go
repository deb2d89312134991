package api_test

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"github.com/haixi-hrss/fundledger/api"
	"github.com/haixi-hrss/fundledger/domain/claim"
	"github.com/haixi-hrss/fundledger/projections"
)

func evidenceBody(kind, digest string) map[string]any {
	return map[string]any{"kind": kind, "documentNo": "HT-2025-" + digest[:4], "digest": digest, "receivedOn": "2025-03-20",
		"note": "original seen, copy filed"}
}

// refused sends r, expects a conflict naming rule and checks that the log
// did not move.
func (h *harness) refused(t *testing.T, r req, rule string) {
	t.Helper()
	before := h.head()
	if p := h.must(http.StatusConflict, r).problem(t); p.Rule != rule {
		t.Fatalf("rule %q, want %q: %+v", p.Rule, rule, p)
	}
	if after := h.head(); after != before {
		t.Fatalf("a refused request moved the log head %d → %d", before, after)
	}
}

// TestEvidenceFlow: clerks record evidence on a claim under review, each
// file once; approvers list it; the auditor's trail shows it; once the
// claim is approved no more is taken until an objection sends it back.
func TestEvidenceFlow(t *testing.T) {
	h := newHarness(t)
	h.setUp()
	id := "exp-ev"
	h.must(http.StatusCreated, req{method: "POST", path: "/v1/claims/expansion", as: "clerk", body: with(expansionClaim(t, id), "residentId", resident(t, 41))})
	path := claimPath(id, "/evidence")
	contract, insurance := strings.Repeat("1a", 32), strings.Repeat("2b", 32)

	first := req{method: "POST", path: path, as: "clerk", body: evidenceBody("labour-contract", contract), header: map[string]string{"Idempotency-Key": "ev-1"}}
	var res api.CommandResponse
	h.must(http.StatusCreated, first).decode(t, &res)
	if len(res.Events) != 1 || res.Events[0].Type != "ClaimEvidenceRecorded" || res.Events[0].Stream != claim.Stream(id) {
		t.Fatalf("first evidence appended %+v", res.Events)
	}
	var ev claim.Evidence
	if b, err := json.Marshal(res.Events[0].Data); err != nil || json.Unmarshal(b, &ev) != nil || ev.Digest != contract || ev.Actor != "li" || ev.Kind != claim.LabourContract {
		t.Fatalf("recorded evidence %+v (%v)", ev, err)
	}
	head := h.head()
	if replay := h.must(http.StatusOK, first); replay.header.Get(api.HeaderReplayed) != "true" || h.head() != head {
		t.Fatalf("a retry under the same key appended: head %d → %d", head, h.head())
	}
	h.must(http.StatusCreated, req{method: "POST", path: path, as: "clerk2", body: evidenceBody("insurance-record", insurance)})

	// The same file again, even described otherwise, is refused.
	h.refused(t, req{method: "POST", path: path, as: "clerk", body: evidenceBody("other", contract)}, "evidence-unique")

	list := func() []claim.Evidence {
		var all []claim.Evidence
		for _, p := range pages[claim.Evidence](t, h, "approver", path, 1) {
			all = append(all, p...)
		}
		return all
	}
	got := list()
	if len(got) != 2 || got[0].Digest != contract || got[1].Digest != insurance || got[1].Actor != "sun.clerk" ||
		got[1].Kind != claim.InsuranceRecord || got[0].ReceivedOn.String() != "2025-03-20" || got[0].Note != "original seen, copy filed" {
		t.Fatalf("evidence listed one by one: %+v", got)
	}

	h.must(http.StatusOK, req{method: "POST", path: claimPath(id, "/approval"), as: "approver", body: map[string]any{"reason": "evidence complete"}})
	late := req{method: "POST", path: path, as: "clerk", body: evidenceBody("bank-account", strings.Repeat("3c", 32))}
	h.refused(t, late, "claim-before-decision")
	h.must(http.StatusOK, req{method: "POST", path: claimPath(id, "/disclosure"), as: "clerk", body: map[string]any{"on": "2025-04-01", "masked": "6328**********0411"}})
	h.refused(t, late, "claim-before-decision")

	// An objection sends the claim back to review: evidence is taken again.
	h.must(http.StatusOK, req{method: "POST", path: claimPath(id, "/objections"), as: "approver2", body: map[string]any{"reason": "the contract looks altered"}})
	h.must(http.StatusCreated, late)
	if got := list(); len(got) != 3 || got[2].Kind != claim.BankAccount {
		t.Fatalf("evidence after the objection: %+v", got)
	}

	var trail api.Page[projections.TrailEntry]
	h.must(http.StatusOK, req{method: "GET", path: "/v1/audit/claims/" + id + "/trail", as: "auditor"}).decode(t, &trail)
	var actors []string
	for _, e := range trail.Items {
		if e.Type == "ClaimEvidenceRecorded" {
			if e.Stream != claim.Stream(id) || e.Role != "clerk" || e.Hash == "" {
				t.Errorf("trail entry %+v", e)
			}
			actors = append(actors, e.Actor)
		}
	}
	if strings.Join(actors, ",") != "li,sun.clerk,li" {
		t.Fatalf("trail shows evidence recorded by %v, want li, sun.clerk, li", actors)
	}
	h.must(http.StatusNotFound, req{method: "GET", path: claimPath("noclaim", "/evidence"), as: "approver"})
}
