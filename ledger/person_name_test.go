package ledger_test

import (
	"bytes"
	"context"
	"testing"

	"github.com/google/uuid"

	"github.com/haixi-hrss/fundledger/domain/identity"
	"github.com/haixi-hrss/fundledger/domain/role"
	"github.com/haixi-hrss/fundledger/ledger"
	"github.com/haixi-hrss/fundledger/persondata"
)

// TestRegisterWithoutNameKeepsTheName: a person registered with a name
// and registered again without one (a claim that carries only the
// resident ID) keeps the name; a new name replaces it.
func TestRegisterWithoutNameKeepsTheName(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	people := openPeople(t, dir)
	svc := paymentService(t, openStore(t, dir))
	id := residentID(t, "19950505", 321)
	named := func(want string) {
		t.Helper()
		who, err := people.Reveal(ctx, svc, revealTo(people.Ref(id), "clerk1", role.Clerk), ledger.Command{ID: uuid.New(), Actor: "clerk1", Role: role.Clerk})
		if err != nil || who.Name != want || who.ResidentID != id {
			t.Fatalf("reveal = %q, %v; want %q", who.Name, err, want)
		}
	}
	for _, step := range []struct{ name, want string }{{"", ""}, {"马丽", "马丽"}, {"", "马丽"}, {"马莉", "马莉"}} {
		if _, _, err := people.Register(ctx, id, step.name); err != nil {
			t.Fatal(err)
		}
		named(step.want)
	}
}

// TestOpenPeopleWithASecretKeptElsewhere: the register opened with a
// hasher makes that hasher's references, and its key store still lives in
// the data directory.
func TestOpenPeopleWithASecretKeptElsewhere(t *testing.T) {
	dir := t.TempDir()
	h, err := identity.NewHasher(bytes.Repeat([]byte("s"), identity.MinSecretLen))
	if err != nil {
		t.Fatal(err)
	}
	people, err := ledger.OpenPeopleWith(dir, h)
	if err != nil {
		t.Fatal(err)
	}
	defer people.Close()
	id := residentID(t, "19950505", 322)
	ref, _, err := people.Register(context.Background(), id, "")
	if err != nil || ref != h.Ref(id) || people.Ref(id) != h.Ref(id) {
		t.Fatalf("register = %s, %v; want %s", ref, err, h.Ref(id))
	}
	keys, err := persondata.Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer keys.Close()
	if _, err := keys.Get(context.Background(), ref); err != nil {
		t.Errorf("the key store in %s does not hold the person: %v", dir, err)
	}
}
