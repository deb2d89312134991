package persondata

import (
	"bytes"
	"context"
	"errors"
	"sync"
	"testing"

	"github.com/haixi-hrss/fundledger/domain/identity"
)

// sealedOf reads the ciphertext kept for ref straight from the table.
func sealedOf(t *testing.T, ks *KeyStore, ref string) []byte {
	t.Helper()
	var sealed []byte
	if err := ks.db.QueryRow(`SELECT sealed FROM sealed_identity WHERE person = ?`, ref).Scan(&sealed); err != nil {
		t.Fatal(err)
	}
	return sealed
}

func TestPutGetKeepsTheIdentitySealed(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	ks := open(t, dir)
	if err := ks.Put(ctx, alice, []byte(`{"residentId":"632801199001011234","name":"Old"}`)); err != nil {
		t.Fatal(err)
	}
	if err := ks.Put(ctx, alice, aliceID); err != nil {
		t.Fatal(err)
	}
	got, err := ks.Get(ctx, alice)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, aliceID) {
		t.Errorf("Get = %q, want the latest Put %q", got, aliceID)
	}
	if filesContain(t, dir, []byte("632801199001011234")) || filesContain(t, dir, []byte("Alice")) {
		t.Error("the key store's files hold the plaintext identity")
	}
	if !filesContain(t, dir, sealedOf(t, ks, string(alice))) {
		t.Fatal("the sealed identity is not found in the files: the search below would prove nothing")
	}
}

func TestGetErrors(t *testing.T) {
	ctx := context.Background()
	ks := open(t, t.TempDir())
	if _, err := ks.Seal(ctx, bob, []byte(`{}`)); err != nil {
		t.Fatal(err)
	}
	if err := ks.Put(ctx, alice, aliceID); err != nil {
		t.Fatal(err)
	}
	if err := ks.Erase(ctx, alice); err != nil {
		t.Fatal(err)
	}
	const carol = "c2c2c2c2c2c2c2c2c2c2c2c2c2c2c2c2c2c2c2c2c2c2c2c2c2c2c2c2c2c2c2c2"
	tests := []struct {
		name string
		ref  string
		want error
	}{
		{"never seen", carol, ErrUnknownPerson},
		{"key but nothing put", string(bob), ErrNoIdentity},
		{"erased", string(alice), ErrErased},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := ks.Get(ctx, identity.PersonRef(tt.ref)); !errors.Is(err, tt.want) {
				t.Errorf("Get: err = %v, want %v", err, tt.want)
			}
		})
	}
	if err := ks.Put(ctx, alice, aliceID); !errors.Is(err, ErrErased) {
		t.Errorf("Put after erase: err = %v, want ErrErased", err)
	}
}

func TestEraseRemovesTheSealedIdentity(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	ks := open(t, dir)
	if err := ks.Put(ctx, alice, aliceID); err != nil {
		t.Fatal(err)
	}
	bobID := []byte(`{"name":"Bob"}`)
	if err := ks.Put(ctx, bob, bobID); err != nil {
		t.Fatal(err)
	}
	sealed := sealedOf(t, ks, string(alice))
	if !filesContain(t, dir, sealed) {
		t.Fatal("the sealed identity is not found in the files before erase")
	}
	if err := ks.Erase(ctx, alice); err != nil {
		t.Fatal(err)
	}
	if filesContain(t, dir, sealed) {
		t.Error("the sealed identity is still in the files after erase")
	}
	if err := ks.Close(); err != nil {
		t.Fatal(err)
	}
	ks = open(t, dir)
	if _, err := ks.Get(ctx, alice); !errors.Is(err, ErrErased) {
		t.Errorf("Get after erase and reopen: err = %v, want ErrErased", err)
	}
	if got, err := ks.Get(ctx, bob); err != nil || !bytes.Equal(got, bobID) {
		t.Errorf("bob after alice's erasure: %q, %v", got, err)
	}
}

// TestPutRacingEraseLeavesNothing: Puts that race an Erase either finish
// before it (and are erased with the key) or fail with ErrErased; none
// leaves a ciphertext behind for the erased person.
func TestPutRacingEraseLeavesNothing(t *testing.T) {
	ctx := context.Background()
	ks := open(t, t.TempDir())
	if err := ks.Put(ctx, alice, aliceID); err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	start := make(chan struct{})
	for range 16 {
		wg.Go(func() {
			<-start
			if err := ks.Put(ctx, alice, aliceID); err != nil && !errors.Is(err, ErrErased) {
				t.Error(err)
			}
		})
	}
	wg.Go(func() {
		<-start
		if err := ks.Erase(ctx, alice); err != nil {
			t.Error(err)
		}
	})
	close(start)
	wg.Wait()
	var n int
	if err := ks.db.QueryRow(`SELECT count(*) FROM sealed_identity WHERE person = ?`, string(alice)).Scan(&n); err != nil {
		t.Fatal(err)
	}
	if n != 0 {
		t.Errorf("%d sealed identities left for an erased person", n)
	}
}
