package haixi

import (
	"context"
	"fmt"
	"strings"

	"github.com/google/uuid"

	"github.com/haixi-hrss/fundledger/domain"
	"github.com/haixi-hrss/fundledger/domain/budget"
	"github.com/haixi-hrss/fundledger/domain/calendar"
	"github.com/haixi-hrss/fundledger/domain/claim"
	"github.com/haixi-hrss/fundledger/domain/eligibility"
	"github.com/haixi-hrss/fundledger/domain/identity"
	"github.com/haixi-hrss/fundledger/domain/money"
	"github.com/haixi-hrss/fundledger/domain/policy"
	"github.com/haixi-hrss/fundledger/domain/programme"
	"github.com/haixi-hrss/fundledger/domain/region"
	"github.com/haixi-hrss/fundledger/domain/role"
	"github.com/haixi-hrss/fundledger/domain/uniqueness"
	"github.com/haixi-hrss/fundledger/ledger"
	"github.com/haixi-hrss/fundledger/ledger/schema"
)

// stage is how far a claim got by the end of March.
type stage int

// The stages, in the order a claim passes them.
const (
	stageSubmitted    stage = iota // received, not yet checked
	stageChecked                   // checked, awaiting approval (an ineligible claim is rejected here)
	stageApproved                  // approved, money reserved, disclosure not started
	stageInDisclosure              // in public disclosure (公示)
	stageDisclosed                 // disclosed, awaiting release for payment
	stageReleased                  // sent to the bank, awaiting its answer
	stagePaid                      // paid
)

// twist is what made a claim's life other than plain.
type twist struct {
	// rejectReason: an approver rejects the (eligible) claim at review,
	// in place of the approval of a claim that gets that far.
	rejectReason string
	// objection: raised during disclosure; the claim returns to review,
	// where it stays.
	objection string
	// failedPayment: the bank refuses the first payment; the treasurer
	// releases it again (stagePaid) or cancels the claim (cancelReason).
	failedPayment string
	cancelReason  string
	// clawback recovers money after payment.
	clawback *clawback
}

type clawback struct {
	amount         money.Amount
	reason, detail string
	on             calendar.Date
}

// claimPlan is one claim: what was filed, the assessment the programme's
// rules made of its facts, and how far it got.
type claimPlan struct {
	id          string
	programme   programme.Code
	county      region.Code
	beneficiary claim.Beneficiary
	// who is the person the claim is about, registered when it is
	// submitted; nil for a claim about a unit only.
	who        *person
	masked     string
	filed      calendar.Date
	keys       []uniqueness.Key
	policy     policy.Version
	assessment eligibility.Assessment
	schedule   []claim.Planned
	stage      stage
	twist      twist
}

// claims records every programme's claims.
func (r *run) claims(ctx context.Context) error {
	for _, build := range []func(context.Context) ([]claimPlan, error){
		r.stabilizationClaims, r.expansionClaims, r.oneTimeAbsorptionClaims, r.absorptionClaims, r.socialInsuranceClaims,
		r.skillUpgradeClaims, r.trainingClaims, r.startUpClaims,
	} {
		plans, err := build(ctx)
		if err != nil {
			return err
		}
		for _, p := range plans {
			if err := r.claim(ctx, p); err != nil {
				return err
			}
		}
	}
	return nil
}

// claimRun walks one claim through its steps, a working day apart.
type claimRun struct {
	r   *run
	p   claimPlan
	day calendar.Date
}

// next moves the claim's clock n working days on; a step past the end of
// the quarter is a mistake in the scenario's data.
func (c *claimRun) next(n int) error {
	c.day = workCalendar.AddWorkingDays(c.day, n)
	if c.day.After(QuarterEnd) {
		return fmt.Errorf("haixi: claim %s: a step falls on %s, after the quarter", c.p.id, c.day)
	}
	return nil
}

func (c *claimRun) env(step, actor, role string) ledger.Command {
	return envelope("claim/"+c.p.id+"/"+step, actor, role, c.p.filed, c.p.policy.ID)
}

// do counts the result of a claim process step, or names the step in its
// error.
func (c *claimRun) do(step string, err error, res ledger.Result) error {
	if err != nil {
		return fmt.Errorf("haixi: claim %s: %s: %w", c.p.id, step, err)
	}
	c.r.count(res)
	return nil
}

