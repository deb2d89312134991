package invariant

import (
	"fmt"
	"slices"
	"strings"

	"github.com/haixi-hrss/fundledger/domain/budget"
	"github.com/haixi-hrss/fundledger/domain/calendar"
	"github.com/haixi-hrss/fundledger/domain/claim"
	"github.com/haixi-hrss/fundledger/domain/money"
	"github.com/haixi-hrss/fundledger/domain/programme"
	roles "github.com/haixi-hrss/fundledger/domain/role"
)

var actors = []struct{ name, role string }{
	{"clerk1", roles.Clerk}, {"appr1", roles.Approver}, {"appr2", roles.Approver}, {"tre1", roles.Treasurer},
}

// pickClaim picks a claim, usually one whose life is not over.
func (x *sim) pickClaim(src *source) int {
	var live []int
	for i, c := range x.claims {
		if st := c.state.Status; st != claim.StatusRejected && st != claim.StatusCancelled {
			live = append(live, i)
		}
	}
	if len(live) > 0 && src.byte()%4 != 0 {
		return live[src.intn(len(live))]
	}
	return src.intn(len(x.claims))
}

// advanceClaim issues one command to claim c: usually the next step of its
// life by the role that takes it, sometimes any command by anyone.
func (x *sim) advanceClaim(src *source, c int) {
	a := x.claims[c]
	s := a.state
	kind := src.byte() % 11
	actor := actors[src.intn(len(actors))]
	if src.byte()%4 != 0 {
		kind = natural(s, src)
		if src.byte()%8 != 0 {
			actor = actors[1+src.intn(2)]
			switch kind {
			case 0, 4, 5, 12:
				actor = actors[0]
			case 7, 8, 11:
				actor = actors[3]
			}
		}
	}
	switch kind {
	case 0:
		x.check(src, c, actor.name, actor.role)
	case 1, 2:
		x.approve(c, actor.name, actor.role)
	case 3:
		a.do(x, claim.Reject{Reason: "documents incomplete", Actor: actor.name, Role: actor.role, At: x.at})
	case 4:
		a.do(x, claim.StartDisclosure{On: x.today(), Masked: "9135**********Y43", Actor: actor.name, Role: actor.role, At: x.at})
	case 5:
		on := s.DisclosureStart.AddDays(src.intn(12))
		_, err := a.do(x, claim.CompleteDisclosure{On: on, Actor: actor.name, Role: actor.role, At: x.at})
		days := calendar.WorkCalendar{}.WorkingDaysBetween(s.DisclosureStart, on.AddDays(-1))
		if s.Status == claim.StatusInDisclosure && actor.role == roles.Clerk && (err == nil) != (days >= 5) {
			x.failf("%s: completing disclosure after %d working days decided %v", s.ID, days, err)
		}
	case 6:
		if events, err := a.do(x, claim.RaiseObjection{Reason: "public objection", Actor: actor.name, Role: actor.role, At: x.at}); err == nil {
			o := events[0].(*claim.ObjectionRaised)
			x.release(c, o.ReleaseID, o.Release, actor.name, actor.role)
		}
	case 7:
		x.releasePayment(src, c, actor.name, actor.role)
	case 8:
		x.paymentResult(src, c, actor.name, actor.role)
	case 9:
		if events, err := a.do(x, claim.Cancel{Reason: "withdrawn", Actor: actor.name, Role: actor.role, At: x.at}); err == nil {
			k := events[0].(*claim.Cancelled)
			x.release(c, k.ReleaseID, k.Release, actor.name, actor.role)
		}
	case 12:
		x.evidence(src, c, actor.name, actor.role)
	default:
		x.clawback(src, c, actor.name, actor.role)
	}
}

// natural picks the command that moves a claim in status s along.
func natural(s claim.State, src *source) byte {
	switch s.Status {
	case claim.StatusSubmitted:
		return 0
	case claim.StatusChecked:
		return []byte{1, 1, 1, 1, 1, 1, 1, 3, 12}[src.intn(9)]
	case claim.StatusApproved:
		return []byte{4, 4, 4, 9}[src.intn(4)]
	case claim.StatusInDisclosure:
		return []byte{5, 5, 5, 5, 6}[src.intn(5)]
	case claim.StatusDisclosed:
		for _, in := range s.Instalments {
			if in.Status == claim.InstalmentInFlight {
				return 8
			}
		}
		return []byte{7, 7, 7, 7, 7, 9, 11}[src.intn(7)]
	}
	return 11
}

func (x *sim) check(src *source, c int, actor, role string) {
	a := x.claims[c]
	p := a.state.Programme
	eligible := src.byte()%8 != 0
	var plan []claim.Planned
	var total money.Amount
	switch p {
	case programme.Absorption:
		each := fen(src.fen(400_000))
		for n := range 1 + src.intn(4) {
			plan = append(plan, claim.Planned{Label: calendar.MustParse("2025-01-01").AddMonths(n).String()[:7], Amount: each})
			total = total.Add(each)
		}
	default:
		total = fen(src.fen(3_000_000))
	}
	a.do(x, claim.Check{Assessment: assess(p, total, eligible), Policy: policyFor(p), Schedule: plan,
		Actor: actor, Role: role, At: x.at})
}

