package api

import (
	"context"
	"net/http"

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
// parameter: it decodes the body into In, checks the claim exists (404
// otherwise), runs do under the request's envelope and answers with what
// was appended.
func claimCmd[In any](s *server, c echo.Context, name string, effective func(In) calendar.Date,
	do func(ctx context.Context, id string, r *request, in In, env ledger.Command) (ledger.Result, error)) error {
	var in In
	if err := decode(c, &in); err != nil {
		return err
	}
	r, err := s.begin(c)
	if err != nil {
		return err
	}
	ctx := c.Request().Context()
	id := c.Param("claimId")
	if _, err := mustExist(ctx, s, schema.Claim(id), "claimId", "claim", id); err != nil {
		return err
	}
	var eff calendar.Date
	if effective != nil {
		eff = effective(in)
	}
	res, err := do(ctx, id, r, in, r.env(name, name, eff, in))
	if err != nil {
		return err
	}
	return s.respond(r, http.StatusOK, res)
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

// queueKey orders claims as the queue does: least recently changed first,
// ties by ID. The fixed-width time keeps string order equal to time order.
func queueKey(row projections.ClaimRow) string {
	return row.LastChange.UTC().Format("2006-01-02T15:04:05.000000000Z") + "|" + row.ID
}

// queue lists the claims the caller may take the next step on.
func (s *server) queue(c echo.Context) error {
	q, err := parsePage(c)
	if err != nil {
		return err
	}
	p := principalOf(c)
	var page Page[projections.ClaimRow]
	s.l.Runner.Read(func(uint64) { page = paginate(s.l.Views.Claims.NextWork(p.Role, p.Name), queueKey, q) })
	return c.JSON(http.StatusOK, page)
}

// listClaims lists claims by ?status=, ?programme=, ?county= and
// ?employer=, in queue order.
func (s *server) listClaims(c echo.Context) error {
	q, err := parsePage(c)
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
	var page Page[projections.ClaimRow]
	s.l.Runner.Read(func(uint64) { page = paginate(s.l.Views.Claims.Find(f), queueKey, q) })
	return c.JSON(http.StatusOK, page)
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
	return c.JSON(http.StatusOK, row)
}
