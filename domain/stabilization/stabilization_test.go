package stabilization

import (
	"encoding/json"
	"errors"
	"testing"

	"github.com/haixi-hrss/fundledger/domain"
	"github.com/haixi-hrss/fundledger/domain/calendar"
	"github.com/haixi-hrss/fundledger/domain/eligibility"
	"github.com/haixi-hrss/fundledger/domain/money"
	"github.com/haixi-hrss/fundledger/domain/policy"
	"github.com/haixi-hrss/fundledger/domain/programme"
	"github.com/haixi-hrss/fundledger/domain/uniqueness"
	"github.com/shopspring/decimal"
)

const validCode = "91350100M000100Y43"

func version(t *testing.T, day string) policy.Version {
	t.Helper()
	vs, err := policy.Seed()
	if err != nil {
		t.Fatal(err)
	}
	v, err := policy.Select(vs, programme.Stabilization, calendar.MustParse(day))
	if err != nil {
		t.Fatal(err)
	}
	return v
}

// sme is an eligible SME: 50 staff, 2 claimants over 50 on average (4 %).
func sme() Facts {
	return Facts{
		Employer: validCode, Year: 2025, InsuredStaff: 50, PremiumMonthsPaidInFull: 12,
		PremiumsPaidLastYear: money.MustParse("100000.00"),
		NewUIClaimants:       2, AverageMonthlyInsured: decimal.NewFromInt(50),
		InsuredLastYearEnd: 50, InsuredThisYearEnd: 50,
	}
}

func headcountDecline(v policy.Version) policy.Version {
	p := *v.Stabilization
	p.LayoffFormula = policy.LayoffHeadcountDecline
	v.Stabilization = &p
	return v
}

func TestAssess(t *testing.T) {
	v24, v25 := version(t, "2024-06-01"), version(t, "2025-06-01")
	tests := []struct {
		name     string
		v        policy.Version
		edit     func(*Facts)
		eligible bool
		review   bool
		amount   string
		failed   string
	}{
		{"SME 60%", v24, func(*Facts) {}, true, false, "60000.00", ""},
		{"299 staff is an SME", v24, func(f *Facts) { f.InsuredStaff, f.AverageMonthlyInsured = 299, decimal.NewFromInt(299) }, true, false, "60000.00", ""},
		{"exactly 300 staff is large: 30%", v24, func(f *Facts) { f.InsuredStaff, f.AverageMonthlyInsured = 300, decimal.NewFromInt(300) }, true, false, "30000.00", ""},
		{"2025 SME with a year of reserves: 90%", v25, func(f *Facts) { f.ProvinceReservesOneYear = true }, true, false, "90000.00", ""},
		{"2025 SME without reserves: 60%", v25, func(*Facts) {}, true, false, "60000.00", ""},
		{"2025 large with reserves stays 30%", v25, func(f *Facts) {
			f.InsuredStaff, f.AverageMonthlyInsured, f.ProvinceReservesOneYear = 400, decimal.NewFromInt(400), true
		}, true, false, "30000.00", ""},
		{"2024 has no reserves rate", v24, func(f *Facts) { f.ProvinceReservesOneYear = true }, true, false, "60000.00", ""},
		{"rounding half-up once: 100.05 × 30% = 30.015", v24, func(f *Facts) {
			f.InsuredStaff, f.AverageMonthlyInsured, f.PremiumsPaidLastYear = 300, decimal.NewFromInt(300), money.MustParse("100.05")
		}, true, false, "30.02", ""},
		{"11 premium months", v24, func(f *Facts) { f.PremiumMonthsPaidInFull = 11 }, false, false, "0.00", RulePremiumMonths},
		{"layoff rate exactly 5.5%", v24, func(f *Facts) {
			f.InsuredStaff, f.NewUIClaimants, f.AverageMonthlyInsured = 200, 11, decimal.NewFromInt(200)
		}, true, false, "60000.00", ""},
		{"layoff rate 6% with 200 staff", v24, func(f *Facts) {
			f.InsuredStaff, f.NewUIClaimants, f.AverageMonthlyInsured = 200, 12, decimal.NewFromInt(200)
		}, false, false, "0.00", RuleLayoffRate},
		{"fractional average at the limit", v24, func(f *Facts) {
			f.InsuredStaff, f.NewUIClaimants, f.AverageMonthlyInsured = 101, 11, decimal.RequireFromString("200.00")
		}, true, false, "60000.00", ""},
		{"exactly 30 staff, exactly 20%", v24, func(f *Facts) {
			f.InsuredStaff, f.NewUIClaimants, f.AverageMonthlyInsured = 30, 6, decimal.NewFromInt(30)
		}, true, false, "60000.00", ""},
		{"30 staff, 23%", v24, func(f *Facts) {
			f.InsuredStaff, f.NewUIClaimants, f.AverageMonthlyInsured = 30, 7, decimal.NewFromInt(30)
		}, false, false, "0.00", RuleLayoffRate},
		{"31 staff, 19% is over 5.5%", v24, func(f *Facts) {
			f.InsuredStaff, f.NewUIClaimants, f.AverageMonthlyInsured = 31, 6, decimal.NewFromInt(31)
		}, false, false, "0.00", RuleLayoffRate},
		{"no insured staff", v24, func(f *Facts) { f.NewUIClaimants, f.AverageMonthlyInsured = 0, decimal.Zero }, false, false, "0.00", RuleLayoffRate},
		{"seriously dishonest", v24, func(f *Facts) { f.SeriouslyDishonest = true }, false, false, "0.00", RuleNotDishonest},
		{"no premiums paid", v24, func(f *Facts) { f.PremiumsPaidLastYear = money.Amount{} }, false, false, "0.00", RulePremiumsPaid},
		{"credit code fails its check: review", v24, func(f *Facts) { f.Employer = "91350100M000100Y44" }, false, true, "60000.00", RuleCreditCode},
		{"decline formula: exactly 5.5%", headcountDecline(v24), func(f *Facts) {
			f.InsuredStaff, f.InsuredLastYearEnd, f.InsuredThisYearEnd, f.NewUIClaimants = 189, 200, 189, 100
		}, true, false, "60000.00", ""},
		{"decline formula: 6%", headcountDecline(v24), func(f *Facts) {
			f.InsuredStaff, f.InsuredLastYearEnd, f.InsuredThisYearEnd = 188, 200, 188
		}, false, false, "0.00", RuleLayoffRate},
		{"decline formula: growth is no layoff", headcountDecline(v24), func(f *Facts) {
			f.InsuredLastYearEnd, f.InsuredThisYearEnd, f.NewUIClaimants = 40, 50, 40
		}, true, false, "60000.00", ""},
		{"decline formula: 25 → 20 staff is 20%", headcountDecline(v24), func(f *Facts) {
			f.InsuredStaff, f.InsuredLastYearEnd, f.InsuredThisYearEnd = 20, 25, 20
		}, true, false, "60000.00", ""},
		{"decline formula: new unit", headcountDecline(v24), func(f *Facts) { f.InsuredLastYearEnd = 0 }, false, false, "0.00", RuleLayoffRate},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := sme()
			tt.edit(&f)
			day := tt.v.EffectiveFrom.AddDays(100)
			a, err := Assess(tt.v, day, f)
			if err != nil {
				t.Fatal(err)
			}
			if a.Eligible != tt.eligible || a.NeedsManualReview != tt.review || a.Amount.String() != tt.amount {
				t.Fatalf("Assess = eligible %v review %v amount %s; checks %+v", a.Eligible, a.NeedsManualReview, a.Amount, a.Checks)
			}
			assertFailed(t, a, tt.failed)
			if a.PolicyVersion != tt.v.ID || a.Programme != programme.Stabilization || a.EffectiveDate != day {
				t.Fatalf("context = %s %s %s", a.PolicyVersion, a.Programme, a.EffectiveDate)
			}
		})
	}
}

