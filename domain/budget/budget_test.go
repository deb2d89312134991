package budget

import (
	"errors"
	"testing"
	"time"

	"github.com/haixi-hrss/fundledger/domain"
	"github.com/haixi-hrss/fundledger/domain/aggregatetest"
	"github.com/haixi-hrss/fundledger/domain/money"
	"github.com/haixi-hrss/fundledger/domain/programme"
	"github.com/haixi-hrss/fundledger/domain/region"
	"github.com/haixi-hrss/fundledger/domain/role"
)

var at = time.Date(2025, 3, 3, 9, 0, 0, 0, time.UTC)

var line = LineID("f1", programme.VocationalTraining, region.Golmud, 2025)

func newLog(t *testing.T) *aggregatetest.Log[State, Command] {
	return aggregatetest.New(t, aggregatetest.Aggregate[State, Command]{Decide: Decide, Evolve: Evolve, Decode: Decode})
}

func allocation(id, amount string) RecordAllocation {
	return RecordAllocation{AllocationID: id, BudgetLineID: line, FundID: "f1", Programme: programme.VocationalTraining,
		Region: region.Golmud, FiscalYear: 2025, Amount: money.MustParse(amount), Actor: "admin1", Role: role.Administrator, At: at}
}

func reserve(id, claim, amount string) Reserve {
	return Reserve{ReservationID: id, ClaimID: claim, Amount: money.MustParse(amount), Actor: "appr1", Role: role.Approver, At: at}
}

func spend(id, claim, amount string) Spend {
	return Spend{PaymentID: id, ClaimID: claim, Amount: money.MustParse(amount), Actor: "tre1", Role: role.Treasurer, At: at}
}

func release(id, claim, amount string) Release {
	return Release{ReleaseID: id, ClaimID: claim, Amount: money.MustParse(amount), Reason: "rejected", Actor: "appr1", Role: role.Approver, At: at}
}

func recoverFunds(id, claim, amount string) Recover {
	return Recover{RecoveryID: id, ClaimID: claim, Amount: money.MustParse(amount), Reason: "fraudulent", Actor: "tre1", Role: role.Treasurer, At: at}
}

// allocated returns a log of a line holding 1,000.00 yuan.
func allocated(t *testing.T) *aggregatetest.Log[State, Command] {
	l := newLog(t)
	l.Must(allocation("a1", "1000.00"))
	return l
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

// balances checks the line's figures and the conservation law.
func balances(t *testing.T, s State, allocatedYuan, reserved, spent, recovered, available string) {
	t.Helper()
	for _, f := range []struct {
		name      string
		got, want money.Amount
	}{
		{"allocated", s.Allocated, money.MustParse(allocatedYuan)},
		{"reserved", s.Reserved, money.MustParse(reserved)},
		{"spent", s.Spent, money.MustParse(spent)},
		{"recovered", s.Recovered, money.MustParse(recovered)},
		{"available", s.Available(), money.MustParse(available)},
	} {
		if !f.got.Equal(f.want) {
			t.Errorf("%s = %s, want %s", f.name, f.got, f.want)
		}
	}
	if sum := s.Available().Add(s.Reserved).Add(s.Spent).Sub(s.Recovered); !sum.Equal(s.Allocated) {
		t.Errorf("available + reserved + spent − recovered = %s, allocated %s", sum, s.Allocated)
	}
}

func TestRecordAllocationOpensLine(t *testing.T) {
	l := newLog(t)
	events := l.Must(allocation("a1", "600"))
	if len(events) != 2 || events[0].EventType() != "BudgetLineOpened" || events[1].EventType() != "BudgetAllocated" {
		t.Fatalf("first allocation decided %v", events)
	}
	if events := l.Must(allocation("a1", "600")); len(events) != 0 {
		t.Fatalf("repeated allocation a1 decided %d events, want none", len(events))
	}
	_, err := l.Do(allocation("a1", "700"))
	wantRule(t, err, domain.ErrRejected, "operation-id-reused")
	other := allocation("a2", "1")
	other.Region = region.Dulan
	_, err = l.Do(other)
	wantRule(t, err, domain.ErrRejected, "budget-line-key")
	clerk := allocation("a3", "1")
	clerk.Role = "clerk"
	_, err = l.Do(clerk)
	wantRule(t, err, domain.ErrRejected, "role-administrator")
	l.Must(allocation("a2", "400"))
	balances(t, l.State, "1000", "0", "0", "0", "1000")
}

func TestReserveOnlyFromAvailable(t *testing.T) {
	tests := []struct {
		name   string
		cmd    Reserve
		target error
		rule   string
	}{
		{"exactly available", reserve("r1", "c1", "1000.00"), nil, ""},
		{"one fen over", reserve("r1", "c1", "1000.01"), domain.ErrRejected, "budget-available"},
		{"zero", reserve("r1", "c1", "0"), domain.ErrInvalid, "positive"},
		{"no claim", reserve("r1", "", "1"), domain.ErrInvalid, "required"},
		{"no reservation ID", reserve("", "c1", "1"), domain.ErrInvalid, "required"},
		{"treasurer", Reserve{ReservationID: "r1", ClaimID: "c1", Amount: money.Yuan(1), Actor: "t", Role: role.Treasurer, At: at}, domain.ErrRejected, "role-approver"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			l := allocated(t)
			_, err := l.Do(tt.cmd)
			if tt.target == nil {
				if err != nil {
					t.Fatal(err)
				}
				balances(t, l.State, "1000", "1000", "0", "0", "0")
				return
			}
			wantRule(t, err, tt.target, tt.rule)
		})
	}
	t.Run("before any allocation", func(t *testing.T) {
		_, err := newLog(t).Do(reserve("r1", "c1", "1"))
		wantRule(t, err, domain.ErrRejected, "budget-line-opened")
	})
}