// claim walks claim p from submission as far as its stage: the check,
// the approvals (two above the policy's threshold, the prefecture's
// approver second) or an approver's rejection, then disclosure and payment.
func (r *run) claim(ctx context.Context, p claimPlan) error {
	c := &claimRun{r: r, p: p, day: p.filed}
	svc, clerk, tw := r.l.Service, Clerk(p.county), p.twist
	line := budget.LineID(FundOf(p.programme), p.programme, p.county, Year)
	submit := claim.Submit{ClaimID: p.id, Programme: p.programme, Beneficiary: p.beneficiary, Region: p.county,
		BudgetLineID: line, EffectiveDate: p.filed, UniquenessKeys: p.keys, Actor: clerk, Role: role.Clerk, At: at(c.day)}
	res, err := r.submit(ctx, p, submit, c.env("submit", clerk, role.Clerk))
	if err := c.do("submit", err, res); err != nil || p.stage == stageSubmitted {
		return err
	}

	if err := c.next(1); err != nil {
		return err
	}
	check := claim.Check{Assessment: p.assessment, Policy: p.policy, Schedule: p.schedule, Actor: clerk, Role: role.Clerk, At: at(c.day)}
	env := c.env("check", clerk, role.Clerk)
	env.Name, env.Payload = "CheckClaim", check
	res, err = ledger.Handle(ctx, svc, schema.Claim(p.id), env, func(s claim.State) ([]domain.Event, error) { return claim.Decide(s, check) })
	if err := c.do("check", err, res); err != nil {
		return err
	}
	if !p.assessment.Eligible && !p.assessment.NeedsManualReview {
		// The check rejected the claim: the person or unit is free for a
		// corrected claim.
		if _, err := ledger.ReleaseClaimKeys(ctx, svc, p.id); err != nil {
			return fmt.Errorf("haixi: claim %s: release its keys: %w", p.id, err)
		}
		return nil
	}
	if p.stage == stageChecked {
		return nil
	}

	if err := c.next(1); err != nil {
		return err
	}
	first := Approver(p.county, 1)
	if tw.rejectReason != "" {
		reject := claim.Reject{Reason: tw.rejectReason, Actor: first, Role: role.Approver, At: at(c.day)}
		res, err := ledger.RejectClaim(ctx, svc, p.id, reject, c.env("reject", first, role.Approver))
		return c.do("reject", err, res)
	}
	approvers := []string{first}
	if p.assessment.Amount.GreaterThan(p.policy.TwoApproverThreshold) {
		approvers = append(approvers, PrefectureApprover)
	}
	for i, a := range approvers {
		if i > 0 {
			if err := c.next(1); err != nil {
				return err
			}
		}
		approve := claim.Approve{Reason: "材料齐全，符合" + p.policy.ID + "规定 the evidence meets " + p.policy.ID, Actor: a, Role: role.Approver, At: at(c.day)}
		env := c.env(fmt.Sprintf("approve/%d", i+1), a, role.Approver)
		env.Name, env.Payload = "ApproveClaim", approve
		res, err := ledger.ApproveClaim(ctx, svc, p.id, approve, env)
		if err := c.do("approve", err, res); err != nil {
			return err
		}
	}
	if p.stage == stageApproved {
		return nil
	}
	return c.disclose(ctx)
}

// submit submits claim p as the API does: a claim about a person through
// ledger.SubmitPersonClaim, which registers the person's resident ID and
// name in the person register first, any other through ledger.SubmitClaim.
func (r *run) submit(ctx context.Context, p claimPlan, cmd claim.Submit, env ledger.Command) (ledger.Result, error) {
	if p.who == nil {
		return ledger.SubmitClaim(ctx, r.l.Service, cmd, env)
	}
	return ledger.SubmitPersonClaim(ctx, r.l.Service, r.l.People, p.who.id, p.who.name,
		func(identity.PersonRef, identity.Facts) claim.Submit { return cmd }, env)
}

