package training

import (
	"errors"
	"strings"
	"testing"

	"github.com/haixi-hrss/fundledger/domain"
	"github.com/haixi-hrss/fundledger/domain/calendar"
	"github.com/haixi-hrss/fundledger/domain/money"
	"github.com/haixi-hrss/fundledger/domain/policy"
	"github.com/haixi-hrss/fundledger/domain/programme"
)

var d = calendar.MustParse

const person = "0101010101010101010101010101010101010101010101010101010101010101"

func version(t *testing.T) policy.Version {
	t.Helper()
	vs, err := policy.Seed()
	if err != nil {
		t.Fatal(err)
	}
	v, err := policy.Select(vs, programme.VocationalTraining, d("2025-06-01"))
	if err != nil {
		t.Fatal(err)
	}
	return v
}

func advance() Facts {
	return Facts{Person: person, Stage: Advance, Occupation: "4-10-01-02", Level: policy.Initial, Standard: money.MustParse("3000.00")}
}

// settlement is certified on 31 January, so the placement window closes
// on 31 July.
func settlement() Facts {
	f := advance()
	f.Stage, f.CertificateDate, f.AdvancePaid = Settlement, d("2025-01-31"), money.MustParse("1500.00")
	return f
}

func TestAssess(t *testing.T) {
	tests := []struct {
		name, day, amount, failed string
		base                      func() Facts
		edit                      func(*Facts)
	}{
		{"advance: half the standard", "2025-03-01", "1500.00", "", advance, func(*Facts) {}},
		{"advance rounds half-up once: 1000.01 × 50% = 500.005", "2025-03-01", "500.01", "", advance, func(f *Facts) { f.Standard = money.MustParse("1000.01") }},
		{"two earlier trainings", "2025-03-01", "1500.00", "", advance, func(f *Facts) {
			f.Prior = []Prior{{"1-1", policy.Initial}, {"1-2", policy.Initial}}
		}},
		{"three earlier trainings", "2025-03-01", "0.00", RuleMaxPerPerson, advance, func(f *Facts) {
			f.Prior = []Prior{{"1-1", policy.Initial}, {"1-2", policy.Initial}, {"1-3", policy.Initial}}
		}},
		{"same occupation and level again", "2025-03-01", "0.00", RuleOncePerLevel, advance, func(f *Facts) {
			f.Prior = []Prior{{"4-10-01-02", policy.Initial}}
		}},
		{"same occupation, next level", "2025-03-01", "1500.00", "", advance, func(f *Facts) {
			f.Prior = []Prior{{"4-10-01-02", policy.Initial}}
			f.Level = policy.Intermediate
		}},
		{"placed on the window's last day: 100%", "2025-08-15", "1500.00", "", settlement, func(f *Facts) { f.PlacementDate = d("2025-07-31") }},
		{"placed the day after: 50%", "2025-08-15", "0.00", RuleSettlementAmount, settlement, func(f *Facts) { f.PlacementDate = d("2025-08-01") }},
		{"not placed, no advance: 50%", "2025-08-01", "1500.00", "", settlement, func(f *Facts) { f.AdvancePaid = money.Amount{} }},
		{"placed, no advance: 100%", "2025-03-01", "3000.00", "", settlement, func(f *Facts) {
			f.AdvancePaid, f.PlacementDate = money.Amount{}, d("2025-02-15")
		}},
		{"not placed while the window is open", "2025-07-31", "0.00", RulePlacementKnown + "," + RuleSettlementAmount, settlement, func(*Facts) {}},
		{"no certificate", "2025-08-15", "0.00", RuleCertificate, settlement, func(f *Facts) { f.CertificateDate = calendar.Date{} }},
		{"advance above half the standard", "2025-08-15", "0.00", RuleAdvanceWithin, settlement, func(f *Facts) {
			f.AdvancePaid, f.PlacementDate = money.MustParse("1500.01"), d("2025-03-01")
		}},
	}
	v := version(t)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := tt.base()
			tt.edit(&f)
			a, err := Assess(v, d(tt.day), f)
			if err != nil {
				t.Fatal(err)
			}
			var failed []string
			for _, c := range a.Failed() {
				failed = append(failed, c.Rule)
			}
			if strings.Join(failed, ",") != tt.failed || a.Amount.String() != tt.amount || a.Eligible != (tt.failed == "") {
				t.Fatalf("Assess = failed %v amount %s eligible %v; checks %+v", failed, a.Amount, a.Eligible, a.Checks)
			}
		})
	}
}

func TestAssessRefusesBadFacts(t *testing.T) {
	v := version(t)
	for field, edit := range map[string]func(*Facts){
		"person":      func(f *Facts) { f.Person = "nobody" },
		"stage":       func(f *Facts) { f.Stage = "final" },
		"occupation":  func(f *Facts) { f.Occupation = "" },
		"standard":    func(f *Facts) { f.Standard = money.Amount{} },
		"advancePaid": func(f *Facts) { f.AdvancePaid = money.MustParse("-1") },
		"level":       func(f *Facts) { f.Level = "" },
	} {
		f := advance()
		edit(&f)
		_, err := Assess(v, d("2025-06-01"), f)
		var fe *domain.FieldError
		if !errors.As(err, &fe) || fe.Field != field {
			t.Errorf("%s: error = %v", field, err)
		}
	}
}

func TestKeys(t *testing.T) {
	rules := func(f Facts) string {
		var out []string
		for _, k := range Keys(f) {
			out = append(out, k.Rule)
		}
		return strings.Join(out, ",")
	}
	noAdvance := settlement()
	noAdvance.AdvancePaid = money.Amount{}
	tests := []struct {
		f    Facts
		want string
	}{
		{advance(), KeyOccupationLevel + "," + KeySlot},
		{settlement(), KeySettlement},
		{noAdvance, KeyOccupationLevel + "," + KeySlot + "," + KeySettlement},
	}
	for _, tt := range tests {
		if got := rules(tt.f); got != tt.want {
			t.Errorf("Keys(%s, advance %s) = %s, want %s", tt.f.Stage, tt.f.AdvancePaid, got, tt.want)
		}
	}
	if Keys(advance())[0].Value != person+"|4-10-01-02|initial" || Keys(advance())[0] != Keys(noAdvance)[0] {
		t.Errorf("Keys value = %+v", Keys(advance()))
	}
	second := advance()
	second.Occupation = "other"
	second.Prior = []Prior{{Occupation: "4-10-01-02", Level: policy.Initial}}
	if got := Keys(advance())[1].Value; got != person+"|1" {
		t.Errorf("first training slot = %s, want %s|1", got, person)
	}
	if got := Keys(second)[1].Value; got != person+"|2" {
		t.Errorf("second training slot = %s, want %s|2", got, person)
	}
}
