package absorption

import (
	"errors"
	"strings"
	"testing"

	"github.com/haixi-hrss/fundledger/domain"
	"github.com/haixi-hrss/fundledger/domain/calendar"
	"github.com/haixi-hrss/fundledger/domain/eligibility"
	"github.com/haixi-hrss/fundledger/domain/money"
	"github.com/haixi-hrss/fundledger/domain/policy"
	"github.com/haixi-hrss/fundledger/domain/programme"
)

var d = calendar.MustParse

const person = "cdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcd"

func version(t *testing.T, p programme.Code, day string) policy.Version {
	t.Helper()
	vs, err := policy.Seed()
	if err != nil {
		t.Fatal(err)
	}
	v, err := policy.Select(vs, p, d(day))
	if err != nil {
		t.Fatal(err)
	}
	return v
}

func failedRules(a eligibility.Assessment) string {
	var out []string
	for _, c := range a.Failed() {
		out = append(out, c.Rule)
	}
	return strings.Join(out, ",")
}

func hire() HireFacts {
	return HireFacts{
		Person: person, Employer: "91350100M000100Y43", Category: "zero-employment-family",
		FirstApproval: d("2025-03-10"), RetirementDate: d("2045-01-01"), Month: d("2025-03-31"),
		PensionPremium: money.MustParse("640.00"), MedicalPremium: money.MustParse("300.50"), UnemploymentPremium: money.MustParse("20.01"),
	}
}

func TestAssessHire(t *testing.T) {
	tests := []struct {
		name, amount, failed string
		edit                 func(*HireFacts)
		review               bool
	}{
		{"first month", "960.51", "", func(*HireFacts) {}, false},
		{"36th month", "960.51", "", func(f *HireFacts) { f.Month = d("2028-02-01") }, false},
		{"37th month", "0.00", RuleSubsidyPeriod, func(f *HireFacts) { f.Month = d("2028-03-01") }, false},
		{"month before first approval", "0.00", RuleSubsidyPeriod, func(f *HireFacts) { f.Month = d("2025-02-28") }, false},
		{"retirement exactly 5 years away: to retirement", "960.51", "", func(f *HireFacts) {
			f.RetirementDate, f.Month = d("2030-03-10"), d("2030-03-01")
		}, false},
		{"to retirement, not after", "0.00", RuleSubsidyPeriod, func(f *HireFacts) {
			f.RetirementDate, f.Month = d("2030-03-10"), d("2030-04-01")
		}, false},
		{"retirement 5 years and a day away: 36 months", "0.00", RuleSubsidyPeriod, func(f *HireFacts) {
			f.RetirementDate, f.Month = d("2030-03-11"), d("2028-03-01")
		}, false},
		{"retirement in 2 years ends the subsidy early", "0.00", RuleSubsidyPeriod, func(f *HireFacts) {
			f.RetirementDate, f.Month = d("2027-01-01"), d("2027-01-01")
		}, false},
		{"unrecognised category", "0.00", RuleHardshipCategory, func(f *HireFacts) { f.Category = "student" }, false},
		{"no premiums paid", "0.00", RulePremiumsPaid, func(f *HireFacts) {
			f.PensionPremium, f.MedicalPremium, f.UnemploymentPremium = money.Amount{}, money.Amount{}, money.Amount{}
		}, false},
		{"credit code fails its check", "960.51", RuleCreditCode, func(f *HireFacts) { f.Employer = "91350100M000100Y44" }, true},
	}
	v := version(t, programme.Absorption, "2025-06-01")
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := hire()
			tt.edit(&f)
			a, err := AssessHire(v, d("2025-06-01"), f)
			if err != nil {
				t.Fatal(err)
			}
			if failedRules(a) != tt.failed || a.Amount.String() != tt.amount || a.NeedsManualReview != tt.review || a.Eligible != (tt.failed == "") {
				t.Fatalf("AssessHire = failed %q amount %s review %v eligible %v; checks %+v", failedRules(a), a.Amount, a.NeedsManualReview, a.Eligible, a.Checks)
			}
		})
	}
}

func flexible(g FlexibleGroup) FlexibleFacts {
	f := FlexibleFacts{
		Person: person, Group: g, Registered: true,
		FirstApproval: d("2025-01-15"), RetirementDate: d("2045-01-01"), Month: d("2025-01-01"),
		PremiumsPaid: money.MustParse("1000.00"),
	}
	if g == Hardship {
		f.Category = "low-income"
	} else {
		f.GraduationDate = d("2024-06-30")
	}
	return f
}

