package skillupgrade

import (
	"errors"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/haixi-hrss/fundledger/domain"
	"github.com/haixi-hrss/fundledger/domain/calendar"
	"github.com/haixi-hrss/fundledger/domain/policy"
	"github.com/haixi-hrss/fundledger/domain/programme"
	"github.com/haixi-hrss/fundledger/domain/uniqueness"
)

var d = calendar.MustParse

const person = "efefefefefefefefefefefefefefefefefefefefefefefefefefefefefefefef"

func version(t *testing.T, day string) policy.Version {
	t.Helper()
	vs, err := policy.Seed()
	if err != nil {
		t.Fatal(err)
	}
	v, err := policy.Select(vs, programme.SkillUpgrade, d(day))
	if err != nil {
		t.Fatal(err)
	}
	return v
}

const welder, electrician = "6-18-02-04", "6-31-01-03"

func claim(level policy.Level, prior ...Prior) Facts {
	return Facts{Person: person, InsuredMonths: 12, Occupation: welder, Level: level, CertificateDate: d("2025-04-01"), Prior: prior}
}

func TestAssess(t *testing.T) {
	tests := []struct {
		name, day, amount, failed string
		f                         Facts
		edit                      func(*Facts)
	}{
		{"initial", "2025-06-01", "1000.00", "", claim(policy.Initial), nil},
		{"intermediate", "2025-06-01", "1500.00", "", claim(policy.Intermediate), nil},
		{"advanced", "2025-06-01", "2000.00", "", claim(policy.Advanced), nil},
		{"technician has no cap", "2025-06-01", "0.00", RuleLevelSubsidised, claim(policy.Technician), nil},
		{"insured 11 months", "2025-06-01", "0.00", RuleInsured, claim(policy.Initial), func(f *Facts) { f.InsuredMonths = 11 }},
		{"certificate dated after the claim", "2025-06-01", "0.00", RuleCertificateDate, claim(policy.Initial), func(f *Facts) { f.CertificateDate = d("2025-06-02") }},
		{"certificate dated on the claim day", "2025-06-01", "1000.00", "", claim(policy.Initial), func(f *Facts) { f.CertificateDate = d("2025-06-01") }},
		{"level already held", "2025-06-01", "0.00", RuleOncePerLevel,
			claim(policy.Intermediate, Prior{welder, policy.Intermediate, d("2023-05-01"), false}), nil},
		{"same level, other occupation", "2025-06-01", "1500.00", "",
			claim(policy.Intermediate, Prior{electrician, policy.Intermediate, d("2023-05-01"), false}), nil},
		{"lower after higher", "2025-06-01", "0.00", RuleNoLowerAfterHigher,
			claim(policy.Initial, Prior{welder, policy.Advanced, d("2023-05-01"), false}), nil},
		{"lower after higher in another occupation", "2025-06-01", "1000.00", "",
			claim(policy.Initial, Prior{electrician, policy.Advanced, d("2023-05-01"), false}), nil},
		{"higher after lower", "2025-06-01", "2000.00", "",
			claim(policy.Advanced, Prior{welder, policy.Intermediate, d("2023-05-01"), false}), nil},
		{"2025: second ordinary subsidy in a year", "2025-06-01", "0.00", RuleYearlyCount,
			claim(policy.Advanced, Prior{electrician, policy.Initial, d("2025-01-05"), false}), nil},
		{"2025: urgent after an ordinary one", "2025-06-01", "2000.00", "",
			claim(policy.Advanced, Prior{electrician, policy.Initial, d("2025-01-05"), false}), func(f *Facts) { f.Urgent = true }},
		{"2025: ordinary after an urgent one", "2025-06-01", "2000.00", "",
			claim(policy.Advanced, Prior{electrician, policy.Initial, d("2025-01-05"), true}), nil},
		{"2025: third urgent is the fourth in a year", "2025-06-01", "0.00", RuleYearlyCount,
			claim(policy.Advanced,
				Prior{electrician, policy.Initial, d("2025-01-05"), false},
				Prior{"4-01-02-01", policy.Initial, d("2025-02-05"), true},
				Prior{"4-01-02-02", policy.Initial, d("2025-03-05"), true}), func(f *Facts) { f.Urgent = true }},
		{"2025: second urgent is the third in a year", "2025-06-01", "2000.00", "",
			claim(policy.Advanced,
				Prior{electrician, policy.Initial, d("2025-01-05"), false},
				Prior{"4-01-02-01", policy.Initial, d("2025-02-05"), true}), func(f *Facts) { f.Urgent = true }},
		{"2025: last year's subsidy does not count", "2025-06-01", "2000.00", "",
			claim(policy.Advanced, Prior{electrician, policy.Initial, d("2024-12-31"), false}), nil},
		{"2024: third in a year", "2024-06-01", "2000.00", "",
			claim(policy.Advanced,
				Prior{electrician, policy.Initial, d("2024-01-05"), false},
				Prior{"4-01-02-01", policy.Initial, d("2024-02-05"), false}), func(f *Facts) { f.CertificateDate = d("2024-05-01") }},
		{"2024: fourth in a year", "2024-06-01", "0.00", RuleYearlyCount,
			claim(policy.Advanced,
				Prior{electrician, policy.Initial, d("2024-01-05"), false},
				Prior{"4-01-02-01", policy.Initial, d("2024-02-05"), false},
				Prior{"4-01-02-02", policy.Initial, d("2024-03-05"), false}), func(f *Facts) { f.CertificateDate = d("2024-05-01") }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := tt.f
			if tt.edit != nil {
				tt.edit(&f)
			}
			v := version(t, tt.day)
			a, err := Assess(v, d(tt.day), f)
			if err != nil {
				t.Fatal(err)
			}
			var failed []string
			for _, c := range a.Failed() {
				failed = append(failed, c.Rule)
			}
			if strings.Join(failed, ",") != tt.failed || a.Amount.String() != tt.amount || a.Eligible != (tt.failed == "") || a.PolicyVersion != v.ID {
				t.Fatalf("Assess = failed %v amount %s eligible %v; checks %+v", failed, a.Amount, a.Eligible, a.Checks)
			}
		})
	}
}