// disclose runs the claim from public disclosure to payment, clawback or
// cancellation.
func (c *claimRun) disclose(ctx context.Context) error {
	svc, clerk, p, tw := c.r.l.Service, Clerk(c.p.county), c.p, c.p.twist
	if err := c.next(1); err != nil {
		return err
	}
	start := c.day
	res, err := ledger.StartDisclosure(ctx, svc, p.id, claim.StartDisclosure{On: start, Masked: p.masked, Actor: clerk, Role: role.Clerk, At: at(start)},
		c.env("disclose", clerk, role.Clerk))
	if err := c.do("disclose", err, res); err != nil {
		return err
	}
	if tw.objection != "" {
		if err := c.next(2); err != nil {
			return err
		}
		a := Approver(p.county, 2)
		res, err := ledger.RaiseObjection(ctx, svc, p.id, claim.RaiseObjection{Reason: tw.objection, Actor: a, Role: role.Approver, At: at(c.day)},
			c.env("objection", a, role.Approver))
		return c.do("objection", err, res)
	}
	if p.stage == stageInDisclosure {
		return nil
	}
	if err := c.next(p.policy.DisclosureWorkingDays); err != nil {
		return err
	}
	res, err = ledger.CompleteDisclosure(ctx, svc, p.id, claim.CompleteDisclosure{On: c.day, Calendar: workCalendar, Actor: clerk, Role: role.Clerk, At: at(c.day)},
		c.env("disclosed", clerk, role.Clerk))
	if err := c.do("disclosed", err, res); err != nil || p.stage == stageDisclosed {
		return err
	}
	return c.pay(ctx)
}

// pay releases the claim's instalments to the bank and records the bank's
// answers.
func (c *claimRun) pay(ctx context.Context) error {
	svc, p, tw := c.r.l.Service, c.p, c.p.twist
	instalments := max(len(p.schedule), 1)
	for n := 1; n <= instalments; n++ {
		payment := fmt.Sprintf("%s/pay/%d", p.id, n)
		if tw.failedPayment != "" && n == 1 {
			if err := c.payOnce(ctx, n, payment+"/a", false); err != nil {
				return err
			}
			if tw.cancelReason != "" {
				if err := c.next(1); err != nil {
					return err
				}
				cancel := claim.Cancel{Reason: tw.cancelReason, Actor: Treasurer, Role: role.Treasurer, At: at(c.day)}
				res, err := ledger.CancelClaim(ctx, svc, p.id, cancel, c.env("cancel", Treasurer, role.Treasurer))
				return c.do("cancel", err, res)
			}
			payment += "/b"
		}
		if err := c.payOnce(ctx, n, payment, p.stage == stagePaid); err != nil {
			return err
		}
	}
	if tw.clawback == nil || p.stage != stagePaid {
		return nil
	}
	cb := tw.clawback
	if cb.on.After(QuarterEnd) || cb.on.Before(c.day) {
		return fmt.Errorf("haixi: claim %s: clawback on %s, not between payment on %s and the quarter's end", p.id, cb.on, c.day)
	}
	recover := claim.RecordClawback{RecoveryID: p.id + "/recovery/1", Amount: cb.amount, Reason: cb.reason, Detail: cb.detail, On: cb.on,
		Actor: Treasurer, Role: role.Treasurer, At: at(cb.on)}
	res, err := ledger.RecordClawback(ctx, svc, p.id, recover, c.env("clawback", Treasurer, role.Treasurer))
	return c.do("clawback", err, res)
}

// payOnce releases instalment n under payment and, unless the claim is
// only released, records the bank's answer the next working day: paid, or
// failed with the twist's reason.
func (c *claimRun) payOnce(ctx context.Context, n int, payment string, paid bool) error {
	svc, p := c.r.l.Service, c.p
	if err := c.next(1); err != nil {
		return err
	}
	release := claim.ReleasePayment{Instalment: n, PaymentID: payment, Actor: Treasurer, Role: role.Treasurer, At: at(c.day)}
	res, err := ledger.ReleasePayment(ctx, svc, p.id, release, c.env("release/"+payment[len(p.id)+1:], Treasurer, role.Treasurer))
	if err := c.do("release", err, res); err != nil {
		return err
	}
	failed := p.twist.failedPayment != "" && payment == fmt.Sprintf("%s/pay/%d/a", p.id, n)
	if !paid && !failed {
		return nil
	}
	if err := c.next(1); err != nil {
		return err
	}
	result := claim.RecordPaymentResult{Instalment: n, PaymentID: payment, Paid: !failed, On: c.day, Actor: Treasurer, Role: role.Treasurer, At: at(c.day)}
	if failed {
		result.Reason = p.twist.failedPayment
	} else {
		result.BankRef = "HX" + strings.ReplaceAll(c.day.String(), "-", "") + "-" + uuid.NewSHA1(namespace, []byte("bank/"+payment)).String()[:8]
	}
	res, err = ledger.RecordPaymentResult(ctx, svc, p.id, result, c.env("result/"+payment[len(p.id)+1:], Treasurer, role.Treasurer))
	return c.do("payment result", err, res)
}
