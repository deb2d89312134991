package claim

import (
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/haixi-hrss/fundledger/domain"
	"github.com/haixi-hrss/fundledger/domain/aggregatetest"
	"github.com/haixi-hrss/fundledger/domain/calendar"
	"github.com/haixi-hrss/fundledger/domain/eligibility"
	"github.com/haixi-hrss/fundledger/domain/money"
	"github.com/haixi-hrss/fundledger/domain/policy"
	"github.com/haixi-hrss/fundledger/domain/programme"
	"github.com/haixi-hrss/fundledger/domain/region"
	"github.com/haixi-hrss/fundledger/domain/role"
	"github.com/haixi-hrss/fundledger/domain/uniqueness"
	"github.com/shopspring/decimal"
)

var (
	at        = time.Date(2025, 3, 3, 9, 0, 0, 0, time.UTC)
	effective = calendar.MustParse("2025-02-15")
	// monday starts disclosure; five working days later is the next Monday.
	monday   = calendar.MustParse("2025-03-03")
	person   = "3f1c2b7a9d8e6f5a4b3c2d1e0f9a8b7c6d5e4f3a2b1c0d9e8f7a6b5c4d3e2f1a"
	employer = "91350100M000100Y43"
)

func newLog(t *testing.T) *aggregatetest.Log[State, Command] {
	return aggregatetest.New(t, aggregatetest.Aggregate[State, Command]{Decide: Decide, Evolve: Evolve, Decode: Decode})
}

func submit(p programme.Code) Submit {
	b := Beneficiary{Kind: Person, Ref: person}
	if p == programme.Stabilization || p == programme.Expansion || p == programme.Absorption {
		b = Beneficiary{Kind: Employer, Ref: employer}
	}
	return Submit{ClaimID: "c1", Programme: p, Beneficiary: b, Region: region.Golmud, BudgetLineID: "line1",
		EffectiveDate: effective, UniquenessKeys: []uniqueness.Key{{Rule: "test-once", Value: person}},
		Actor: "clerk1", Role: role.Clerk, At: at}
}

// version returns a valid policy version of p in force from 2025-01-01:
// five working days of disclosure, two approvers above 10,000.00 yuan.
func version(p programme.Code) policy.Version {
	v := policy.Version{ID: "test-2025", Programme: p, EffectiveFrom: calendar.MustParse("2025-01-01"),
		Document: "人社部发〔2024〕40号", DisclosureWorkingDays: 5, TwoApproverThreshold: money.Yuan(10000)}
	half := decimal.RequireFromString("0.5")
	switch p {
	case programme.Absorption:
		v.Absorption = &policy.Absorption{MaxMonths: 36, NearRetirementYears: 5, HardshipCategories: []string{"disabled"}}
	case programme.VocationalTraining:
		v.Training = &policy.Training{MaxPerPerson: 3, AdvanceShare: half, PlacementMonths: 6, PlacedShare: decimal.NewFromInt(1), UnplacedShare: half}
	case programme.StartUp:
		v.StartUp = &policy.StartUp{Amount: money.Yuan(5000), MinOperatingMonths: 12, GraduationWindowYears: 2, EligibleGroups: []string{"graduate"}}
	default:
		panic(fmt.Sprintf("no test policy for %s", p))
	}
	return v
}

func assessment(p programme.Code, amount string, eligible bool) eligibility.Assessment {
	var r eligibility.Recorder
	r.Require("test-rule", eligible, "the test rule")
	return r.Assess(p, "test-2025", effective, money.MustParse(amount))
}

func check(p programme.Code, amount string, schedule ...Planned) Check {
	return Check{Assessment: assessment(p, amount, true), Policy: version(p), Schedule: schedule,
		Actor: "clerk1", Role: role.Clerk, At: at}
}

func approve(actor string) Approve {
	return Approve{Reason: "evidence complete", Actor: actor, Role: role.Approver, At: at}
}

func months(n int, each string) []Planned {
	plan := make([]Planned, n)
	for i := range plan {
		plan[i] = Planned{Label: calendar.MustParse("2025-01-01").AddMonths(i).String()[:7], Amount: money.MustParse(each)}
	}
	return plan
}

// checkedLog returns a log of a checked start-up claim of amount.
func checkedLog(t *testing.T, amount string) *aggregatetest.Log[State, Command] {
	l := newLog(t)
	l.Must(submit(programme.StartUp))
	l.Must(check(programme.StartUp, amount))
	return l
}

// disclosedLog returns a log of a claim of p that is approved by one
// approver and disclosed.
func disclosedLog(t *testing.T, p programme.Code, amount string, schedule ...Planned) *aggregatetest.Log[State, Command] {
	l := newLog(t)
	l.Must(submit(p))
	l.Must(check(p, amount, schedule...))
	l.Must(approve("appr1"))
	l.Must(StartDisclosure{On: monday, Masked: "6328**********1230", Actor: "clerk1", Role: role.Clerk, At: at})
	l.Must(CompleteDisclosure{On: monday.AddDays(7), Actor: "clerk1", Role: role.Clerk, At: at})
	return l
}

func release(n int, id string) ReleasePayment {
	return ReleasePayment{Instalment: n, PaymentID: id, Actor: "tre1", Role: role.Treasurer, At: at}
}

func paid(n int, id string) RecordPaymentResult {
	return RecordPaymentResult{Instalment: n, PaymentID: id, Paid: true, BankRef: "B-" + id, On: monday.AddDays(9), Actor: "tre1", Role: role.Treasurer, At: at}
}

func failed(n int, id string) RecordPaymentResult {
	return RecordPaymentResult{Instalment: n, PaymentID: id, Reason: "account closed", On: monday.AddDays(9), Actor: "tre1", Role: role.Treasurer, At: at}
}

func wantRule(t *testing.T, err error, target error, rule string) {
	t.Helper()
	var fe *domain.FieldError
	var re *domain.RuleError
	switch {
	case !errors.Is(err, target):
		t.Fatalf("error = %v, want %v with rule %s", err, target, rule)
	case errors.As(err, &fe) && fe.Rule != rule, errors.As(err, &re) && re.Rule != rule:
		t.Fatalf("error = %v, want rule %s", err, rule)
	}
}

func wantStatus(t *testing.T, s State, want Status) {
	t.Helper()
	if s.Status != want {
		t.Fatalf("status = %s, want %s", s.Status, want)
	}
}
