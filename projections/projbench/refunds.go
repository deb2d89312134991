package projbench

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/shopspring/decimal"

	"github.com/haixi-hrss/fundledger/domain"
	"github.com/haixi-hrss/fundledger/domain/budget"
	"github.com/haixi-hrss/fundledger/domain/calendar"
	"github.com/haixi-hrss/fundledger/domain/claim"
	"github.com/haixi-hrss/fundledger/domain/eligibility"
	"github.com/haixi-hrss/fundledger/domain/money"
	"github.com/haixi-hrss/fundledger/domain/policy"
	"github.com/haixi-hrss/fundledger/domain/programme"
	"github.com/haixi-hrss/fundledger/domain/role"
	"github.com/haixi-hrss/fundledger/domain/stabilization"
	"github.com/haixi-hrss/fundledger/ledger"
)

// step is the next thing that happens to a refund claim.
type step int

const (
	stepSubmit step = iota
	stepCheck
	stepApprove
	stepDisclose
	stepComplete
	stepRelease
	stepResult
	stepObjection
	stepCancel
	stepClawback
	stepDone
)

// Twists, by unit number modulo 50: what makes a claim's life other than
// plain.
const (
	twistReject    = 7  // an approver rejects the claim
	twistObjection = 13 // an objection during disclosure sends it back to review
	twistRetry     = 23 // the bank refuses the first payment; the second goes through
	twistCancel    = 31 // the bank refuses the payment and the claim is cancelled
	twistClawback  = 41 // a tenth is recovered after payment
)

// decimalTenth is the share of a clawback.
var decimalTenth = decimal.RequireFromString("0.1")

// waves spreads the filing of a year's claims over this many working days,
// so the claims' steps interleave in the log as they would at the counter.
const waves = 20

// refund is one unit's stabilization refund claim for a year.
type refund struct {
	u        *unit
	id       string
	line     string
	policy   policy.Version
	assess   eligibility.Assessment
	facts    stabilization.Facts
	st       claim.State
	next     step
	day      calendar.Date
	filed    calendar.Date
	wave     int
	stop     step
	attempts int
}

// refunds files every unit's refund claim for year y and runs each
// through its lifecycle, one step per round, all claims of a round
// appended together. Claims of the last year stop at every stage.
func (g *generator) refunds(ctx context.Context, y programme.FiscalYear) error {
	cal := workCalendar()
	start := calendar.MustNew(int(y), time.March, 3)
	var active []*refund
	for _, u := range g.units {
		r := &refund{u: u, id: fmt.Sprintf("stab-%d-%s", y, u.code), line: line(u.county, y), wave: u.n % waves, stop: stepDone}
		r.filed = cal.AddWorkingDays(start, r.wave)
		r.day = r.filed
		v, err := policy.Select(g.policies, programme.Stabilization, r.filed)
		if err != nil {
			return err
		}
		r.policy, r.facts = v, u.facts(y)
		if r.assess, err = stabilization.Assess(v, r.filed, r.facts); err != nil {
			return fmt.Errorf("projbench: assess %s: %w", r.id, err)
		}
		if y == Years[len(Years)-1] && u.n%20 < 6 {
			r.stop = []step{stepCheck, stepApprove, stepDisclose, stepComplete, stepRelease, stepResult}[u.n%20]
		}
		active = append(active, r)
		g.sum.Claims++
	}
	for round := 0; len(active) > 0; round++ {
		kept := active[:0]
		for _, r := range active {
			if r.wave <= round {
				if err := g.advance(r, cal); err != nil {
					return err
				}
			}
			if r.next != stepDone && r.next != r.stop {
				kept = append(kept, r)
			}
		}
		active = kept
		if err := g.out.flush(ctx); err != nil {
			return err
		}
	}
	return nil
}

// claim decides cmd on r's claim and queues the events under the step's
// metadata, returning them.
func (g *generator) claim(r *refund, key, actor, actingRole string, cmd claim.Command) ([]domain.Event, error) {
	evs, err := claim.Decide(r.st, cmd)
	if err != nil {
		return nil, fmt.Errorf("projbench: claim %s: %s: %w", r.id, key, err)
	}
	for _, e := range evs {
		r.st = claim.Evolve(r.st, e)
	}
	return evs, g.out.add(claim.Stream(r.id), meta(r.id+"/"+key, actor, actingRole, r.filed, r.policy.ID), evs...)
}

