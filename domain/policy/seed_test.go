package policy

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"

	"github.com/haixi-hrss/fundledger/domain"
	"github.com/haixi-hrss/fundledger/domain/calendar"
	"github.com/haixi-hrss/fundledger/domain/programme"
)

func TestSeedLoadsAndSelectsEachYear(t *testing.T) {
	versions, err := Seed()
	if err != nil {
		t.Fatalf("Seed() error = %v", err)
	}
	if got, want := len(versions), 3*len(programme.All()); got != want {
		t.Fatalf("Seed() has %d versions, want %d (3 years × every programme)", got, want)
	}
	for _, p := range programme.All() {
		for _, year := range []int{2023, 2024, 2025} {
			for _, day := range []string{"-01-01", "-06-30", "-12-31"} {
				d := calendar.MustParse(strconvYear(year) + day)
				v, err := Select(versions, p, d)
				if err != nil {
					t.Fatalf("Select(%s, %s) error = %v", p, d, err)
				}
				if want := string(p) + "-" + strconvYear(year); v.ID != want {
					t.Errorf("Select(%s, %s) = %s, want %s", p, d, v.ID, want)
				}
			}
		}
		for _, d := range []string{"2022-12-31", "2026-01-01"} {
			_, err := Select(versions, p, calendar.MustParse(d))
			var re *domain.RuleError
			if !errors.As(err, &re) || re.Rule != "policy-in-force" {
				t.Errorf("Select(%s, %s) error = %v, want rule policy-in-force", p, d, err)
			}
		}
	}
}

func TestSeedYearlyFigures(t *testing.T) {
	versions, err := Seed()
	if err != nil {
		t.Fatal(err)
	}
	at := func(p programme.Code, d string) Version {
		v, err := Select(versions, p, calendar.MustParse(d))
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
	if got := at(programme.Expansion, "2023-05-01").Expansion.MinInsuredMonths; got != 1 {
		t.Errorf("expansion 2023 insured months = %d, want 1", got)
	}
	if got := at(programme.Expansion, "2024-05-01").Expansion.MinInsuredMonths; got != 3 {
		t.Errorf("expansion 2024 insured months = %d, want 3", got)
	}
	e25 := at(programme.Expansion, "2025-05-01").Expansion
	if e25.YouthBornFrom.String() != "2000-01-01" || e25.YouthBornTo.String() != "2009-12-31" || e25.GrantAmount.String() != "1500.00" {
		t.Errorf("expansion 2025 = %+v", e25)
	}
	s25 := at(programme.Stabilization, "2025-05-01").Stabilization
	if s25.SMERate.String() != "0.6" || s25.SMERateWithReserves.String() != "0.9" || s25.LargeRate.String() != "0.3" || s25.LargeMinInsuredStaff != 300 {
		t.Errorf("stabilization 2025 = %+v", s25)
	}
	if got := at(programme.Stabilization, "2024-05-01").Stabilization.SMERateWithReserves; !got.IsZero() {
		t.Errorf("stabilization 2024 reserves rate = %s, want none", got)
	}
	su := at(programme.SkillUpgrade, "2025-05-01").SkillUpgrade
	if su.YearlyCount != 1 || su.UrgentExtraPerYear != 2 || su.Caps[Advanced].String() != "2000.00" {
		t.Errorf("skill-upgrade 2025 = %+v", su)
	}
	if got := at(programme.SocialInsurance, "2025-05-01").SocialInsurance.MaxShare; got != (Ratio{2, 3}) {
		t.Errorf("social-insurance share = %s, want 2/3", got)
	}
	for _, year := range []string{"2023", "2024", "2025"} {
		o := at(programme.Absorption, year+"-05-01").Absorption.OneTime
		if o == nil || o.Amount.String() != "1000.00" || o.MinContractMonths != 12 || o.GraduationWindowYears != 2 ||
			o.ContractFrom.String() != year+"-01-01" || o.ContractTo.String() != year+"-12-31" || !o.EnterprisesOnly || !o.SmallAndMediumOnly {
			t.Errorf("absorption %s one-time subsidy = %+v", year, o)
		}
	}
}

func strconvYear(y int) string { return calendar.MustNew(y, 1, 1).String()[:4] }

func TestLoadRefuses(t *testing.T) {
	seed := string(SeedJSON())
	tests := []struct {
		name, old, new, field, rule string
	}{
		{"unknown field", `"largeRate": "0.3"`, `"largRate": "0.3"`, "versions[0]", "policy-json"},
		{"rate above 1", `"smeRate": "0.6"`, `"smeRate": "6"`, "stabilization.smeRate", "rate-range"},
		{"negative months", `"maxMonths": 36`, `"maxMonths": -1`, "absorption.maxMonths", "min"},
		{"overlap", `"effectiveFrom": "2024-01-01"`, `"effectiveFrom": "2023-12-31"`, "effectiveFrom", "policy-no-overlap"},
		{"verify path", `"stabilization.layoffFormula"`, `"stabilization.layoffFormular"`, "verify", "verify-path"},
		{"missing block", `"stabilization": {`, `"stabilizationX": {`, "versions[0]", "policy-json"},
		{"bad date", `"effectiveTo": "2023-12-31"`, `"effectiveTo": "2023-02-30"`, "date", "date-format"},
		{"nested verify path", `"absorption.oneTime.amount"`, `"absorption.oneTime.amout"`, "verify", "verify-path"},
		{"verify path through a value", `"absorption.oneTime.amount"`, `"absorption.maxMonths.amount"`, "verify", "verify-path"},
		{"one-time amount zero", `"amount": "1000.00"`, `"amount": "0.00"`, "absorption.oneTime.amount", "positive"},
		{"one-time contract term", `"minContractMonths": 12`, `"minContractMonths": 0`, "absorption.oneTime.minContractMonths", "min"},
		{"one-time contract window reversed", `"contractFrom": "2023-01-01",
          "contractTo": "2023-12-31",
          "enterprisesOnly": true,
          "smallAndMediumOnly"`, `"contractFrom": "2023-01-01",
          "contractTo": "2022-12-31",
          "enterprisesOnly": true,
          "smallAndMediumOnly"`, "absorption.oneTime.contractTo", "date-order"},
		{"one-time unknown field", `"smallAndMediumOnly": true`, `"smallAndMediumOnly": true, "perPerson": 2`, "versions[6]", "policy-json"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if !strings.Contains(seed, tt.old) {
				t.Fatalf("seed has no %s", tt.old)
			}
			_, err := Load([]byte(strings.Replace(seed, tt.old, tt.new, 1)))
			field, rule := fieldRule(err)
			if field != tt.field || rule != tt.rule {
				t.Fatalf("Load error = %v (field %q rule %q), want field %q rule %q", err, field, rule, tt.field, tt.rule)
			}
		})
	}
}

