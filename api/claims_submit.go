package api

import (
	"context"
	"errors"

	"github.com/labstack/echo/v4"

	"github.com/haixi-hrss/fundledger/domain"
	"github.com/haixi-hrss/fundledger/domain/calendar"
	"github.com/haixi-hrss/fundledger/domain/claim"
	"github.com/haixi-hrss/fundledger/domain/eligibility"
	"github.com/haixi-hrss/fundledger/domain/identity"
	"github.com/haixi-hrss/fundledger/domain/policy"
	"github.com/haixi-hrss/fundledger/domain/programme"
	"github.com/haixi-hrss/fundledger/domain/region"
	"github.com/haixi-hrss/fundledger/domain/uniqueness"
	"github.com/haixi-hrss/fundledger/ledger"
	"github.com/haixi-hrss/fundledger/projections"
)

// ClaimRequest files a claim of one payment kind: where it is charged,
// the business date that selects the policy version, and the facts the
// kind's rules assess.
type ClaimRequest[F any] struct {
	ClaimID       string        `json:"claimId"`
	BudgetLineID  string        `json:"budgetLineId"`
	Region        region.Code   `json:"region"`
	EffectiveDate calendar.Date `json:"effectiveDate"`
	// ResidentID, if sent, is turned into the person reference of the
	// facts with the ledger's secret, and the person is registered
	// (sealed in persondata.db, outside the log) before the claim is
	// submitted; it is never logged, fingerprinted or put in an event.
	ResidentID string `json:"residentId,omitempty"`
	// Provider is the training provider's credit code, for a vocational
	// training claim paid to the provider (the advance).
	Provider string `json:"provider,omitempty"`
	Facts    F      `json:"facts"`
}

// claimKind is what differs between payment kinds.
type claimKind[F any] struct {
	programme programme.Code
	assess    func(policy.Version, calendar.Date, F) (eligibility.Assessment, error)
	keys      func(calendar.Date, F) []uniqueness.Key
	// payee is who the claim pays; provider is ClaimRequest.Provider.
	payee func(f F, provider string) claim.Beneficiary
	// person points at the facts' person reference; nil for kinds whose
	// facts name no person.
	person func(*F) *identity.PersonRef
	// monthly kinds are paid as one instalment for the facts' month.
	month func(F) calendar.Date
}

// submitKind files a claim: the facts are assessed under the policy
// version in force on the effective date, the claim is submitted with the
// kind's uniqueness keys, and checked with the assessment. An ineligible
// claim is rejected by the check and gives its keys back, as the batch
// run does. Both steps run under the request's idempotency key.
func submitKind[F any](s *server, c echo.Context, k claimKind[F]) error {
	var in ClaimRequest[F]
	if err := decode(c, &in); err != nil {
		return err
	}
	r, err := s.begin(c)
	if err != nil {
		return err
	}
	person, err := resolvePerson(s, &in, k)
	if err != nil {
		return err
	}
	if in.Provider != "" && k.programme != programme.VocationalTraining {
		return domain.Invalid("provider", "not-applicable", "only a vocational training claim is paid to a provider")
	}
	ctx := c.Request().Context()
	if err := s.checkLine(ctx, in.BudgetLineID, k.programme); err != nil {
		return err
	}
	if in.EffectiveDate.IsZero() {
		return domain.Invalid("effectiveDate", "required", "the effective date selects the policy version and is required")
	}
	vs, err := s.policies(ctx, k.programme)
	if err != nil {
		return err
	}
	v, err := policy.Select(vs, k.programme, in.EffectiveDate)
	if err != nil {
		return err
	}
	a, err := k.assess(v, in.EffectiveDate, in.Facts)
	if err != nil {
		return inFacts(err)
	}
	submit := claim.Submit{ClaimID: in.ClaimID, Programme: k.programme, Beneficiary: k.payee(in.Facts, in.Provider),
		Region: in.Region, BudgetLineID: in.BudgetLineID, EffectiveDate: in.EffectiveDate,
		UniquenessKeys: k.keys(in.EffectiveDate, in.Facts), Actor: r.p.Name, Role: r.p.Role, At: r.at}
	check := claim.Check{Assessment: a, Policy: v, Actor: r.p.Name, Role: r.p.Role, At: r.at}
	if k.month != nil && (a.Eligible || a.NeedsManualReview) {
		check.Schedule = []claim.Planned{{Label: monthOf(k.month(in.Facts)), Amount: a.Amount}}
	}
	r.naturalKey("claim/" + in.ClaimID)
	env := r.env("submit", "SubmitClaim", in.EffectiveDate, in)
	env.PolicyVersion = v.ID
	checkEnv := r.env("check", "CheckClaim", in.EffectiveDate, in)
	checkEnv.PolicyVersion = v.ID
	// The submission's key binds the request's input, so the check needs
	// no record of its own: a retry finds it by its event IDs, which
	// derive from the request's key.
	checkEnv.StepKey, checkEnv.IdempotencyKey = checkEnv.IdempotencyKey, ""
	sub, chk, err := s.submitClaim(ctx, person, submit, env, ledger.ClaimCheck{Check: check, Env: checkEnv})
	if err != nil {
		return err
	}
	if !a.Eligible && !a.NeedsManualReview {
		if _, err := ledger.ReleaseClaimKeys(ctx, s.svc, in.ClaimID); err != nil {
			return err
		}
	}
	c.Response().Header().Set(echo.HeaderLocation, "/v1/claims/"+in.ClaimID)
	return s.respond(r, created(sub, chk), sub, chk)
}

