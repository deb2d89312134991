package invariant

import (
	"fmt"
	"time"

	"github.com/haixi-hrss/fundledger/domain/budget"
	"github.com/haixi-hrss/fundledger/domain/calendar"
	"github.com/haixi-hrss/fundledger/domain/claim"
	"github.com/haixi-hrss/fundledger/domain/eligibility"
	"github.com/haixi-hrss/fundledger/domain/fund"
	"github.com/haixi-hrss/fundledger/domain/money"
	"github.com/haixi-hrss/fundledger/domain/policy"
	"github.com/haixi-hrss/fundledger/domain/programme"
	"github.com/haixi-hrss/fundledger/domain/region"
	roles "github.com/haixi-hrss/fundledger/domain/role"
	"github.com/haixi-hrss/fundledger/domain/uniqueness"
	"github.com/shopspring/decimal"
)

var effective = calendar.MustParse("2025-02-15")

// policyFor returns a valid version of p in force on effective: two
// approvers above 10,000.00 yuan, five working days of disclosure.
func policyFor(p programme.Code) policy.Version {
	v := policy.Version{ID: "sim-2025", Programme: p, EffectiveFrom: calendar.MustParse("2025-01-01"),
		Document: "人社部发〔2024〕40号", DisclosureWorkingDays: 5, TwoApproverThreshold: money.Yuan(10000)}
	half := decimal.RequireFromString("0.5")
	switch p {
	case programme.Absorption:
		v.Absorption = &policy.Absorption{MaxMonths: 36, NearRetirementYears: 5, HardshipCategories: []string{"disabled"}}
	case programme.VocationalTraining:
		v.Training = &policy.Training{MaxPerPerson: 3, AdvanceShare: half, PlacementMonths: 6, PlacedShare: decimal.NewFromInt(1), UnplacedShare: half}
	default:
		v.StartUp = &policy.StartUp{Amount: money.Yuan(5000), MinOperatingMonths: 12, GraduationWindowYears: 2, EligibleGroups: []string{"graduate"}}
	}
	return v
}

// step runs one operation chosen by the source, then checks every
// invariant.
func (x *sim) step(src *source) {
	x.t.Helper()
	x.at = x.at.Add(7 * time.Hour)
	switch op := src.byte() % 20; op {
	case 0, 1:
		x.receive(src)
	case 2, 3:
		x.allocate(src)
	case 4:
		x.finishProcess(src)
	case 5:
		x.deallocate(src)
	case 6, 7:
		x.submit(src)
	case 8:
		x.probeBudget(src)
	default:
		if len(x.claims) > 0 {
			x.advanceClaim(src, x.pickClaim(src))
		}
	}
	x.checkInvariants()
}

func (x *sim) receive(src *source) {
	doc := fmt.Sprintf("财社〔2025〕%d号", 1+src.intn(40))
	amount := fen(src.fen(5_000_000_00))
	_, dup := x.fund.state.Documents[doc]
	x.logf("receive %s %s", doc, amount)
	_, err := x.fund.do(x, fund.ReceiveTransfer{Document: doc, Amount: amount, Source: "青海省财政厅", ReceivedOn: x.today(),
		Actor: "admin", Role: roles.Administrator, At: x.at})
	if (err == nil) == dup {
		x.failf("transfer %s (already received: %v) decided %v", doc, dup, err)
	}
	if err == nil {
		x.received = x.received.Add(amount)
	}
}

