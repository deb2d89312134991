package trainee

import (
	"errors"
	"testing"
	"time"

	"github.com/haixi-hrss/fundledger/domain"
	"github.com/haixi-hrss/fundledger/domain/aggregatetest"
	"github.com/haixi-hrss/fundledger/domain/calendar"
	"github.com/haixi-hrss/fundledger/domain/policy"
	"github.com/haixi-hrss/fundledger/domain/programme"
	"github.com/haixi-hrss/fundledger/domain/region"
	"github.com/haixi-hrss/fundledger/domain/role"
)

var (
	at        = time.Date(2025, 3, 3, 9, 0, 0, 0, time.UTC)
	person    = "3f1c2b7a9d8e6f5a4b3c2d1e0f9a8b7c6d5e4f3a2b1c0d9e8f7a6b5c4d3e2f1a"
	certified = calendar.MustParse("2025-03-15")
)

func wantRule(t *testing.T, err error, target error, rule string) {
	t.Helper()
	var fe *domain.FieldError
	var re *domain.RuleError
	if !errors.Is(err, target) || (errors.As(err, &fe) && fe.Rule != rule) || (errors.As(err, &re) && re.Rule != rule) {
		t.Fatalf("error = %v, want %v rule %s", err, target, rule)
	}
}

func certifiedLog(t *testing.T) *aggregatetest.Log[State, Command] {
	l := aggregatetest.New(t, aggregatetest.Aggregate[State, Command]{Decide: Decide, Evolve: Evolve, Decode: Decode})
	l.Must(Certify{TraineeID: "t1", Person: person, Occupation: "电工", Level: policy.Intermediate, County: region.Golmud, Programme: programme.VocationalTraining, On: certified, Actor: "clerk1", Role: role.Clerk, At: at})
	return l
}

func place(on string) Place {
	return Place{Employer: "91350100M000100Y43", On: calendar.MustParse(on), WindowMonths: 6, Actor: "clerk1", Role: role.Clerk, At: at}
}

func TestPlacementWindow(t *testing.T) {
	for _, tt := range []struct {
		on     string
		within bool
	}{
		{"2025-03-15", true},
		{"2025-09-15", true}, // the last day of the six-month window
		{"2025-09-16", false},
	} {
		l := certifiedLog(t)
		l.Must(place(tt.on))
		if !l.State.Placed || l.State.WithinWindow != tt.within {
			t.Errorf("placed on %s: within window %v, want %v", tt.on, l.State.WithinWindow, tt.within)
		}
	}
}

func TestPlacementRules(t *testing.T) {
	l := certifiedLog(t)
	_, err := l.Do(place("2025-03-14"))
	wantRule(t, err, domain.ErrRejected, "placed-after-certification")
	l.Must(place("2025-05-01"))
	_, err = l.Do(place("2025-06-01"))
	wantRule(t, err, domain.ErrRejected, "trainee-placed-once")
	_, err = l.Do(Certify{TraineeID: "t1", Person: person, Occupation: "电工", Level: policy.Intermediate, County: region.Golmud, Programme: programme.VocationalTraining, On: certified, Actor: "clerk1", Role: role.Clerk, At: at})
	wantRule(t, err, domain.ErrRejected, "trainee-certified-once")
	_, err = certifiedLog(t).Do(Certify{TraineeID: "t2", Person: person, Occupation: "电工", Level: "master", County: region.Golmud, Programme: programme.VocationalTraining, On: certified, Actor: "c", Role: role.Clerk, At: at})
	wantRule(t, err, domain.ErrInvalid, "certificate-level")
	empty := aggregatetest.New(t, aggregatetest.Aggregate[State, Command]{Decide: Decide, Evolve: Evolve, Decode: Decode})
	_, err = empty.Do(place("2025-05-01"))
	wantRule(t, err, domain.ErrRejected, "trainee-certified")
	p := place("2025-05-01")
	p.Role = "approver"
	_, err = certifiedLog(t).Do(p)
	wantRule(t, err, domain.ErrRejected, "role-clerk")
}
