package expansion

import (
	"encoding/json"
	"errors"
	"slices"
	"strings"
	"testing"

	"github.com/haixi-hrss/fundledger/domain"
	"github.com/haixi-hrss/fundledger/domain/calendar"
	"github.com/haixi-hrss/fundledger/domain/identity"
	"github.com/haixi-hrss/fundledger/domain/policy"
	"github.com/haixi-hrss/fundledger/domain/programme"
	"github.com/haixi-hrss/fundledger/domain/uniqueness"
)

var person = identity.PersonRef(strings.Repeat("ab", 32))

func version(t *testing.T, day string) policy.Version {
	t.Helper()
	vs, err := policy.Seed()
	if err != nil {
		t.Fatal(err)
	}
	v, err := policy.Select(vs, programme.Expansion, calendar.MustParse(day))
	if err != nil {
		t.Fatal(err)
	}
	return v
}

// code returns a valid credit code with the given unit-type prefix.
func code(prefix string) identity.CreditCode {
	body := prefix + "632801MA0000000"
	c, ok := identity.CreditCheckChar(body)
	if !ok {
		panic(body)
	}
	return identity.CreditCode(body + string(c))
}

func graduate() Facts {
	return Facts{
		Person: person, Employer: code("91"), Group: Graduate,
		GraduationDate: calendar.MustParse("2024-06-30"), RegularDegreeCourse: true,
		ContractDate:              calendar.MustParse("2025-03-01"),
		InsuredMonthsUnemployment: 3, InsuredMonthsWorkInjury: 3, InsuredMonthsPension: 3,
		InsuredAtCheck: true,
	}
}

func youth() Facts {
	f := graduate()
	f.Group, f.GraduationDate, f.RegularDegreeCourse = UnemployedYouth, calendar.Date{}, false
	f.BirthDate, f.RegisteredUnemployed = calendar.MustParse("2003-05-05"), true
	return f
}

func TestAssess(t *testing.T) {
	d := calendar.MustParse
	tests := []struct {
		name   string
		day    string
		base   func() Facts
		edit   func(*Facts)
		failed []string
		review bool
	}{
		{"graduate", "2025-06-01", graduate, func(*Facts) {}, nil, false},
		{"youth", "2025-06-01", youth, func(*Facts) {}, nil, false},
		{"graduation window: last day", "2025-08-01", graduate, func(f *Facts) { f.GraduationDate, f.ContractDate = d("2023-06-30"), d("2025-06-30") }, nil, false},
		{"graduation window: closed the day after", "2025-08-01", graduate, func(f *Facts) { f.GraduationDate, f.ContractDate = d("2023-06-30"), d("2025-07-01") }, []string{RuleGraduationWindow}, false},
		{"contract before graduation", "2025-08-01", graduate, func(f *Facts) { f.GraduationDate, f.ContractDate = d("2025-07-01"), d("2025-06-30") }, []string{RuleGraduationWindow}, false},
		{"not a regular degree course", "2025-06-01", graduate, func(f *Facts) { f.RegularDegreeCourse = false }, []string{RuleRegularDegree}, false},
		{"youth born on the first day", "2025-06-01", youth, func(f *Facts) { f.BirthDate = d("2000-01-01") }, nil, false},
		{"youth born the day before", "2025-06-01", youth, func(f *Facts) { f.BirthDate = d("1999-12-31") }, []string{RuleYouthBirthWindow}, false},
		{"youth born on the last day", "2025-06-01", youth, func(f *Facts) { f.BirthDate = d("2009-12-31") }, nil, false},
		{"youth born the day after", "2025-06-01", youth, func(f *Facts) { f.BirthDate = d("2010-01-01") }, []string{RuleYouthBirthWindow}, false},
		{"youth not registered unemployed", "2025-06-01", youth, func(f *Facts) { f.RegisteredUnemployed = false }, []string{RuleRegisteredUnemployed}, false},
		{"2025: 2 UI months", "2025-06-01", graduate, func(f *Facts) { f.InsuredMonthsUnemployment = 2 }, []string{RuleInsuredUnemployment}, false},
		{"2025: 2 work-injury months", "2025-06-01", graduate, func(f *Facts) { f.InsuredMonthsWorkInjury = 2 }, []string{RuleInsuredWorkInjury}, false},
		{"2025: 2 pension months", "2025-06-01", graduate, func(f *Facts) { f.InsuredMonthsPension = 2 }, []string{RuleInsuredPension}, false},
		{"2024: 2 months fail", "2024-06-01", graduate, func(f *Facts) {
			f.GraduationDate, f.ContractDate = d("2023-06-30"), d("2024-03-01")
			f.InsuredMonthsUnemployment, f.InsuredMonthsWorkInjury, f.InsuredMonthsPension = 2, 2, 2
		}, []string{RuleInsuredUnemployment, RuleInsuredWorkInjury, RuleInsuredPension}, false},
		{"2023: 1 month suffices", "2023-06-01", graduate, func(f *Facts) {
			f.GraduationDate, f.ContractDate = d("2022-06-30"), d("2023-03-01")
			f.InsuredMonthsUnemployment, f.InsuredMonthsWorkInjury, f.InsuredMonthsPension = 1, 1, 1
		}, nil, false},
		{"2023: 0 months fail", "2023-06-01", graduate, func(f *Facts) {
			f.GraduationDate, f.ContractDate = d("2022-06-30"), d("2023-03-01")
			f.InsuredMonthsUnemployment, f.InsuredMonthsWorkInjury, f.InsuredMonthsPension = 1, 0, 1
		}, []string{RuleInsuredWorkInjury}, false},
		{"contract outside the policy window", "2025-06-01", graduate, func(f *Facts) { f.ContractDate = d("2024-12-31") }, []string{RuleContractWindow}, false},
		{"individual business", "2025-06-01", graduate, func(f *Facts) { f.Employer = code("92") }, []string{RuleEnterprise}, false},
		{"government body", "2025-06-01", graduate, func(f *Facts) { f.Employer = code("11") }, []string{RuleEnterprise}, false},
		{"public institution", "2025-06-01", graduate, func(f *Facts) { f.Employer = code("12") }, []string{RuleEnterprise}, false},
		{"no longer insured", "2025-06-01", graduate, func(f *Facts) { f.InsuredAtCheck = false }, []string{RuleStillInsured}, false},
		{"grant already paid for the person", "2025-06-01", graduate, func(f *Facts) { f.PriorGrant = true }, []string{RuleOncePerPerson}, false},
		{"absorption subsidy already paid", "2025-06-01", youth, func(f *Facts) { f.OneTimeAbsorptionReceived = true }, []string{RuleNotWithAbsorption}, false},
		{"credit code fails its check", "2025-06-01", graduate, func(f *Facts) { f.Employer = "91350100M000100Y44" }, []string{RuleCreditCode}, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := tt.base()
			tt.edit(&f)
			v := version(t, tt.day)
			a, err := Assess(v, d(tt.day), f)
			if err != nil {
				t.Fatal(err)
			}
			var failed []string
			for _, c := range a.Failed() {
				failed = append(failed, c.Rule)
			}
			if strings.Join(failed, ",") != strings.Join(tt.failed, ",") {
				t.Fatalf("failed = %v, want %v; checks %+v", failed, tt.failed, a.Checks)
			}
			wantAmount := "0.00"
			if len(tt.failed) == 0 || tt.review {
				wantAmount = "1500.00"
			}
			if a.Eligible != (len(tt.failed) == 0) || a.NeedsManualReview != tt.review || a.Amount.String() != wantAmount || a.PolicyVersion != v.ID {
				t.Fatalf("Assess = eligible %v review %v amount %s version %s", a.Eligible, a.NeedsManualReview, a.Amount, a.PolicyVersion)
			}
		})
	}
}