func (x *sim) allocate(src *source) {
	i := src.intn(len(x.lines))
	unallocated := x.fund.state.Unallocated()
	amount := src.near(unallocated)
	id := x.id("alloc")
	x.logf("allocate %s %s to line %d (unallocated %s)", id, amount, i, unallocated)
	events, err := x.fund.do(x, fund.Allocate{AllocationID: id, Programme: x.specs[i].programme,
		Region: region.Golmud, Amount: amount, Actor: "admin", Role: roles.Administrator, At: x.at})
	if fits := !amount.GreaterThan(unallocated); (err == nil) != fits {
		x.failf("allocating %s of %s unallocated decided %v", amount, unallocated, err)
	}
	if err != nil {
		return
	}
	a := events[0].(*fund.Allocated)
	x.pendingAlloc = append(x.pendingAlloc, budget.RecordAllocation{AllocationID: a.AllocationID, BudgetLineID: a.BudgetLineID,
		FundID: a.FundID, Programme: a.Programme, Region: a.Region, FiscalYear: a.FiscalYear, Amount: a.Amount,
		Actor: "admin", Role: roles.Administrator, At: x.at})
	if src.byte()%4 != 0 {
		x.finishAllocation(len(x.pendingAlloc) - 1)
	}
}

// finishProcess completes a step in flight, or repeats a finished one (an
// allocation, a revocation, or a budget step a claim caused), which must
// decide nothing: the ledger retries steps after a crash.
func (x *sim) finishProcess(src *source) {
	switch src.byte() % 5 {
	case 0:
		if n := len(x.pendingAlloc); n > 0 {
			x.finishAllocation(src.intn(n))
		}
	case 1:
		if n := len(x.pendingRevoke); n > 0 {
			x.finishRevocation(src.intn(n))
		}
	case 2:
		if n := len(x.finishedAlloc); n > 0 {
			cmd := x.finishedAlloc[src.intn(n)]
			x.logf("repeat allocation %s", cmd.AllocationID)
			if events := x.lines[x.lineIndex(cmd.BudgetLineID)].must(x, cmd); len(events) != 0 {
				x.failf("repeating allocation %s decided %d events", cmd.AllocationID, len(events))
			}
		}
	case 4:
		if n := len(x.steps); n > 0 {
			step := x.steps[src.intn(n)]
			x.logf("repeat %T on line %d", step.cmd, step.line)
			if events := x.lines[step.line].must(x, step.cmd); len(events) != 0 {
				x.failf("repeating %+v decided %d events", step.cmd, len(events))
			}
		}
	default:
		if n := len(x.finishedRevoke); n > 0 {
			cmd := x.finishedRevoke[src.intn(n)]
			x.logf("repeat revocation %s", cmd.RevocationID)
			if events := x.fund.must(x, cmd); len(events) != 0 {
				x.failf("repeating revocation %s decided %d events", cmd.RevocationID, len(events))
			}
		}
	}
}

func (x *sim) finishAllocation(k int) {
	cmd := x.pendingAlloc[k]
	x.pendingAlloc = append(x.pendingAlloc[:k:k], x.pendingAlloc[k+1:]...)
	x.logf("finish allocation %s", cmd.AllocationID)
	x.lines[x.lineIndex(cmd.BudgetLineID)].must(x, cmd)
	x.finishedAlloc = append(x.finishedAlloc, cmd)
}

func (x *sim) finishRevocation(k int) {
	r := x.pendingRevoke[k]
	x.pendingRevoke = append(x.pendingRevoke[:k:k], x.pendingRevoke[k+1:]...)
	x.logf("finish revocation %s", r.cmd.RevocationID)
	x.fund.must(x, r.cmd)
	x.finishedRevoke = append(x.finishedRevoke, r.cmd)
}

// finishAll completes every process step in flight.
func (x *sim) finishAll() {
	for _, cmd := range x.pendingAlloc {
		x.lines[x.lineIndex(cmd.BudgetLineID)].must(x, cmd)
	}
	for _, r := range x.pendingRevoke {
		x.fund.must(x, r.cmd)
	}
	x.pendingAlloc, x.pendingRevoke = nil, nil
	x.checkInvariants()
}

func (x *sim) lineIndex(id string) int {
	for i, s := range x.specs {
		if s.id == id {
			return i
		}
	}
	x.failf("no line %s", id)
	return -1
}

