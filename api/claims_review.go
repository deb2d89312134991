package api

import (
	"context"
	"net/http"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/haixi-hrss/fundledger/domain/calendar"
	"github.com/haixi-hrss/fundledger/domain/claim"
	"github.com/haixi-hrss/fundledger/domain/programme"
	"github.com/haixi-hrss/fundledger/domain/region"
	"github.com/haixi-hrss/fundledger/ledger"
	"github.com/haixi-hrss/fundledger/ledger/schema"
	"github.com/haixi-hrss/fundledger/projections"
)

// claimCmd runs one command on the claim named by the :claimId path
// parameter (404 when there is none) through do, a ledger process, under
// the request's envelope.
func claimCmd[In any](s *server, c echo.Context, name string, effective func(In) calendar.Date,
	do func(ctx context.Context, id string, r *request, in In, env ledger.Command) (ledger.Result, error)) error {
	return runOne(s, c, oneCommand[In, claim.State, claim.Command]{
		name: name, existing: schema.Claim, param: "claimId", what: "claim",
		effective: effective, process: do,
	})
}

// ReasonRequest carries the reason of a decision.
type ReasonRequest struct {
	Reason string `json:"reason"`
}

func (s *server) approveClaim(c echo.Context) error {
	return claimCmd(s, c, "ApproveClaim", nil, func(ctx context.Context, id string, r *request, in ReasonRequest, env ledger.Command) (ledger.Result, error) {
		return ledger.ApproveClaim(ctx, s.svc, id, claim.Approve{Reason: in.Reason, Actor: r.p.Name, Role: r.p.Role, At: r.at}, env)
	})
}

func (s *server) rejectClaim(c echo.Context) error {
	return claimCmd(s, c, "RejectClaim", nil, func(ctx context.Context, id string, r *request, in ReasonRequest, env ledger.Command) (ledger.Result, error) {
		return ledger.RejectClaim(ctx, s.svc, id, claim.Reject{Reason: in.Reason, Actor: r.p.Name, Role: r.p.Role, At: r.at}, env)
	})
}

func (s *server) cancelClaim(c echo.Context) error {
	return claimCmd(s, c, "CancelClaim", nil, func(ctx context.Context, id string, r *request, in ReasonRequest, env ledger.Command) (ledger.Result, error) {
		return ledger.CancelClaim(ctx, s.svc, id, claim.Cancel{Reason: in.Reason, Actor: r.p.Name, Role: r.p.Role, At: r.at}, env)
	})
}

// DisclosureRequest starts a claim's public disclosure (公示).
type DisclosureRequest struct {
	On calendar.Date `json:"on"`
	// Masked is the beneficiary's identifier as the notice shows it,
	// e.g. 6328**********1230.
	Masked string `json:"masked"`
}

func (s *server) startDisclosure(c echo.Context) error {
	on := func(in DisclosureRequest) calendar.Date { return in.On }
	return claimCmd(s, c, "StartDisclosure", on, func(ctx context.Context, id string, r *request, in DisclosureRequest, env ledger.Command) (ledger.Result, error) {
		return ledger.StartDisclosure(ctx, s.svc, id, claim.StartDisclosure{On: in.On, Masked: in.Masked, Actor: r.p.Name, Role: r.p.Role, At: r.at}, env)
	})
}

func (s *server) raiseObjection(c echo.Context) error {
	return claimCmd(s, c, "RaiseObjection", nil, func(ctx context.Context, id string, r *request, in ReasonRequest, env ledger.Command) (ledger.Result, error) {
		return ledger.RaiseObjection(ctx, s.svc, id, claim.RaiseObjection{Reason: in.Reason, Actor: r.p.Name, Role: r.p.Role, At: r.at}, env)
	})
}

// CompletionRequest completes a disclosure on a day.
type CompletionRequest struct {
	On calendar.Date `json:"on"`
}

