package employer

import (
	"errors"
	"testing"
	"time"

	"github.com/haixi-hrss/fundledger/domain"
	"github.com/haixi-hrss/fundledger/domain/aggregatetest"
	"github.com/haixi-hrss/fundledger/domain/calendar"
	"github.com/haixi-hrss/fundledger/domain/money"
	"github.com/haixi-hrss/fundledger/domain/region"
	"github.com/haixi-hrss/fundledger/domain/role"
)

var at = time.Date(2025, 3, 3, 9, 0, 0, 0, time.UTC)

func newLog(t *testing.T) *aggregatetest.Log[State, Command] {
	return aggregatetest.New(t, aggregatetest.Aggregate[State, Command]{Decide: Decide, Evolve: Evolve, Decode: Decode})
}

func register(code string) Register {
	return Register{CreditCode: code, Name: "格尔木某化工有限公司", SizeClass: Small, Region: region.Golmud, Actor: "clerk1", Role: role.Clerk, At: at}
}

func registeredLog(t *testing.T) *aggregatetest.Log[State, Command] {
	l := newLog(t)
	l.Must(register("91350100M000100Y43"))
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

func TestRegister(t *testing.T) {
	tests := []struct {
		name       string
		cmd        Register
		target     error
		rule       string
		wantReview bool
	}{
		{"valid code", register("91350100M000100Y43"), nil, "", false},
		{"lower case is upper-cased", register("91350100m000100y43"), nil, "", false},
		{"pilot code failing the check", register("91350100M000100Y44"), nil, "", true},
		{"too short", register("9135010"), domain.ErrInvalid, "credit-code-length", false},
		{"no name", Register{CreditCode: "91350100M000100Y43", SizeClass: Small, Region: region.Golmud, Actor: "c", Role: role.Clerk, At: at}, domain.ErrInvalid, "required", false},
		{"unknown size", Register{CreditCode: "91350100M000100Y43", Name: "x", SizeClass: "huge", Region: region.Golmud, Actor: "c", Role: role.Clerk, At: at}, domain.ErrInvalid, "size-class", false},
		{"approver registers", Register{CreditCode: "91350100M000100Y43", Name: "x", SizeClass: Small, Region: region.Golmud, Actor: "a", Role: role.Approver, At: at}, domain.ErrRejected, "role-clerk", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			l := newLog(t)
			_, err := l.Do(tt.cmd)
			if tt.target != nil {
				wantRule(t, err, tt.target, tt.rule)
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if l.State.NeedsManualReview != tt.wantReview || l.State.UnitType != "enterprise" || l.State.CreditCode[8] != 'M' {
				t.Fatalf("state %+v", l.State)
			}
		})
	}
	l := registeredLog(t)
	_, err := l.Do(register("91350100M000100Y43"))
	wantRule(t, err, domain.ErrRejected, "employer-registered-once")
}

func TestConfirmPilotCode(t *testing.T) {
	l := newLog(t)
	l.Must(register("91350100M000100Y44"))
	confirm := ConfirmCreditCode{Reason: "registry shows a 2015 pilot code", Actor: "appr1", Role: role.Approver, At: at}
	clerk := confirm
	clerk.Role = role.Clerk
	_, err := l.Do(clerk)
	wantRule(t, err, domain.ErrRejected, "role-approver")
	l.Must(confirm)
	if l.State.NeedsManualReview {
		t.Fatal("confirmed code still awaits review")
	}
	_, err = l.Do(confirm)
	wantRule(t, err, domain.ErrRejected, "credit-code-under-review")
}

func TestReportMonth(t *testing.T) {
	l := registeredLog(t)
	month := func(m string, n int, premiums string, correction string) ReportMonth {
		return ReportMonth{Month: m, InsuredHeadcount: n, PremiumsPaid: money.MustParse(premiums), Correction: correction, Actor: "clerk1", Role: role.Clerk, At: at}
	}
	l.Must(month("2024-01", 25, "3120.50", ""))
	l.Must(month("2024-02", 24, "2995.68", ""))
	_, err := l.Do(month("2024-02", 23, "2870.00", ""))
	wantRule(t, err, domain.ErrRejected, "month-reported-once")
	l.Must(month("2024-02", 23, "2870.00", "bank statement corrected"))
	l.Must(month("2025-01", 23, "100.00", ""))
	_, err = l.Do(month("2024-13", 1, "1", ""))
	wantRule(t, err, domain.ErrInvalid, "month")
	_, err = l.Do(month("2024-03", -1, "1", ""))
	wantRule(t, err, domain.ErrInvalid, "not-negative")
	if got := l.State.PremiumsPaidIn(2024); !got.Equal(money.MustParse("5990.50")) {
		t.Fatalf("premiums paid in 2024 = %s, want 5990.50 (the correction replaces February)", got)
	}
	_, err = newLog(t).Do(month("2024-01", 1, "1", ""))
	wantRule(t, err, domain.ErrRejected, "employer-registered")
}

func TestLayoffsAndDishonesty(t *testing.T) {
	l := registeredLog(t)
	l.Must(RecordLayoffs{On: calendar.MustParse("2024-06-30"), Count: 3, Reason: "line closed", Actor: "clerk1", Role: role.Clerk, At: at})
	l.Must(RecordLayoffs{On: calendar.MustParse("2025-01-15"), Count: 1, Reason: "contract ended", Actor: "clerk1", Role: role.Clerk, At: at})
	_, err := l.Do(RecordLayoffs{On: calendar.MustParse("2024-07-01"), Count: 0, Reason: "none", Actor: "clerk1", Role: role.Clerk, At: at})
	wantRule(t, err, domain.ErrInvalid, "positive")
	if got := l.State.LaidOffIn(2024); got != 3 {
		t.Fatalf("laid off in 2024 = %d, want 3", got)
	}
	on := calendar.MustParse("2025-02-01")
	_, err = l.Do(ClearDishonesty{On: on, Reason: "removed", Actor: "clerk1", Role: role.Clerk, At: at})
	wantRule(t, err, domain.ErrRejected, "dishonesty-flag-set")
	_, err = l.Do(FlagDishonesty{On: on, Actor: "clerk1", Role: role.Clerk, At: at})
	wantRule(t, err, domain.ErrInvalid, "required")
	l.Must(FlagDishonesty{On: on, Reason: "listed by the credit authority", Actor: "clerk1", Role: role.Clerk, At: at})
	_, err = l.Do(FlagDishonesty{On: on, Reason: "again", Actor: "clerk1", Role: role.Clerk, At: at})
	wantRule(t, err, domain.ErrRejected, "dishonesty-flag-clear")
	if !l.State.Dishonest || l.State.DishonestReason != "listed by the credit authority" {
		t.Fatalf("state %+v", l.State)
	}
	l.Must(ClearDishonesty{On: on.AddDays(90), Reason: "credit repaired", Actor: "clerk1", Role: role.Clerk, At: at})
	if l.State.Dishonest {
		t.Fatal("flag not cleared")
	}
}