func (x *sim) deallocate(src *source) {
	i := src.intn(len(x.lines))
	l := x.lines[i]
	available, opened := l.state.Available(), l.state.Opened
	amount := src.near(available)
	id := x.id("revoke")
	x.logf("deallocate %s %s from line %d (available %s)", id, amount, i, available)
	_, err := l.do(x, budget.Deallocate{RevocationID: id, Amount: amount, Reason: "slow execution", Actor: "admin", Role: roles.Administrator, At: x.at})
	if fits := opened && !amount.GreaterThan(available); (err == nil) != fits {
		x.failf("deallocating %s of %s available (line opened: %v) decided %v", amount, available, opened, err)
	}
	if err == nil {
		x.pendingRevoke = append(x.pendingRevoke, pendingRevocation{line: i, cmd: fund.RecordRevocation{RevocationID: id,
			BudgetLineID: x.specs[i].id, Amount: amount, Reason: "slow execution", Actor: "admin", Role: roles.Administrator, At: x.at}})
		if src.byte()%4 != 0 {
			x.finishRevocation(len(x.pendingRevoke) - 1)
		}
	}
}

func (x *sim) submit(src *source) {
	if len(x.claims) >= maxClaims {
		return
	}
	i := src.intn(len(x.lines))
	id := x.id("c")
	c := &agg[claim.State, claim.Command]{name: "claim " + id, decide: claim.Decide, evolve: claim.Evolve, decode: claim.Decode}
	x.logf("submit %s on line %d", id, i)
	c.must(x, claim.Submit{ClaimID: id, Programme: x.specs[i].programme,
		Beneficiary: claim.Beneficiary{Kind: claim.Employer, Ref: "91350100M000100Y43"},
		Region:      region.Golmud, BudgetLineID: x.specs[i].id, EffectiveDate: effective,
		UniquenessKeys: []uniqueness.Key{{Rule: "sim", Value: id}}, Actor: "clerk1", Role: roles.Clerk, At: x.at})
	x.claims = append(x.claims, c)
	x.claimLine = append(x.claimLine, i)
}

// probeBudget asks a budget line for one fen more than a bound allows;
// the line must refuse and stay as it was.
func (x *sim) probeBudget(src *source) {
	i := src.intn(len(x.lines))
	l := x.lines[i]
	claimID := fmt.Sprintf("c%d", 1+src.intn(x.nextID+1))
	h := l.state.Claims[claimID]
	one := fen(1)
	var cmd budget.Command
	switch src.byte() % 5 {
	case 0:
		cmd = budget.Reserve{ReservationID: x.id("probe"), ClaimID: "ghost", Amount: l.state.Available().Add(one), Actor: "appr1", Role: roles.Approver, At: x.at}
	case 1:
		cmd = budget.Spend{PaymentID: x.id("probe"), ClaimID: claimID, Amount: h.Pending.Add(one), Actor: "tre1", Role: roles.Treasurer, At: x.at}
	case 2:
		cmd = budget.Release{ReleaseID: x.id("probe"), ClaimID: claimID, Amount: h.Pending.Add(one), Reason: "probe", Actor: "tre1", Role: roles.Treasurer, At: x.at}
	case 3:
		cmd = budget.Recover{RecoveryID: x.id("probe"), ClaimID: claimID, Amount: h.Spent.Sub(h.Recovered).Add(one), Reason: "probe", Actor: "tre1", Role: roles.Treasurer, At: x.at}
	default:
		cmd = budget.Deallocate{RevocationID: x.id("probe"), Amount: l.state.Available().Add(one), Reason: "probe", Actor: "admin", Role: roles.Administrator, At: x.at}
	}
	x.logf("probe line %d with %T", i, cmd)
	if _, err := l.do(x, cmd); err == nil {
		x.failf("line %d accepted %+v, one fen beyond its bound", i, cmd)
	}
}

// assess builds an assessment under the simulation's policy.
func assess(p programme.Code, amount money.Amount, eligible bool) eligibility.Assessment {
	var r eligibility.Recorder
	r.Require("sim-rule", eligible, "simulated rule")
	return r.Assess(p, "sim-2025", effective, amount)
}