func assertFailed(t *testing.T, a eligibility.Assessment, rule string) {
	t.Helper()
	failed := a.Failed()
	if rule == "" {
		if len(failed) != 0 {
			t.Fatalf("failed = %+v, want none", failed)
		}
		return
	}
	if len(failed) != 1 || failed[0].Rule != rule {
		t.Fatalf("failed = %+v, want only %s", failed, rule)
	}
}

func TestAssessRefusesBadInput(t *testing.T) {
	v := version(t, "2024-06-01")
	neg := sme()
	neg.InsuredStaff = -1
	noYear := sme()
	noYear.Year = 0
	negPremium := sme()
	negPremium.PremiumsPaidLastYear = money.MustParse("-1")
	for name, f := range map[string]Facts{"negative staff": neg, "no year": noYear, "negative premiums": negPremium} {
		if _, err := Assess(v, calendar.MustParse("2024-06-01"), f); !errors.Is(err, domain.ErrInvalid) {
			t.Errorf("%s: error = %v, want ErrInvalid", name, err)
		}
	}
	if _, err := Assess(v, calendar.MustParse("2025-01-01"), sme()); !errors.Is(err, domain.ErrRejected) {
		t.Errorf("version out of force: error = %v, want ErrRejected", err)
	}
	vs, _ := policy.Seed()
	other, _ := policy.Select(vs, programme.Expansion, calendar.MustParse("2024-06-01"))
	if _, err := Assess(other, calendar.MustParse("2024-06-01"), sme()); !errors.Is(err, domain.ErrInvalid) {
		t.Errorf("expansion version: error = %v, want ErrInvalid", err)
	}
}

func TestKeys(t *testing.T) {
	f := sme()
	got := Keys(f)
	if len(got) != 1 || got[0] != (uniqueness.Key{Rule: KeyEmployerYear, Value: validCode + "|2025"}) {
		t.Fatalf("Keys = %+v", got)
	}
	f.Year = 2026
	if Keys(f)[0].Stream() == got[0].Stream() {
		t.Fatal("another year must reserve another stream")
	}
}

func TestFactsJSONRoundTrip(t *testing.T) {
	f := sme()
	f.AverageMonthlyInsured = decimal.RequireFromString("49.75")
	b, err := json.Marshal(f)
	if err != nil {
		t.Fatal(err)
	}
	var back Facts
	if err := json.Unmarshal(b, &back); err != nil {
		t.Fatal(err)
	}
	v := version(t, "2024-06-01")
	a1, _ := Assess(v, calendar.MustParse("2024-06-01"), f)
	a2, _ := Assess(v, calendar.MustParse("2024-06-01"), back)
	if !back.AverageMonthlyInsured.Equal(f.AverageMonthlyInsured) || !back.PremiumsPaidLastYear.Equal(f.PremiumsPaidLastYear) || !a1.Amount.Equal(a2.Amount) || a1.Amount.IsZero() {
		t.Fatalf("round trip changed the facts: %s", b)
	}
}