// approve runs an approval as the ledger does: when it completes the
// approvals, the budget line reserves first, and a refused reservation
// means the approval is not recorded.
func (x *sim) approve(c int, actor, role string) {
	a := x.claims[c]
	events, err := a.try(x, claim.Approve{Reason: "evidence complete", Actor: actor, Role: role, At: x.at})
	x.logf("approve %s by %s → %d events, %v", a.state.ID, actor, len(events), err)
	if err != nil {
		return
	}
	for _, e := range events {
		ok, isApproval := e.(*claim.Approved)
		if !isApproval {
			continue
		}
		l := x.lines[x.claimLine[c]]
		available, opened := l.state.Available(), l.state.Opened
		reserve := budget.Reserve{ReservationID: ok.ReservationID, ClaimID: a.state.ID, Amount: ok.Amount, Actor: actor, Role: roles.Approver, At: x.at}
		_, err := l.do(x, reserve)
		if fits := opened && !ok.Amount.GreaterThan(available); (err == nil) != fits {
			x.failf("reserving %s of %s available (line opened: %v) decided %v", ok.Amount, available, opened, err)
		}
		if err != nil {
			return
		}
		x.steps = append(x.steps, claimStep{line: x.claimLine[c], cmd: reserve})
	}
	a.apply(x, events)
}

// release runs the budget side of a claim event that releases money.
func (x *sim) release(c int, id string, amount money.Amount, actor, role string) {
	if !amount.IsPositive() {
		return
	}
	if role != roles.Treasurer {
		role = roles.Approver
	}
	x.claimStep(c, budget.Release{ReleaseID: id, ClaimID: x.claims[c].state.ID, Amount: amount, Reason: "claim released it", Actor: actor, Role: role, At: x.at})
}

func (x *sim) releasePayment(src *source, c int, actor, role string) {
	a := x.claims[c]
	n := 1 + src.intn(len(a.state.Instalments)+1)
	// Payment IDs come from outside and repeat across claims (and
	// sometimes within one, which the claim refuses).
	id := fmt.Sprintf("pay%d", src.intn(6))
	a.do(x, claim.ReleasePayment{Instalment: n, PaymentID: id, Actor: actor, Role: role, At: x.at})
}

func (x *sim) paymentResult(src *source, c int, actor, role string) {
	a := x.claims[c]
	n := 1 + src.intn(len(a.state.Instalments)+1)
	id := "pay-unknown"
	if n <= len(a.state.Instalments) && src.byte()%8 != 0 {
		id = a.state.Instalments[n-1].PaymentID
	}
	paid := src.byte()%4 != 0
	events, err := a.do(x, claim.RecordPaymentResult{Instalment: n, PaymentID: id, Paid: paid, BankRef: "B" + id, Reason: "account closed",
		On: x.today(), Actor: actor, Role: role, At: x.at})
	if err != nil || !paid {
		return
	}
	p := events[0].(*claim.InstalmentPaid)
	x.claimStep(c, budget.Spend{PaymentID: p.SpendID, ClaimID: a.state.ID, Amount: p.Amount, Actor: "tre1", Role: roles.Treasurer, At: x.at})
}

func (x *sim) clawback(src *source, c int, actor, role string) {
	a := x.claims[c]
	left := a.state.Paid.Sub(a.state.Recovered)
	amount := src.near(left)
	id := fmt.Sprintf("k%d", src.intn(4))
	fresh := !slices.Contains(a.state.Recoveries, id)
	events, err := a.do(x, claim.RecordClawback{RecoveryID: id, Amount: amount, Reason: claim.Fraudulent, Detail: "found on audit",
		On: x.today(), Actor: actor, Role: role, At: x.at})
	if fits := role == roles.Treasurer && fresh && !amount.GreaterThan(left); (err == nil) != fits {
		x.failf("%s: clawing back %s of %s paid and unrecovered (ID %s fresh: %v) decided %v", a.state.ID, amount, left, id, fresh, err)
	}
	if err != nil {
		return
	}
	k := events[0].(*claim.ClawedBack)
	x.claimStep(c, budget.Recover{RecoveryID: k.RecoverID, ClaimID: a.state.ID, Amount: k.Amount, Reason: k.Reason, Actor: "tre1", Role: roles.Treasurer, At: x.at})
}

// evidence records a document, one of a few files so that some repeat;
// the claim takes it from a clerk before a decision, each file once.
func (x *sim) evidence(src *source, c int, actor, role string) {
	a := x.claims[c]
	digest := strings.Repeat(fmt.Sprintf("%02x", src.intn(3)), 32)
	fresh := !slices.ContainsFunc(a.state.Evidence, func(e claim.Evidence) bool { return e.Digest == digest })
	open := a.state.Status == claim.StatusSubmitted || a.state.Status == claim.StatusChecked
	_, err := a.do(x, claim.RecordEvidence{Kind: claim.LabourContract, DocumentNo: "HT-1", Digest: digest, ReceivedOn: x.today(),
		Actor: actor, Role: role, At: x.at})
	if fits := role == roles.Clerk && open && fresh; (err == nil) != fits {
		x.failf("%s: evidence %s… in status %s by %s (fresh: %v) decided %v", a.state.ID, digest[:4], a.state.Status, role, fresh, err)
	}
}

// claimStep runs the budget side of a claim event, which the line must
// accept, and keeps it to be repeated later.
func (x *sim) claimStep(c int, cmd budget.Command) {
	x.lines[x.claimLine[c]].must(x, cmd)
	x.steps = append(x.steps, claimStep{line: x.claimLine[c], cmd: cmd})
}
