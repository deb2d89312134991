package absorption

import (
	"errors"
	"strings"
	"testing"

	"github.com/haixi-hrss/fundledger/domain"
	"github.com/haixi-hrss/fundledger/domain/calendar"
	"github.com/haixi-hrss/fundledger/domain/expansion"
	"github.com/haixi-hrss/fundledger/domain/identity"
	"github.com/haixi-hrss/fundledger/domain/programme"
	"github.com/haixi-hrss/fundledger/domain/uniqueness"
)

// creditCode returns a valid credit code with the given unit-type prefix.
func creditCode(prefix string) identity.CreditCode {
	body := prefix + "632801MA0000000"
	c, ok := identity.CreditCheckChar(body)
	if !ok {
		panic(body)
	}
	return identity.CreditCode(body + string(c))
}

// oneTime is an eligible 2025 hire: a 2024 graduate on a contract of
// exactly twelve months at a small enterprise.
func oneTime() OneTimeFacts {
	return OneTimeFacts{
		Person: person, Employer: creditCode("91"), GraduationDate: d("2024-06-30"),
		ContractDate: d("2025-03-01"), ContractEnd: d("2026-02-28"), InsuredMonths: 1, SmallOrMedium: true,
	}
}

func TestAssessOneTime(t *testing.T) {
	tests := []struct {
		name, day, failed string
		edit              func(*OneTimeFacts)
		review            bool
	}{
		{"eligible", "2025-06-01", "", func(*OneTimeFacts) {}, false},
		{"open-ended contract", "2025-06-01", "", func(f *OneTimeFacts) { f.ContractEnd = calendar.Date{} }, false},
		{"contract one day short of twelve months", "2025-06-01", RuleContractTerm, func(f *OneTimeFacts) { f.ContractEnd = d("2026-02-27") }, false},
		{"graduation window: last day", "2025-08-01", "", func(f *OneTimeFacts) {
			f.GraduationDate, f.ContractDate, f.ContractEnd = d("2023-06-30"), d("2025-06-30"), d("2026-06-29")
		}, false},
		{"graduation window: closed the day after", "2025-08-01", RuleGraduationWindow, func(f *OneTimeFacts) {
			f.GraduationDate, f.ContractDate, f.ContractEnd = d("2023-06-30"), d("2025-07-01"), d("2026-06-30")
		}, false},
		{"contract before graduation", "2025-08-01", RuleGraduationWindow, func(f *OneTimeFacts) { f.GraduationDate = d("2025-07-01") }, false},
		{"contract outside the policy window", "2025-06-01", RuleContractWindow, func(f *OneTimeFacts) {
			f.ContractDate, f.ContractEnd = d("2024-12-31"), d("2025-12-30")
		}, false},
		{"no premiums paid yet", "2025-06-01", RuleInsuredMonths, func(f *OneTimeFacts) { f.InsuredMonths = 0 }, false},
		{"large enterprise", "2025-06-01", RuleSmallOrMedium, func(f *OneTimeFacts) { f.SmallOrMedium = false }, false},
		{"individual business", "2025-06-01", RuleEnterprise, func(f *OneTimeFacts) { f.Employer = creditCode("92") }, false},
		{"public institution", "2025-06-01", RuleEnterprise, func(f *OneTimeFacts) { f.Employer = creditCode("12") }, false},
		{"expansion grant already paid elsewhere", "2025-06-01", RuleNotWithExpansion, func(f *OneTimeFacts) { f.PriorExpansionGrant = true }, false},
		{"credit code fails its check", "2025-06-01", RuleCreditCode, func(f *OneTimeFacts) { f.Employer = "91350100M000100Y44" }, true},
		{"2023 hire under the 2023 version", "2023-06-01", "", func(f *OneTimeFacts) {
			f.GraduationDate, f.ContractDate, f.ContractEnd = d("2022-06-30"), d("2023-03-01"), d("2024-02-29")
		}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := oneTime()
			tt.edit(&f)
			v := version(t, programme.Absorption, tt.day)
			a, err := AssessOneTime(v, d(tt.day), f)
			if err != nil {
				t.Fatal(err)
			}
			if got := failedRules(a); got != tt.failed {
				t.Fatalf("failed = %q, want %q; checks %+v", got, tt.failed, a.Checks)
			}
			wantAmount := "0.00"
			if tt.failed == "" || tt.review {
				wantAmount = "1000.00"
			}
			if a.Eligible != (tt.failed == "") || a.NeedsManualReview != tt.review || a.Amount.String() != wantAmount ||
				a.PolicyVersion != v.ID || a.Programme != programme.Absorption {
				t.Fatalf("AssessOneTime = eligible %v review %v amount %s version %s programme %s",
					a.Eligible, a.NeedsManualReview, a.Amount, a.PolicyVersion, a.Programme)
			}
		})
	}
}

