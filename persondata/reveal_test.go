package persondata_test

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/haixi-hrss/fundledger/domain"
	"github.com/haixi-hrss/fundledger/domain/identity"
	"github.com/haixi-hrss/fundledger/domain/role"
	"github.com/haixi-hrss/fundledger/persondata"
)

func TestDecideReveal(t *testing.T) {
	at := time.Date(2025, 3, 3, 9, 0, 0, 0, time.UTC)
	ref := identity.PersonRef(strings.Repeat("ab", 32))
	ok := persondata.Reveal{Person: ref, Reason: "  complaint 2025-117  ", Actor: "aud1", Role: role.Auditor, At: at}
	with := func(change func(*persondata.Reveal)) persondata.Reveal {
		cmd := ok
		change(&cmd)
		return cmd
	}
	tests := []struct {
		name   string
		cmd    persondata.Reveal
		target error
		field  string
		rule   string
	}{
		{"auditor with a reason", ok, nil, "", ""},
		{"clerk", with(func(c *persondata.Reveal) { c.Role = role.Clerk }), nil, "", ""},
		{"15 digits are not an identity number yet", with(func(c *persondata.Reveal) { c.Reason = "case 12345678901234" }), nil, "", ""},
		{"no reason", with(func(c *persondata.Reveal) { c.Reason = "" }), domain.ErrInvalid, "reason", "required"},
		{"blank reason", with(func(c *persondata.Reveal) { c.Reason = " \t" }), domain.ErrInvalid, "reason", "required"},
		{"reason too long", with(func(c *persondata.Reveal) { c.Reason = strings.Repeat("查", persondata.MaxRevealReason+1) }), domain.ErrInvalid, "reason", "max-length"},
		{"resident ID in the reason", with(func(c *persondata.Reveal) { c.Reason = "check 63280120030415123X" }), domain.ErrInvalid, "reason", "no-identifier"},
		{"old 15-digit ID in the reason", with(func(c *persondata.Reveal) { c.Reason = "check 632801030415123" }), domain.ErrInvalid, "reason", "no-identifier"},
		{"malformed reference", with(func(c *persondata.Reveal) { c.Person = "632801200304151230" }), domain.ErrInvalid, "person", "person-ref"},
		{"no actor", with(func(c *persondata.Reveal) { c.Actor = "" }), domain.ErrInvalid, "actor", "required"},
		{"no time", with(func(c *persondata.Reveal) { c.At = time.Time{} }), domain.ErrInvalid, "at", "required"},
		{"evaluator", with(func(c *persondata.Reveal) { c.Role = role.Evaluator }), domain.ErrRejected, "role", "role-clerk-or-approver-or-treasurer-or-auditor"},
		{"administrator", with(func(c *persondata.Reveal) { c.Role = role.Administrator }), domain.ErrRejected, "role", "role-clerk-or-approver-or-treasurer-or-auditor"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			evs, err := persondata.DecideReveal(persondata.Reveals{}, tt.cmd)
			if tt.target == nil {
				if err != nil || len(evs) != 1 {
					t.Fatalf("decide = %v, %v; want one event", evs, err)
				}
				rec := evs[0].(*persondata.IdentityRevealed)
				want := persondata.IdentityRevealed{Person: ref, Reason: strings.TrimSpace(tt.cmd.Reason), Actor: tt.cmd.Actor, Role: tt.cmd.Role, At: at}
				if *rec != want {
					t.Errorf("recorded %+v, want %+v", *rec, want)
				}
				return
			}
			if !errors.Is(err, tt.target) || len(evs) != 0 {
				t.Fatalf("decide = %v, %v; want %v and no event", evs, err, tt.target)
			}
			var fe *domain.FieldError
			var re *domain.RuleError
			switch {
			case errors.As(err, &fe) && (fe.Field != tt.field || fe.Rule != tt.rule):
				t.Errorf("field error %s/%s, want %s/%s", fe.Field, fe.Rule, tt.field, tt.rule)
			case errors.As(err, &re) && (re.Field != tt.field || re.Rule != tt.rule):
				t.Errorf("rule error %s/%s, want %s/%s", re.Field, re.Rule, tt.field, tt.rule)
			}
		})
	}
}

func TestEvolveRevealsCounts(t *testing.T) {
	s := persondata.Reveals{}
	for range 3 {
		s = persondata.EvolveReveals(s, &persondata.IdentityRevealed{})
	}
	if s.Count != 3 {
		t.Errorf("count = %d after three reveals, want 3", s.Count)
	}
	reg := persondata.EventTypes()
	if len(reg) != 2 {
		t.Errorf("registry %v, want IdentityRevealed and IdentityErased", reg)
	}
	for name, newEvent := range reg {
		if got := newEvent().EventType(); got != name {
			t.Errorf("registry hands out %s under the name %s", got, name)
		}
	}
}
