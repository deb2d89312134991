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

func TestDecideErase(t *testing.T) {
	at := time.Date(2025, 3, 10, 2, 0, 0, 0, time.UTC)
	ref := identity.PersonRef(strings.Repeat("3f", 32))
	ok := persondata.Erase{Person: ref, Reason: " deletion request under PIPL ", Actor: "admin1", Role: role.Administrator, At: at}
	with := func(change func(*persondata.Erase)) persondata.Erase {
		c := ok
		change(&c)
		return c
	}
	tests := []struct {
		name  string
		cmd   persondata.Erase
		want  error
		field string
	}{
		{"clerk", with(func(c *persondata.Erase) { c.Role = role.Clerk }), domain.ErrRejected, ""},
		{"auditor", with(func(c *persondata.Erase) { c.Role = role.Auditor }), domain.ErrRejected, ""},
		{"no actor", with(func(c *persondata.Erase) { c.Actor = "" }), domain.ErrInvalid, ""},
		{"no reason", with(func(c *persondata.Erase) { c.Reason = "" }), domain.ErrInvalid, "reason"},
		{"reason too long", with(func(c *persondata.Erase) { c.Reason = strings.Repeat("x", persondata.MaxRevealReason+1) }), domain.ErrInvalid, "reason"},
		{"reason holds an ID", with(func(c *persondata.Erase) { c.Reason = "request of 632801200304151234" }), domain.ErrInvalid, "reason"},
		{"bad reference", with(func(c *persondata.Erase) { c.Person = "xyz" }), domain.ErrInvalid, "person"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			evs, err := persondata.DecideErase(persondata.Erasure{}, tt.cmd)
			var fe *domain.FieldError
			if !errors.Is(err, tt.want) || len(evs) != 0 || (tt.field != "" && (!errors.As(err, &fe) || fe.Field != tt.field)) {
				t.Errorf("DecideErase = %v, %v; want %v on field %q", evs, err, tt.want, tt.field)
			}
		})
	}

	evs, err := persondata.DecideErase(persondata.Erasure{}, ok)
	if err != nil || len(evs) != 1 {
		t.Fatalf("DecideErase = %v, %v; want one event", evs, err)
	}
	want := persondata.IdentityErased{Person: ref, Reason: "deletion request under PIPL", Actor: "admin1", Role: role.Administrator, At: at}
	if e, isErased := evs[0].(*persondata.IdentityErased); !isErased || *e != want {
		t.Errorf("event %+v, want %+v", evs[0], want)
	}
	st := persondata.EvolveErasure(persondata.Erasure{}, evs[0])
	if !st.Erased {
		t.Fatal("the erasure stream does not fold to erased")
	}
	// Recorded once: a repeat decides nothing, so the caller only
	// completes the destruction.
	if again, err := persondata.DecideErase(st, ok); err != nil || len(again) != 0 {
		t.Errorf("repeat = %v, %v; want nothing, no error", again, err)
	}
	// A refusal still wins over "already erased".
	if _, err := persondata.DecideErase(st, with(func(c *persondata.Erase) { c.Role = role.Clerk })); !errors.Is(err, domain.ErrRejected) {
		t.Errorf("a clerk's repeat: err = %v, want a refusal", err)
	}
	if _, ok := persondata.EventTypes()["IdentityErased"]; !ok {
		t.Error("IdentityErased is not in the registry")
	}
}