func (s *server) completeDisclosure(c echo.Context) error {
	on := func(in CompletionRequest) calendar.Date { return in.On }
	return claimCmd(s, c, "CompleteDisclosure", on, func(ctx context.Context, id string, r *request, in CompletionRequest, env ledger.Command) (ledger.Result, error) {
		cmd := claim.CompleteDisclosure{On: in.On, Calendar: s.cfg.Calendar, Actor: r.p.Name, Role: r.p.Role, At: r.at}
		return ledger.CompleteDisclosure(ctx, s.svc, id, cmd, env)
	})
}

// queueKeyLayout is the fixed-width time of a queue cursor, so string
// order of cursors is queue order.
const queueKeyLayout = "2006-01-02T15:04:05.000000000Z"

// queueKey is a cursor's key in queue order: least recently changed
// first, ties by ID.
func queueKey(c projections.ClaimCursor) string {
	return c.At.UTC().Format(queueKeyLayout) + "|" + c.ID
}

// queueCursor decodes the place in queue order a claim list resumes
// after.
func queueCursor(q pageQuery) (projections.ClaimCursor, error) {
	if q.after == "" {
		return projections.ClaimCursor{}, nil
	}
	at, id, ok := strings.Cut(q.after, "|")
	t, err := time.Parse(queueKeyLayout, at)
	if !ok || err != nil || id == "" {
		return projections.ClaimCursor{}, errParam("cursor", "cursor", "the cursor is not one this server issued")
	}
	return projections.ClaimCursor{At: t, ID: id}, nil
}

// queuePage is the body of a page the claims model cut.
func queuePage(p projections.ClaimPage) Page[projections.ClaimRow] {
	next := ""
	if p.More {
		next = queueKey(p.Next)
	}
	return cutPage(p.Rows, next)
}

// queue lists the claims the caller may take the next step on. The
// model reads one page from its index; for an approver the page may be
// short (see Claims.NextWorkPage), and nextCursor tells whether to go on.
func (s *server) queue(c echo.Context) error {
	q, err := parsePage(c)
	if err != nil {
		return err
	}
	after, err := queueCursor(q)
	if err != nil {
		return err
	}
	p := principalOf(c)
	var page projections.ClaimPage
	s.l.Runner.Read(func(uint64) { page = s.l.Views.Claims.NextWorkPage(p.Role, p.Name, after, q.limit) })
	return writeJSON(c, http.StatusOK, queuePage(page))
}

// listClaims lists claims by ?status=, ?programme=, ?county= and
// ?employer=, in queue order, one page read from the model's index.
func (s *server) listClaims(c echo.Context) error {
	q, err := parsePage(c)
	if err != nil {
		return err
	}
	after, err := queueCursor(q)
	if err != nil {
		return err
	}
	f := projections.ClaimFilter{Status: claim.Status(c.QueryParam("status")), Programme: programme.Code(c.QueryParam("programme")),
		County: region.Code(c.QueryParam("county")), Employer: c.QueryParam("employer")}
	if f.Programme != "" && !f.Programme.Valid() {
		return errParam("programme", "programme", "%q is not a programme", f.Programme)
	}
	if f.County != "" && !f.County.Valid() {
		return errParam("county", "haixi-region", "%q is not Haixi or one of its county-level units", f.County)
	}
	var page projections.ClaimPage
	s.l.Runner.Read(func(uint64) { page = s.l.Views.Claims.FindPage(f, after, q.limit) })
	return writeJSON(c, http.StatusOK, queuePage(page))
}

func (s *server) getClaim(c echo.Context) error {
	id := c.Param("claimId")
	var (
		row projections.ClaimRow
		ok  bool
	)
	s.l.Runner.Read(func(uint64) { row, ok = s.l.Views.Claims.Claim(id) })
	if !ok {
		return errNotFound("claimId", "no claim %q", id)
	}
	return writeJSON(c, http.StatusOK, row)
}