func fieldRule(err error) (string, string) {
	var fe *domain.FieldError
	if errors.As(err, &fe) {
		return fe.Field, fe.Rule
	}
	var re *domain.RuleError
	if errors.As(err, &re) {
		return re.Field, re.Rule
	}
	return "", ""
}

func TestVersionJSONRoundTrip(t *testing.T) {
	versions, err := Seed()
	if err != nil {
		t.Fatal(err)
	}
	for _, v := range versions {
		b, err := json.Marshal(PolicyVersionPublished{Version: v})
		if err != nil {
			t.Fatal(err)
		}
		var e PolicyVersionPublished
		if err := json.Unmarshal(b, &e); err != nil {
			t.Fatalf("%s: %v", v.ID, err)
		}
		if len(Differences(v, e.Version)) > 0 || e.Version.ID != v.ID || e.Version.Validate() != nil {
			t.Fatalf("%s changed in a JSON round trip: %s", v.ID, b)
		}
	}
}

// A version without the one-time block is valid: the subsidy is simply not
// offered under it.
func TestAbsorptionWithoutOneTime(t *testing.T) {
	versions, err := Seed()
	if err != nil {
		t.Fatal(err)
	}
	v, err := Select(versions, programme.Absorption, calendar.MustParse("2025-05-01"))
	if err != nil {
		t.Fatal(err)
	}
	a := *v.Absorption
	a.OneTime = nil
	v.Absorption = &a
	if err := v.Validate(); err != nil {
		t.Fatalf("Validate without oneTime: %v", err)
	}
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(string(b), `"oneTime":`) {
		t.Fatalf("a version without the block must not print one: %s", b)
	}
}
