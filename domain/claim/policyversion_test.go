package claim

import (
	"testing"

	"github.com/haixi-hrss/fundledger/domain"
	"github.com/haixi-hrss/fundledger/domain/calendar"
	"github.com/haixi-hrss/fundledger/domain/expansion"
	"github.com/haixi-hrss/fundledger/domain/identity"
	"github.com/haixi-hrss/fundledger/domain/policy"
	"github.com/haixi-hrss/fundledger/domain/programme"
	"github.com/haixi-hrss/fundledger/domain/role"
)

// TestClaimRecordsVersionInForceOnEffectiveDate runs a real expansion
// grant through the seeded policy history: the version selected for the
// claim's effective date is the one assessed, checked and recorded, and an
// assessment under another year's version is refused.
func TestClaimRecordsVersionInForceOnEffectiveDate(t *testing.T) {
	versions, err := policy.Seed()
	if err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct{ effective, contract, want string }{
		{"2024-06-14", "2024-02-01", "expansion-2024"},
		{"2025-06-13", "2025-02-01", "expansion-2025"},
	} {
		t.Run(tt.want, func(t *testing.T) {
			day := calendar.MustParse(tt.effective)
			v, err := policy.Select(versions, programme.Expansion, day)
			if err != nil {
				t.Fatal(err)
			}
			facts := expansion.Facts{Person: identity.PersonRef(person), Employer: identity.CreditCode(employer), Group: expansion.Graduate,
				GraduationDate: calendar.MustParse("2023-07-01"), RegularDegreeCourse: true, ContractDate: calendar.MustParse(tt.contract),
				InsuredMonthsUnemployment: 4, InsuredMonthsWorkInjury: 4, InsuredMonthsPension: 4, InsuredAtCheck: true}
			a, err := expansion.Assess(v, day, facts)
			if err != nil || !a.Eligible {
				t.Fatalf("Assess = %+v, %v", a, err)
			}
			l := newLog(t)
			sub := submit(programme.Expansion)
			sub.EffectiveDate, sub.UniquenessKeys = day, expansion.Keys(facts)
			l.Must(sub)
			other, err := policy.Select(versions, programme.Expansion, day.AddYears(-1))
			if err != nil {
				t.Fatal(err)
			}
			_, err = l.Do(Check{Assessment: a, Policy: other, Actor: "clerk1", Role: role.Clerk, At: at})
			wantRule(t, err, domain.ErrRejected, "policy-in-force")
			l.Must(Check{Assessment: a, Policy: v, Actor: "clerk1", Role: role.Clerk, At: at})
			if l.State.Terms.PolicyVersion != tt.want || l.State.Assessment.PolicyVersion != tt.want {
				t.Fatalf("recorded version %s / %s, want %s", l.State.Terms.PolicyVersion, l.State.Assessment.PolicyVersion, tt.want)
			}
			if !l.State.Approved.Equal(v.Expansion.GrantAmount) || l.State.UniquenessKeys[0].Rule != expansion.KeyPerson {
				t.Fatalf("approved %s, keys %v", l.State.Approved, l.State.UniquenessKeys)
			}
		})
	}
}