func TestAssessRefusesBadFacts(t *testing.T) {
	v := version(t, "2025-06-01")
	tests := map[string]func(*Facts){
		"person":          func(f *Facts) { f.Person = "" },
		"insuredMonths":   func(f *Facts) { f.InsuredMonths = -1 },
		"occupation":      func(f *Facts) { f.Occupation = "" },
		"level":           func(f *Facts) { f.Level = "master" },
		"certificateDate": func(f *Facts) { f.CertificateDate = calendar.Date{} },
		"prior[0].level":  func(f *Facts) { f.Prior = []Prior{{Occupation: welder, Level: "x", Date: d("2024-01-01")}} },
		"prior[0].date":   func(f *Facts) { f.Prior = []Prior{{Occupation: welder, Level: policy.Initial}} },
	}
	for field, edit := range tests {
		f := claim(policy.Initial)
		edit(&f)
		_, err := Assess(v, d("2025-06-01"), f)
		var fe *domain.FieldError
		if !errors.As(err, &fe) || fe.Field != field {
			t.Errorf("%s: error = %v", field, err)
		}
	}
}

func TestKeys(t *testing.T) {
	day := calendar.MustNew(2025, time.June, 1)
	a, b := Keys(day, claim(policy.Initial)), Keys(day, claim(policy.Intermediate))
	if len(a) != 3 || a[0].Rule != KeyOccupationLevel || a[0].Value != person+"|"+welder+"|initial" {
		t.Fatalf("Keys = %+v", a)
	}
	if a[0].Stream() == b[0].Stream() {
		t.Fatal("another level must reserve another key")
	}
	if a[1] != (uniqueness.Key{Rule: KeyYearSlot, Value: person + "|2025|1"}) ||
		a[2] != (uniqueness.Key{Rule: KeyGeneralSlot, Value: person + "|2025|1"}) {
		t.Fatalf("first claim of the year: slots %+v, want year slot 1 and general slot 1", a[1:])
	}
	if a[1].Stream() != b[1].Stream() {
		t.Fatal("two claims counting the same earlier subsidies must compete for the same year slot")
	}
}

func TestKeysCountSlotsPerYear(t *testing.T) {
	day := calendar.MustNew(2025, time.June, 1)
	f := claim(policy.Intermediate)
	f.Prior = []Prior{
		{Occupation: "other", Level: policy.Initial, Date: calendar.MustNew(2024, time.May, 1)},
		{Occupation: "other", Level: policy.Initial, Date: calendar.MustNew(2025, time.March, 1), Urgent: true},
		{Occupation: "third", Level: policy.Initial, Date: calendar.MustNew(2025, time.April, 1)},
	}
	tests := []struct {
		name   string
		urgent bool
		want   []uniqueness.Key
	}{
		{"not urgent: third of the year, second general", false, []uniqueness.Key{
			{Rule: KeyYearSlot, Value: person + "|2025|3"},
			{Rule: KeyGeneralSlot, Value: person + "|2025|2"},
		}},
		{"urgent: third of the year, no general slot", true, []uniqueness.Key{
			{Rule: KeyYearSlot, Value: person + "|2025|3"},
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f.Urgent = tt.urgent
			got := Keys(day, f)[1:]
			if !reflect.DeepEqual(got, tt.want) {
				t.Fatalf("slots = %+v, want %+v", got, tt.want)
			}
		})
	}
}