// move applies a budget movement a claim step calls for.
func (g *generator) move(r *refund, key, actor, actingRole string, cmd budget.Command) error {
	return g.budget(r.line, meta(r.id+"/"+key+"/budget", actor, actingRole, r.filed, r.policy.ID), cmd)
}

// keys records the claim's uniqueness keys as reserved, or as released.
func (g *generator) keys(r *refund, reason string) error {
	owner := claim.Stream(r.id)
	m := meta(r.id+"/keys/"+reason, r.st.SubmittedBy, role.Clerk, r.filed, r.policy.ID)
	for _, k := range stabilization.Keys(r.facts) {
		var rec domain.Event = ledger.UniqueKeyReserved{Owner: owner}
		if reason != "" {
			rec = ledger.UniqueKeyReleased{Owner: owner, Reason: reason}
		}
		if err := g.out.add(k.Stream(), m, rec); err != nil {
			return err
		}
	}
	return nil
}

// advance takes r's next step.
func (g *generator) advance(r *refund, cal calendar.WorkCalendar) error {
	u, twist := r.u, r.u.n%50
	clerkID := clerk(u.county)
	when := at(r.day)
	var err error
	switch r.next {
	case stepSubmit:
		cmd := claim.Submit{ClaimID: r.id, Programme: programme.Stabilization, Beneficiary: claim.Beneficiary{Kind: claim.Employer, Ref: u.code.String()},
			Region: u.county, BudgetLineID: r.line, EffectiveDate: r.filed, UniquenessKeys: stabilization.Keys(r.facts),
			Actor: clerkID, Role: role.Clerk, At: when}
		if err = g.keys(r, ""); err == nil {
			_, err = g.claim(r, "submit", clerkID, role.Clerk, cmd)
		}
		r.next = stepCheck
	case stepCheck:
		cmd := claim.Check{Assessment: r.assess, Policy: r.policy, Actor: clerkID, Role: role.Clerk, At: when}
		if _, err = g.claim(r, "check", clerkID, role.Clerk, cmd); err == nil && r.st.Status == claim.StatusRejected {
			r.next, err = stepDone, g.keys(r, "claim rejected")
			break
		}
		r.next = stepApprove
	case stepApprove:
		err = g.approve(r, twist, when)
	case stepDisclose:
		code := u.code.String()
		cmd := claim.StartDisclosure{On: r.day, Masked: code[:4] + strings.Repeat("*", 10) + code[14:], Actor: clerkID, Role: role.Clerk, At: when}
		_, err = g.claim(r, "disclose", clerkID, role.Clerk, cmd)
		r.next = stepComplete
		if twist == twistObjection {
			r.next = stepObjection
		} else {
			r.day = cal.AddWorkingDays(r.day, r.policy.DisclosureWorkingDays)
		}
	case stepObjection:
		a := approver(u.county, 2)
		var evs []domain.Event
		if evs, err = g.claim(r, "objection", a, role.Approver, claim.RaiseObjection{Reason: "群众反映参保人数不实（基准）", Actor: a, Role: role.Approver, At: when}); err == nil {
			err = g.releaseFor(r, "objection", evs)
		}
		r.next = stepDone
	case stepComplete:
		_, err = g.claim(r, "disclosed", clerkID, role.Clerk, claim.CompleteDisclosure{On: r.day, Calendar: cal, Actor: clerkID, Role: role.Clerk, At: when})
		r.next = stepRelease
	case stepRelease:
		cmd := claim.ReleasePayment{Instalment: 1, PaymentID: r.payment(), Actor: treasurer, Role: role.Treasurer, At: when}
		_, err = g.claim(r, "release/"+r.payment(), treasurer, role.Treasurer, cmd)
		r.next = stepResult
	case stepResult:
		err = g.result(r, twist, when)
	case stepCancel:
		var evs []domain.Event
		cmd := claim.Cancel{Reason: "收款账户已注销（基准）", Actor: treasurer, Role: role.Treasurer, At: when}
		if evs, err = g.claim(r, "cancel", treasurer, role.Treasurer, cmd); err == nil {
			if err = g.releaseFor(r, "cancel", evs); err == nil {
				err = g.keys(r, "claim cancelled before any payment")
			}
		}
		r.next = stepDone
	case stepClawback:
		err = g.clawback(r, when)
		r.next = stepDone
	}
	r.day = cal.AddWorkingDays(r.day, 1)
	return err
}

func (r *refund) payment() string { return fmt.Sprintf("%s/pay/1/%c", r.id, 'a'+r.attempts) }