func TestAssessOneTimeRefuses(t *testing.T) {
	day := d("2025-06-01")
	v := version(t, programme.Absorption, "2025-06-01")
	for name, tt := range map[string]struct {
		edit  func(*OneTimeFacts)
		field string
	}{
		"bad person":            {func(f *OneTimeFacts) { f.Person = "632801199903151230" }, "person"},
		"no employer":           {func(f *OneTimeFacts) { f.Employer = "" }, "employer"},
		"no graduation":         {func(f *OneTimeFacts) { f.GraduationDate = calendar.Date{} }, "graduationDate"},
		"no contract":           {func(f *OneTimeFacts) { f.ContractDate = calendar.Date{} }, "contractDate"},
		"ends before it starts": {func(f *OneTimeFacts) { f.ContractEnd = d("2025-02-28") }, "contractEnd"},
		"negative months":       {func(f *OneTimeFacts) { f.InsuredMonths = -1 }, "insuredMonths"},
	} {
		f := oneTime()
		tt.edit(&f)
		_, err := AssessOneTime(v, day, f)
		var fe *domain.FieldError
		if !errors.As(err, &fe) || fe.Field != tt.field || !errors.Is(err, domain.ErrInvalid) {
			t.Errorf("%s: error = %v, want field %s", name, err, tt.field)
		}
	}

	// A version that offers no one-time subsidy refuses the claim outright.
	without := *v.Absorption
	without.OneTime = nil
	v.Absorption = &without
	_, err := AssessOneTime(v, day, oneTime())
	var re *domain.RuleError
	if !errors.As(err, &re) || re.Rule != RuleOneTimeOffered || !errors.Is(err, domain.ErrRejected) {
		t.Errorf("version without oneTime: %v, want rule %s", err, RuleOneTimeOffered)
	}
	// So does another programme's version.
	if _, err := AssessOneTime(version(t, programme.Expansion, "2025-06-01"), day, oneTime()); err == nil {
		t.Error("an expansion version assessed a one-time absorption subsidy")
	}
}

// The exclusion as data: a one-time absorption subsidy and an expansion
// grant for the same person reserve one stream, whichever employer claims;
// different people never share it.
func TestOneTimeKeysExcludeExpansionGrant(t *testing.T) {
	f := oneTime()
	keys := OneTimeKeys(f)
	if len(keys) != 1 || keys[0] != uniqueness.HireOneTimeSubsidy(person) {
		t.Fatalf("OneTimeKeys = %+v", keys)
	}
	shares := func(a, b []uniqueness.Key) bool {
		for _, x := range a {
			for _, y := range b {
				if x.Stream() == y.Stream() {
					return true
				}
			}
		}
		return false
	}
	grant := expansion.Facts{Person: f.Person, Employer: creditCode("91")}
	if !shares(keys, expansion.Keys(grant)) {
		t.Fatalf("one-time keys %+v share no stream with expansion keys %+v", keys, expansion.Keys(grant))
	}
	otherEmployer := f
	otherEmployer.Employer = "91350100M000100Y43"
	if OneTimeKeys(otherEmployer)[0].Stream() != keys[0].Stream() {
		t.Fatal("the exclusion is per person: another employer's hire must reserve the same stream")
	}
	otherPerson := expansion.Facts{Person: identity.PersonRef(strings.Repeat("ef", 32))}
	if shares(keys, expansion.Keys(otherPerson)) {
		t.Fatal("another person's expansion grant shares a stream with this subsidy")
	}
	// Monthly instalments of the premium subsidy are another rule: they
	// never collide with the one-time subsidy.
	if shares(keys, HireKeys(hire())) {
		t.Fatal("a monthly instalment shares a stream with the one-time subsidy")
	}
}