func TestAssessRefusesBadFacts(t *testing.T) {
	v := version(t, "2025-06-01")
	tests := map[string]struct {
		edit  func(*Facts)
		field string
	}{
		"bad person":      {func(f *Facts) { f.Person = "632801199903151230" }, "person"},
		"no employer":     {func(f *Facts) { f.Employer = "" }, "employer"},
		"unknown group":   {func(f *Facts) { f.Group = "veteran" }, "group"},
		"no graduation":   {func(f *Facts) { f.GraduationDate = calendar.Date{} }, "graduationDate"},
		"no contract":     {func(f *Facts) { f.ContractDate = calendar.Date{} }, "contractDate"},
		"negative months": {func(f *Facts) { f.InsuredMonthsPension = -1 }, "insuredMonths"},
	}
	for name, tt := range tests {
		f := graduate()
		tt.edit(&f)
		_, err := Assess(v, calendar.MustParse("2025-06-01"), f)
		var fe *domain.FieldError
		if !errors.As(err, &fe) || fe.Field != tt.field {
			t.Errorf("%s: error = %v, want field %s", name, err, tt.field)
		}
	}
	y := youth()
	y.BirthDate = calendar.Date{}
	if _, err := Assess(v, calendar.MustParse("2025-06-01"), y); !errors.Is(err, domain.ErrInvalid) {
		t.Errorf("youth without birth date: %v", err)
	}
}

func TestKeysOncePerPersonEver(t *testing.T) {
	a, b := graduate(), youth()
	b.Employer = code("91")
	b.ContractDate = calendar.MustParse("2025-09-09")
	ka, kb := Keys(a), Keys(b)
	want := []uniqueness.Key{{Rule: KeyPerson, Value: string(person)}, {Rule: uniqueness.RuleHireOneTimeSubsidy, Value: string(person)}}
	if !slices.Equal(ka, want) {
		t.Fatalf("Keys = %+v, want %+v", ka, want)
	}
	for i := range ka {
		if ka[i].Stream() != kb[i].Stream() {
			t.Fatal("two hires of one person must reserve the same streams whatever the employer or date")
		}
	}
	other := graduate()
	other.Person = identity.PersonRef(strings.Repeat("cd", 32))
	for i, k := range Keys(other) {
		if k.Stream() == ka[i].Stream() {
			t.Fatalf("two people share the stream of %s", k.Rule)
		}
	}
}

func TestFactsJSONRoundTrip(t *testing.T) {
	f := youth()
	b, err := json.Marshal(f)
	if err != nil {
		t.Fatal(err)
	}
	var back Facts
	if err := json.Unmarshal(b, &back); err != nil || back != f {
		t.Fatalf("round trip = %+v, %v from %s", back, err, b)
	}
	if !strings.Contains(string(b), `"birthDate":"2003-05-05"`) {
		t.Fatalf("dates must be YYYY-MM-DD strings: %s", b)
	}
}