func (g *generator) approve(r *refund, twist int, when time.Time) error {
	u := r.u
	a := approver(u.county, 1)
	if len(r.st.Approvals) > 0 {
		a = prefectureApprover
	}
	if twist == twistReject {
		_, err := g.claim(r, "reject", a, role.Approver, claim.Reject{Reason: "材料不全（基准）", Actor: a, Role: role.Approver, At: when})
		r.next = stepDone
		if err != nil {
			return err
		}
		return g.keys(r, "claim rejected")
	}
	evs, err := g.claim(r, fmt.Sprintf("approve/%d", len(r.st.Approvals)+1), a, role.Approver,
		claim.Approve{Reason: "符合" + r.policy.ID + "规定", Actor: a, Role: role.Approver, At: when})
	if err != nil {
		return err
	}
	for _, e := range evs {
		if ap, ok := e.(*claim.Approved); ok {
			err = g.move(r, "approve", a, role.Approver, budget.Reserve{ReservationID: ap.ReservationID, ClaimID: r.id, Amount: ap.Amount,
				Actor: ap.Actor, Role: ap.Role, At: ap.At})
			r.next = stepDisclose
		}
	}
	return err
}

// releaseFor releases on the line what an objection or cancellation
// among evs gives back.
func (g *generator) releaseFor(r *refund, key string, evs []domain.Event) error {
	for _, e := range evs {
		var id string
		var amount money.Amount
		var by claim.By
		switch x := e.(type) {
		case *claim.ObjectionRaised:
			id, amount, by = x.ReleaseID, x.Release, x.By
		case *claim.Cancelled:
			id, amount, by = x.ReleaseID, x.Release, x.By
		default:
			continue
		}
		if !amount.IsPositive() {
			continue
		}
		cmd := budget.Release{ReleaseID: id, ClaimID: r.id, Amount: amount, Reason: key, Actor: by.Actor, Role: by.Role, At: by.At}
		if err := g.move(r, key, by.Actor, by.Role, cmd); err != nil {
			return err
		}
	}
	return nil
}

func (g *generator) result(r *refund, twist int, when time.Time) error {
	failed := (twist == twistRetry || twist == twistCancel) && r.attempts == 0
	cmd := claim.RecordPaymentResult{Instalment: 1, PaymentID: r.payment(), Paid: !failed, On: r.day, Actor: treasurer, Role: role.Treasurer, At: when}
	if failed {
		cmd.Reason = "收款账户户名不符（基准）"
	} else {
		cmd.BankRef = fmt.Sprintf("HX%s-%06d", strings.ReplaceAll(r.day.String(), "-", ""), r.u.n)
	}
	evs, err := g.claim(r, "result/"+r.payment(), treasurer, role.Treasurer, cmd)
	if err != nil {
		return err
	}
	switch {
	case failed && twist == twistCancel:
		r.next = stepCancel
	case failed:
		r.attempts++
		r.next = stepRelease
	case twist == twistClawback:
		r.next = stepClawback
	default:
		r.next = stepDone
	}
	for _, e := range evs {
		if p, ok := e.(*claim.InstalmentPaid); ok {
			return g.move(r, "spend", treasurer, role.Treasurer, budget.Spend{PaymentID: p.SpendID, ClaimID: r.id, Amount: p.Amount,
				Actor: p.Actor, Role: p.Role, At: p.At})
		}
	}
	return nil
}

func (g *generator) clawback(r *refund, when time.Time) error {
	amount := r.st.Paid.MulRate(decimalTenth)
	if !amount.IsPositive() {
		return nil
	}
	cmd := claim.RecordClawback{RecoveryID: r.id + "/recovery/1", Amount: amount, Reason: claim.Ineligible,
		Detail: "参保人数虚报，追回一成（基准）", On: r.day, Actor: treasurer, Role: role.Treasurer, At: when}
	evs, err := g.claim(r, "clawback", treasurer, role.Treasurer, cmd)
	if err != nil {
		return err
	}
	for _, e := range evs {
		if c, ok := e.(*claim.ClawedBack); ok {
			return g.move(r, "clawback", treasurer, role.Treasurer, budget.Recover{RecoveryID: c.RecoverID, ClaimID: r.id, Amount: c.Amount,
				Reason: "clawback (" + c.Reason + "): " + c.Detail, Actor: c.Actor, Role: c.Role, At: c.At})
		}
	}
	return nil
}