// inFacts names the field of a kind's rules' field error by its path in
// the request, as the decoder names a fact it cannot read: the rules know
// only the facts, the client sent them under "facts".
func inFacts(err error) error {
	var fe *domain.FieldError
	if errors.As(err, &fe) {
		return domain.Invalid("facts."+fe.Field, fe.Rule, "%s", fe.Detail)
	}
	return err
}

// resolvePerson replaces a resident ID in the request by its person
// reference in the facts, and clears it from the request, which is
// fingerprinted for idempotency: an unkeyed hash of an 18-digit ID with
// known structure could be reversed by trying every ID. It returns the
// ID, zero when none was sent.
func resolvePerson[F any](s *server, in *ClaimRequest[F], k claimKind[F]) (identity.ResidentID, error) {
	if in.ResidentID == "" {
		return identity.ResidentID{}, nil
	}
	plain := in.ResidentID
	in.ResidentID = ""
	if k.person == nil {
		return identity.ResidentID{}, domain.Invalid("residentId", "not-applicable", "a %s claim names no person", k.programme)
	}
	if s.cfg.Persons == nil {
		return identity.ResidentID{}, newProblem("resident-id-not-accepted", "residentId", "ledger-secret", "this server has no ledger secret; send the person reference in the facts")
	}
	id, err := identity.ParseResidentID("residentId", plain)
	if err != nil {
		return identity.ResidentID{}, err
	}
	*k.person(&in.Facts) = s.cfg.Persons.Ref(id)
	return id, nil
}

// submitClaim submits a claim and checks it (in one commit where the
// store allows). A claim whose request carried the person's resident ID
// registers the person first (design invariant 13: the identity is
// sealed outside the log, so it can later be revealed to pay or audit
// the claim, and erased), keeping any name registered before; one that
// named the person by reference registers nobody.
func (s *server) submitClaim(ctx context.Context, person identity.ResidentID, submit claim.Submit, env ledger.Command, check ledger.ClaimCheck) (sub, chk ledger.Result, err error) {
	if person.IsZero() {
		return ledger.SubmitClaimChecked(ctx, s.svc, submit, env, check)
	}
	people, err := s.people()
	if err != nil {
		return ledger.Result{}, ledger.Result{}, err
	}
	sub, chk, err = ledger.SubmitPersonClaimChecked(ctx, s.svc, people, person, "",
		func(identity.PersonRef, identity.Facts) claim.Submit { return submit }, env, check)
	return sub, chk, erasedProblem(err)
}

// checkLine makes sure the claim is charged to a budget line that exists
// and belongs to the claim's programme, so no programme's money pays
// another's claims.
func (s *server) checkLine(ctx context.Context, id string, p programme.Code) error {
	if id == "" {
		return domain.Invalid("budgetLineId", "required", "the budget line is missing")
	}
	var (
		line projections.BudgetLine
		ok   bool
	)
	s.l.Runner.Read(func(uint64) { line, ok = s.l.Views.Budgets.Line(id) })
	if !ok {
		// The read models may trail a line opened by another process.
		if err := s.syncHead(ctx, 0); err != nil {
			return err
		}
		s.l.Runner.Read(func(uint64) { line, ok = s.l.Views.Budgets.Line(id) })
	}
	if !ok {
		return errNotFound("budgetLineId", "no budget line %q", id)
	}
	if line.Programme != p {
		return domain.Reject("budget-line-programme", "budgetLineId", "budget line %s pays %s, not %s", id, line.Programme, p)
	}
	return nil
}

// monthOf is the "YYYY-MM" of d, empty for the zero date.
func monthOf(d calendar.Date) string {
	if d.IsZero() {
		return ""
	}
	return d.String()[:7]
}