func TestAssessFlexible(t *testing.T) {
	tests := []struct {
		name, amount, failed string
		g                    FlexibleGroup
		edit                 func(*FlexibleFacts)
	}{
		{"hardship: two thirds, rounded half-up", "666.67", "", Hardship, func(*FlexibleFacts) {}},
		{"exact third", "200.00", "", Hardship, func(f *FlexibleFacts) { f.PremiumsPaid = money.MustParse("300.00") }},
		{"hardship: 36th month", "666.67", "", Hardship, func(f *FlexibleFacts) { f.Month = d("2027-12-31") }},
		{"hardship: 37th month", "0.00", RuleSubsidyPeriod, Hardship, func(f *FlexibleFacts) { f.Month = d("2028-01-01") }},
		{"hardship near retirement: past 3 years", "666.67", "", Hardship, func(f *FlexibleFacts) {
			f.RetirementDate, f.Month = d("2029-06-30"), d("2029-06-01")
		}},
		{"hardship: category not recognised", "0.00", RuleHardshipCategory, Hardship, func(f *FlexibleFacts) { f.Category = "" }},
		{"graduate: 24th month", "666.67", "", Graduate, func(f *FlexibleFacts) { f.Month = d("2026-12-01") }},
		{"graduate: 25th month", "0.00", RuleSubsidyPeriod, Graduate, func(f *FlexibleFacts) { f.Month = d("2027-01-01") }},
		{"graduate: no near-retirement extension", "0.00", RuleSubsidyPeriod, Graduate, func(f *FlexibleFacts) {
			f.RetirementDate, f.Month = d("2027-06-30"), d("2027-01-01")
		}},
		{"graduate: approved on the window's last day", "666.67", "", Graduate, func(f *FlexibleFacts) {
			f.GraduationDate, f.FirstApproval = d("2023-01-15"), d("2025-01-15")
		}},
		{"graduate: approved the day after", "0.00", RuleGraduationWindow, Graduate, func(f *FlexibleFacts) {
			f.GraduationDate, f.FirstApproval = d("2023-01-14"), d("2025-01-15")
		}},
		{"not registered", "0.00", RuleFlexibleRegistered, Hardship, func(f *FlexibleFacts) { f.Registered = false }},
		{"nothing paid", "0.00", RulePremiumsPaid, Hardship, func(f *FlexibleFacts) { f.PremiumsPaid = money.Amount{} }},
	}
	v := version(t, programme.SocialInsurance, "2025-06-01")
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := flexible(tt.g)
			tt.edit(&f)
			a, err := AssessFlexible(v, d("2025-06-01"), f)
			if err != nil {
				t.Fatal(err)
			}
			if failedRules(a) != tt.failed || a.Amount.String() != tt.amount || a.Eligible != (tt.failed == "") || a.Programme != programme.SocialInsurance {
				t.Fatalf("AssessFlexible = failed %q amount %s eligible %v; checks %+v", failedRules(a), a.Amount, a.Eligible, a.Checks)
			}
		})
	}
}

func TestRefusesBadInput(t *testing.T) {
	abs := version(t, programme.Absorption, "2025-06-01")
	si := version(t, programme.SocialInsurance, "2025-06-01")
	day := d("2025-06-01")
	if _, err := AssessHire(si, day, hire()); !errors.Is(err, domain.ErrInvalid) {
		t.Errorf("hire under the social-insurance version: %v", err)
	}
	if _, err := AssessFlexible(abs, day, flexible(Hardship)); !errors.Is(err, domain.ErrInvalid) {
		t.Errorf("flexible under the absorption version: %v", err)
	}
	if _, err := AssessHire(abs, d("2026-01-01"), hire()); !errors.Is(err, domain.ErrRejected) {
		t.Errorf("version not in force: %v", err)
	}
	h := hire()
	h.MedicalPremium = money.MustParse("-1")
	noMonth := hire()
	noMonth.Month = calendar.Date{}
	for _, f := range []HireFacts{h, noMonth, {Person: "x"}} {
		if _, err := AssessHire(abs, day, f); !errors.Is(err, domain.ErrInvalid) {
			t.Errorf("AssessHire(%+v) error = %v, want ErrInvalid", f, err)
		}
	}
	g := flexible(Graduate)
	g.GraduationDate = calendar.Date{}
	other := flexible(Hardship)
	other.Group = "veteran"
	for _, f := range []FlexibleFacts{g, other} {
		if _, err := AssessFlexible(si, day, f); !errors.Is(err, domain.ErrInvalid) {
			t.Errorf("AssessFlexible(%+v) error = %v, want ErrInvalid", f, err)
		}
	}
}

func TestKeysOneSubsidyPerPersonMonth(t *testing.T) {
	h := hire()
	f := flexible(Hardship)
	f.Month = d("2025-03-01")
	if HireKeys(h)[0] != FlexibleKeys(f)[0] || HireKeys(h)[0].Value != person+"|2025-03" || HireKeys(h)[0].Rule != KeyPersonMonth {
		t.Fatalf("keys differ: %+v %+v", HireKeys(h), FlexibleKeys(f))
	}
	f.Month = d("2025-04-01")
	if HireKeys(h)[0] == FlexibleKeys(f)[0] {
		t.Fatal("another month must reserve another key")
	}
}