func TestReserveTwiceForOneClaim(t *testing.T) {
	l := allocated(t)
	l.Must(reserve("r1", "c1", "300"))
	if events := l.Must(reserve("r1", "c1", "300")); len(events) != 0 {
		t.Fatalf("repeated reservation decided %d events, want none", len(events))
	}
	_, err := l.Do(reserve("r1", "c1", "301"))
	wantRule(t, err, domain.ErrRejected, "operation-id-reused")
	_, err = l.Do(reserve("r2", "c1", "10"))
	wantRule(t, err, domain.ErrRejected, "claim-reserved-once")
	l.Must(release("x1", "c1", "300"))
	l.Must(reserve("r2", "c1", "250"))
	balances(t, l.State, "1000", "250", "0", "0", "750")
}

func TestSpendOnlyWhatIsReserved(t *testing.T) {
	l := allocated(t)
	l.Must(reserve("r1", "c1", "300"))
	l.Must(reserve("r2", "c2", "100"))
	_, err := l.Do(spend("p1", "c1", "300.01"))
	wantRule(t, err, domain.ErrRejected, "spend-within-reservation")
	_, err = l.Do(spend("p1", "c3", "1"))
	wantRule(t, err, domain.ErrRejected, "spend-within-reservation")
	l.Must(spend("p1", "c1", "100"))
	balances(t, l.State, "1000", "300", "100", "0", "600")
	if h := l.State.Claims["c1"]; !h.Pending.Equal(money.Yuan(200)) {
		t.Fatalf("partial spend left %s pending, want the rest (200.00) kept reserved", h.Pending)
	}
	l.Must(spend("p2", "c1", "200"))
	_, err = l.Do(spend("p3", "c1", "0.01"))
	wantRule(t, err, domain.ErrRejected, "spend-within-reservation")
	approver := spend("p3", "c2", "1")
	approver.Role = role.Approver
	_, err = l.Do(approver)
	wantRule(t, err, domain.ErrRejected, "role-treasurer")
	balances(t, l.State, "1000", "100", "300", "0", "600")
}

