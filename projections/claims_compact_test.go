package projections

import (
	"encoding/json"
	"slices"
	"sync"
	"testing"
	"time"
	"unsafe"

	"github.com/haixi-hrss/fundledger/domain"
	"github.com/haixi-hrss/fundledger/domain/claim"
	"github.com/haixi-hrss/fundledger/domain/eligibility"
	"github.com/haixi-hrss/fundledger/domain/money"
	"github.com/haixi-hrss/fundledger/eventstore"
)

// TestCompactChecksCutsDetailsFromOneString: the copy has the checks'
// values, its details lie back to back in one string, and the checks it
// was given (a decoded event's, which other models read) are untouched.
func TestCompactChecksCutsDetailsFromOneString(t *testing.T) {
	in := []eligibility.Check{{Rule: "insured-months", Passed: true, Detail: "3 of 3 months"},
		{Rule: "contract", Detail: ""}, {Rule: "graduation", Passed: true, Detail: "毕业 2024-06-30, within 24 months"}}
	was := slices.Clone(in)
	out := compactChecks(in)
	if !slices.Equal(out, was) {
		t.Fatalf("compactChecks = %+v, want %+v", out, was)
	}
	if !slices.Equal(in, was) || unsafe.StringData(in[0].Detail) != unsafe.StringData(was[0].Detail) {
		t.Errorf("the checks given were changed: %+v", in)
	}
	if &out[0] == &in[0] {
		t.Fatal("the copy shares the given checks' array")
	}
	first, third := unsafe.StringData(out[0].Detail), unsafe.StringData(out[2].Detail)
	if unsafe.Add(unsafe.Pointer(first), len(out[0].Detail)) != unsafe.Pointer(third) {
		t.Errorf("the details are not cut from one string")
	}
	if got := compactChecks(nil); got != nil {
		t.Errorf("compactChecks(nil) = %v, want nil", got)
	}
}

// TestAmountTableSharesByValue: equal amounts come out as one value, with
// two decimals whatever the exponent they came with; an unchanged amount
// and any new one past the limit stay as they are.
func TestAmountTableSharesByValue(t *testing.T) {
	tab := amountTable{limit: 2}
	a, b := money.MustParse("1500"), money.MustParse("1500.00")
	tab.share(&a, money.Amount{})
	tab.share(&b, money.Amount{})
	if a != b || a.String() != "1500.00" || !a.Equal(money.Yuan(1500)) {
		t.Errorf("1500 and 1500.00 shared as %#v and %#v", a, b)
	}
	kept := money.MustParse("20.00")
	c := kept
	tab.share(&c, kept)
	if c != kept || len(tab.byFen) != 1 {
		t.Errorf("an unchanged amount was replaced (%d in the table)", len(tab.byFen))
	}
	half := money.MustParse("0.5")
	tab.share(&half, money.Amount{})
	if shared, _ := tab.of(50); half.String() != "0.50" || half != shared || len(tab.byFen) != 2 {
		t.Errorf("0.5 shared as %v (%d in the table)", half, len(tab.byFen))
	}
	past := money.MustParse("7.00")
	kept = past
	tab.share(&past, money.Amount{})
	if past != kept || len(tab.byFen) != 2 {
		t.Errorf("past the limit: %#v, %d in the table, want the amount as it came and 2", past, len(tab.byFen))
	}
	again := money.MustParse("1500.0")
	tab.share(&again, money.Amount{})
	if again != a {
		t.Errorf("past the limit, an amount in the table was not shared: %#v", again)
	}
}

