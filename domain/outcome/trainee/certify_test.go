package trainee

import (
	"bytes"
	"testing"

	"github.com/haixi-hrss/fundledger/domain"
	"github.com/haixi-hrss/fundledger/domain/aggregatetest"
	"github.com/haixi-hrss/fundledger/domain/policy"
	"github.com/haixi-hrss/fundledger/domain/programme"
	"github.com/haixi-hrss/fundledger/domain/region"
	"github.com/haixi-hrss/fundledger/domain/role"
)

func certify(county region.Code, prog programme.Code) Certify {
	return Certify{TraineeID: "t1", Person: person, Occupation: "电工", Level: policy.Intermediate,
		County: county, Programme: prog, On: certified, Actor: "clerk1", Role: role.Clerk, At: at}
}

func TestCertifyCountyAndProgramme(t *testing.T) {
	tests := []struct {
		name      string
		cmd       Certify
		target    error
		rule      string
		county    region.Code
		programme programme.Code
	}{
		{"county and vocational training", certify(region.Delingha, programme.VocationalTraining), nil, "", region.Delingha, programme.VocationalTraining},
		{"skill upgrade", certify(region.Golmud, programme.SkillUpgrade), nil, "", region.Golmud, programme.SkillUpgrade},
		{"the prefecture's own training", certify(region.Haixi, programme.VocationalTraining), nil, "", region.Haixi, programme.VocationalTraining},
		{"neither given", certify("", ""), domain.ErrInvalid, "required", "", ""},
		{"county missing", certify("", programme.VocationalTraining), domain.ErrInvalid, "required", "", ""},
		{"programme missing", certify(region.Golmud, ""), domain.ErrInvalid, "required", "", ""},
		{"county outside Haixi", certify("630100", programme.VocationalTraining), domain.ErrInvalid, "haixi-region", "", ""},
		{"county not a code", certify("德令哈", programme.VocationalTraining), domain.ErrInvalid, "haixi-region", "", ""},
		{"programme that trains nobody", certify(region.Ulan, programme.Expansion), domain.ErrInvalid, "training-programme", "", ""},
		{"programme unknown", certify(region.Ulan, "training"), domain.ErrInvalid, "training-programme", "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			l := aggregatetest.New(t, aggregatetest.Aggregate[State, Command]{Decide: Decide, Evolve: Evolve, Decode: Decode})
			evs, err := l.Do(tt.cmd)
			if tt.target != nil {
				wantRule(t, err, tt.target, tt.rule)
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			e := evs[0].(*Certified)
			if e.County != tt.county || e.Programme != tt.programme || l.State.County != tt.county || l.State.Programme != tt.programme {
				t.Errorf("event names %q/%q, state %q/%q; want %q/%q", e.County, e.Programme, l.State.County, l.State.Programme, tt.county, tt.programme)
			}
		})
	}
}

// TestOlderCertificationDecodes: a TraineeCertified stored before the
// county and programme existed still decodes, with both empty, and folds
// into a trainee that can be placed.
func TestOlderCertificationDecodes(t *testing.T) {
	stored := `{"traineeId":"t1","person":"` + person + `","occupation":"电工","level":"intermediate","on":"2025-03-15","actor":"clerk1","role":"clerk","at":"2025-03-03T09:00:00Z"}`
	ev, err := Decode("TraineeCertified", []byte(stored))
	if err != nil {
		t.Fatal(err)
	}
	e := ev.(*Certified)
	if e.County != "" || e.Programme != "" || e.TraineeID != "t1" || e.On != certified {
		t.Fatalf("decoded %+v, want t1 certified on %s with no county or programme", e, certified)
	}
	s := Evolve(State{}, e)
	if s.ID != "t1" || s.County != "" {
		t.Fatalf("state %+v", s)
	}
	if _, err := Decide(s, place("2025-05-01")); err != nil {
		t.Errorf("placing an older trainee: %v", err)
	}
	// A new certification round-trips its county and programme, and an
	// event without them encodes without the keys, as the older ones are.
	l := aggregatetest.New(t, aggregatetest.Aggregate[State, Command]{Decide: Decide, Evolve: Evolve, Decode: Decode})
	l.Must(certify(region.Dulan, programme.VocationalTraining))
	if l.State.County != region.Dulan {
		t.Errorf("county after replay %q, want %s", l.State.County, region.Dulan)
	}
	b := aggregatetest.Canonical(t, &Certified{TraineeID: "t1"})
	for _, key := range []string{`"county"`, `"programme"`} {
		if bytes.Contains(b, []byte(key)) {
			t.Errorf("an event without %s encodes it: %s", key, b)
		}
	}
}