func TestRelease(t *testing.T) {
	l := allocated(t)
	l.Must(reserve("r1", "c1", "300"))
	_, err := l.Do(release("x1", "c1", "300.01"))
	wantRule(t, err, domain.ErrRejected, "release-within-reservation")
	noReason := release("x1", "c1", "1")
	noReason.Reason = ""
	_, err = l.Do(noReason)
	wantRule(t, err, domain.ErrInvalid, "required")
	clerk := release("x1", "c1", "1")
	clerk.Role = "clerk"
	_, err = l.Do(clerk)
	wantRule(t, err, domain.ErrRejected, "role-approver-or-treasurer")
	l.Must(release("x1", "c1", "300.00"))
	balances(t, l.State, "1000", "0", "0", "0", "1000")
	if !l.State.Released.Equal(money.Yuan(300)) {
		t.Fatalf("released = %s, want 300.00", l.State.Released)
	}
}

func TestRecoverAtMostSpent(t *testing.T) {
	l := allocated(t)
	l.Must(reserve("r1", "c1", "300"))
	l.Must(spend("p1", "c1", "300"))
	_, err := l.Do(recoverFunds("k1", "c1", "300.01"))
	wantRule(t, err, domain.ErrRejected, "recover-within-spent")
	l.Must(recoverFunds("k1", "c1", "100"))
	_, err = l.Do(recoverFunds("k2", "c1", "200.01"))
	wantRule(t, err, domain.ErrRejected, "recover-within-spent")
	l.Must(recoverFunds("k2", "c1", "200"))
	balances(t, l.State, "1000", "0", "300", "300", "1000")
	_, err = l.Do(recoverFunds("k3", "c2", "1"))
	wantRule(t, err, domain.ErrRejected, "recover-within-spent")
}

func TestDeallocateOnlyUnreserved(t *testing.T) {
	l := allocated(t)
	l.Must(reserve("r1", "c1", "300"))
	dealloc := Deallocate{RevocationID: "v1", Amount: money.MustParse("700.01"), Reason: "slow execution", Actor: "admin1", Role: role.Administrator, At: at}
	_, err := l.Do(dealloc)
	wantRule(t, err, domain.ErrRejected, "budget-available")
	dealloc.Amount = money.MustParse("700.00")
	l.Must(dealloc)
	balances(t, l.State, "300", "300", "0", "0", "0")
	if events := l.Must(dealloc); len(events) != 0 {
		t.Fatalf("repeated revocation decided %d events, want none", len(events))
	}
}

func TestFoldMatchesEvolve(t *testing.T) {
	l := allocated(t)
	l.Must(reserve("r1", "c1", "300"))
	l.Must(spend("p1", "c1", "120.50"))
	l.Must(recoverFunds("k1", "c1", "20.50"))
	l.Must(release("x1", "c1", "179.50"))
	want := aggregatetest.Canonical(t, l.State)
	if got := aggregatetest.Canonical(t, Fold(l.History)); string(got) != string(want) {
		t.Fatalf("Fold = %s\nEvolve = %s", got, want)
	}
}

// TestFoldFromLeavesItsInputAlone: folding the rest of a history onto a
// state equals folding it all, and the state folded onto is not changed.
func TestFoldFromLeavesItsInputAlone(t *testing.T) {
	l := allocated(t)
	l.Must(reserve("r1", "c1", "300"))
	l.Must(spend("p1", "c1", "120.50"))
	l.Must(reserve("r2", "c2", "100"))
	l.Must(release("x2", "c2", "100"))
	half := Fold(l.History[:2])
	before := aggregatetest.Canonical(t, half)
	got := FoldFrom(half, l.History[2:]...)
	if string(aggregatetest.Canonical(t, got)) != string(aggregatetest.Canonical(t, l.State)) {
		t.Fatalf("FoldFrom = %s\nwant %s", aggregatetest.Canonical(t, got), aggregatetest.Canonical(t, l.State))
	}
	if after := aggregatetest.Canonical(t, half); string(after) != string(before) {
		t.Fatalf("FoldFrom changed its input:\nbefore %s\nafter  %s", before, after)
	}
}