// TestClaimsApplyCompactsWhatTheEventBrings: a claim applied from its
// events holds exactly the state claim.Evolve gives, with its amounts of
// one value shared and its checks copied, and leaves the decoded events,
// which the other models read too, as they were.
func TestClaimsApplyCompactsWhatTheEventBrings(t *testing.T) {
	m := money.MustParse
	sub := &claim.Submitted{ClaimID: "c1", Programme: "expansion", Beneficiary: claim.Beneficiary{Kind: claim.Person, Ref: "ab12"},
		Region: "632801", BudgetLineID: "line-1", By: claim.By{Actor: "clerk-1", Role: "clerk"}}
	chk := &claim.Checked{
		Assessment: eligibility.Assessment{Programme: "expansion", Eligible: true, Amount: m("1500"),
			Checks: []eligibility.Check{{Rule: "contract", Passed: true, Detail: "signed 2025-01-15"}, {Rule: "insured", Passed: true, Detail: "3 months"}}},
		Terms:    claim.Terms{PolicyVersion: "expansion-2025", TwoApproverThreshold: m("50000")},
		Approved: m("1500.00"), Instalments: []claim.Instalment{{Number: 1, Amount: m("1500.0")}},
		By: claim.By{Actor: "system", Role: "system"},
	}
	checks, approved, instalment := slices.Clone(chk.Assessment.Checks), chk.Approved, chk.Instalments[0].Amount
	c := NewClaims()
	var want claim.State
	for i, ev := range []domain.Event{sub, chk} {
		env := &eventstore.Event{Stream: claim.Stream("c1"), Version: uint64(i), RecordedAt: time.Date(2025, 3, 15, 9, 0, i, 0, time.UTC)}
		if err := c.Apply(ev, env); err != nil {
			t.Fatal(err)
		}
		want = claim.Evolve(want, ev)
	}
	e, _ := c.claims.Get("c1")
	got, err := json.Marshal(e.State)
	if err != nil {
		t.Fatal(err)
	}
	if wantJSON, _ := json.Marshal(want); string(got) != string(wantJSON) {
		t.Errorf("state:\n%s\nwant:\n%s", got, wantJSON)
	}
	s := e.State
	if s.Approved != s.Payable || s.Approved != s.Instalments[0].Amount || s.Approved != s.Assessment.Amount {
		t.Errorf("the claim's 1,500.00s are not one value: %#v %#v %#v %#v", s.Approved, s.Payable, s.Instalments[0].Amount, s.Assessment.Amount)
	}
	if &s.Assessment.Checks[0] == &chk.Assessment.Checks[0] {
		t.Error("the claim shares the event's checks")
	}
	if !slices.Equal(chk.Assessment.Checks, checks) || chk.Approved != approved || chk.Instalments[0].Amount != instalment {
		t.Errorf("the event changed: %+v", chk)
	}
}

// TestClaimsApplyLeavesAFrozenImageAlone: entries frozen for a save keep
// their assessment while later events are applied, even though compact
// rewrites the assessment an event brings (only a new one), and the image
// marshals on another goroutine meanwhile (with -race, a write to what it
// reads is reported).
func TestClaimsApplyLeavesAFrozenImageAlone(t *testing.T) {
	m := money.MustParse
	c := NewClaims()
	apply := func(i int, ev domain.Event) {
		env := &eventstore.Event{Stream: claim.Stream("c1"), Version: uint64(i), RecordedAt: time.Date(2025, 3, 15, 9, 0, i, 0, time.UTC)}
		if err := c.Apply(ev, env); err != nil {
			t.Fatal(err)
		}
	}
	apply(0, &claim.Submitted{ClaimID: "c1", Programme: "expansion", Beneficiary: claim.Beneficiary{Kind: claim.Person, Ref: "ab12"},
		Region: "632801", BudgetLineID: "line-1", By: claim.By{Actor: "clerk-1", Role: "clerk"}})
	apply(1, &claim.Checked{
		Assessment: eligibility.Assessment{Programme: "expansion", Eligible: true, Amount: m("1500"),
			Checks: []eligibility.Check{{Rule: "contract", Passed: true, Detail: "signed 2025-01-15"}}},
		Terms: claim.Terms{TwoApproverThreshold: m("50000")}, Approved: m("1500.00"), By: claim.By{Actor: "system", Role: "system"}})
	frozen, _ := c.claims.Get("c1")
	checks, detail := &frozen.State.Assessment.Checks[0], frozen.State.Assessment.Checks[0].Detail
	marshal := c.Freeze()
	var wg sync.WaitGroup
	wg.Go(func() {
		for range 50 {
			if _, err := marshal(); err != nil {
				t.Error(err)
			}
		}
	})
	for i := 2; i < 50; i++ {
		apply(i, &claim.EvidenceRecorded{})
	}
	wg.Wait()
	if &frozen.State.Assessment.Checks[0] != checks || frozen.State.Assessment.Checks[0].Detail != detail {
		t.Error("a frozen entry's assessment was rewritten")
	}
}

// TestClaimsRestoreSeedsTheAmountTable: after a restore, Apply shares an
// amount with the restored claims that hold it.
func TestClaimsRestoreSeedsTheAmountTable(t *testing.T) {
	data, err := fullClaims().MarshalState()
	if err != nil {
		t.Fatal(err)
	}
	c := NewClaims()
	if err := c.UnmarshalState(data); err != nil {
		t.Fatal(err)
	}
	for i, ev := range []domain.Event{
		&claim.Submitted{ClaimID: "c3", Programme: "expansion", By: claim.By{Actor: "clerk-1", Role: "clerk"}},
		&claim.Checked{Approved: money.MustParse("110466"), By: claim.By{Actor: "system", Role: "system"}},
	} {
		env := &eventstore.Event{Stream: claim.Stream("c3"), Version: uint64(i), RecordedAt: time.Date(2025, 3, 15, 9, 0, i, 0, time.UTC)}
		if err := c.Apply(ev, env); err != nil {
			t.Fatal(err)
		}
	}
	restored, _ := c.claims.Get("c1")
	applied, _ := c.claims.Get("c3")
	if applied.State.Approved != restored.State.Approved {
		t.Errorf("110466 applied after a restore is not the restored claim's amount: %#v, %#v", applied.State.Approved, restored.State.Approved)
	}
}
