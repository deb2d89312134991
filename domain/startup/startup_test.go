package startup

import (
	"errors"
	"strings"
	"testing"

	"github.com/haixi-hrss/fundledger/domain"
	"github.com/haixi-hrss/fundledger/domain/calendar"
	"github.com/haixi-hrss/fundledger/domain/identity"
	"github.com/haixi-hrss/fundledger/domain/policy"
	"github.com/haixi-hrss/fundledger/domain/programme"
)

var d = calendar.MustParse

// business is a valid individual-business credit code.
var business = func() identity.CreditCode {
	c, _ := identity.CreditCheckChar("92632801MA0000000")
	return identity.CreditCode("92632801MA0000000" + string(c))
}()

const founder = "2323232323232323232323232323232323232323232323232323232323232323"

func version(t *testing.T) policy.Version {
	t.Helper()
	vs, err := policy.Seed()
	if err != nil {
		t.Fatal(err)
	}
	v, err := policy.Select(vs, programme.StartUp, d("2025-06-01"))
	if err != nil {
		t.Fatal(err)
	}
	return v
}

func graduate() Facts {
	return Facts{
		Founder: founder, Group: Graduate, GraduationDate: d("2023-06-30"), FirstTimeFounder: true,
		Business: business, Registered: d("2024-05-31"), Operating: true,
	}
}

func TestAssess(t *testing.T) {
	tests := []struct {
		name, day, failed string
		edit              func(*Facts)
		review            bool
	}{
		{"graduate after a year", "2025-05-31", "", func(*Facts) {}, false},
		{"a day short of a year", "2025-05-30", RuleOperatingPeriod, func(*Facts) {}, false},
		{"hardship founder", "2025-06-01", "", func(f *Facts) { f.Group, f.GraduationDate = "hardship", calendar.Date{} }, false},
		{"group not eligible", "2025-06-01", RuleGroup, func(f *Facts) { f.Group = "retiree" }, false},
		{"registered on the window's last day", "2025-07-01", "", func(f *Facts) { f.GraduationDate, f.Registered = d("2022-06-30"), d("2024-06-30") }, false},
		{"registered the day after", "2025-07-01", RuleGraduationWindow, func(f *Facts) { f.GraduationDate, f.Registered = d("2022-06-30"), d("2024-07-01") }, false},
		{"not the first business", "2025-06-01", RuleFirstTime, func(f *Facts) { f.FirstTimeFounder = false }, false},
		{"closed", "2025-06-01", RuleOperating, func(f *Facts) { f.Operating = false }, false},
		{"subsidy already paid", "2025-06-01", RuleOnce, func(f *Facts) { f.PriorSubsidy = true }, false},
		{"credit code fails its check", "2025-06-01", RuleCreditCode, func(f *Facts) { f.Business = business[:17] + otherCheck }, true},
	}
	vs, err := policy.Seed()
	if err != nil {
		t.Fatal(err)
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := graduate()
			tt.edit(&f)
			v, err := policy.Select(vs, programme.StartUp, d(tt.day))
			if err != nil {
				t.Fatal(err)
			}
			a, err := Assess(v, d(tt.day), f)
			if err != nil {
				t.Fatal(err)
			}
			var failed []string
			for _, c := range a.Failed() {
				failed = append(failed, c.Rule)
			}
			want := "0.00"
			if tt.failed == "" || tt.review {
				want = v.StartUp.Amount.String()
			}
			if strings.Join(failed, ",") != tt.failed || a.Amount.String() != want || a.NeedsManualReview != tt.review || a.Eligible != (tt.failed == "") {
				t.Fatalf("Assess = failed %v amount %s review %v; checks %+v", failed, a.Amount, a.NeedsManualReview, a.Checks)
			}
		})
	}
}

// otherCheck is a check character other than business's.
var otherCheck = map[bool]identity.CreditCode{true: "1", false: "0"}[business[17] == '0']

func TestAssessRefusesBadFacts(t *testing.T) {
	v := version(t)
	for field, edit := range map[string]func(*Facts){
		"founder":        func(f *Facts) { f.Founder = "" },
		"group":          func(f *Facts) { f.Group = "" },
		"graduationDate": func(f *Facts) { f.GraduationDate = calendar.Date{} },
		"business":       func(f *Facts) { f.Business = "" },
		"registered":     func(f *Facts) { f.Registered = calendar.Date{} },
	} {
		f := graduate()
		edit(&f)
		_, err := Assess(v, d("2025-06-01"), f)
		var fe *domain.FieldError
		if !errors.As(err, &fe) || fe.Field != field {
			t.Errorf("%s: error = %v", field, err)
		}
	}
}

func TestKeys(t *testing.T) {
	k := Keys(graduate())
	if len(k) != 1 || k[0].Rule != KeyFounder || k[0].Value != founder {
		t.Fatalf("Keys = %+v", k)
	}
}
