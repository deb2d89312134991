package datadir_test

import (
	"bytes"
	"context"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"testing"

	"github.com/haixi-hrss/fundledger/domain/identity"
	"github.com/haixi-hrss/fundledger/ledger/datadir"
	"github.com/haixi-hrss/fundledger/persondata"
)

// TestPeopleOpensOnDemand: a ledger opened without touching personal data
// creates no persondata.db; People opens it in the data directory with the
// hasher given, returns the same register again, refuses a hasher keyed by
// another secret, and Close closes it.
func TestPeopleOpensOnDemand(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	l, err := datadir.Open(ctx, dir, datadir.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	db := filepath.Join(dir, persondata.FileName)
	if _, err := os.Stat(db); !errors.Is(err, fs.ErrNotExist) {
		t.Fatalf("persondata.db before People: %v, want none", err)
	}
	hasher := func(b byte) identity.Hasher {
		h, err := identity.NewHasher(bytes.Repeat([]byte{b}, identity.MinSecretLen))
		if err != nil {
			t.Fatal(err)
		}
		return h
	}
	p, err := l.People(hasher('a'))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(db); err != nil {
		t.Fatalf("persondata.db after People: %v", err)
	}
	c, ok := identity.ResidentCheckChar("63280119900101123")
	if !ok {
		t.Fatal("no check character")
	}
	id, err := identity.ParseResidentID("id", "63280119900101123"+string(c))
	if err != nil {
		t.Fatal(err)
	}
	if ref, _, err := p.Register(ctx, id, ""); err != nil || ref != hasher('a').Ref(id) {
		t.Fatalf("register = %s, %v; want the hasher's reference", ref, err)
	}
	if again, err := l.People(hasher('a')); err != nil || again != p {
		t.Errorf("second People = %p, %v; want the same register %p", again, err, p)
	}
	if _, err := l.People(hasher('b')); err == nil {
		t.Error("People with another secret: no error")
	}
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
	if _, _, err := p.Register(ctx, id, ""); err == nil {
		t.Error("the register still works after Close")
	}
}
