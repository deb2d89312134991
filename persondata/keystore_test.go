package persondata

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"sync"
	"testing"

	"github.com/haixi-hrss/fundledger/domain/identity"
)

const (
	alice identity.PersonRef = "a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1"
	bob   identity.PersonRef = "b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0"
)

var aliceID = []byte(`{"residentId":"632801199001011234","name":"Alice"}`)

func open(t *testing.T, dir string) *KeyStore {
	t.Helper()
	ks, err := Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ks.Close() })
	return ks
}

func TestSealOpenRoundTripSurvivesReopen(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	ks := open(t, dir)
	ct, err := ks.Seal(ctx, alice, aliceID)
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Contains(ct, []byte("Alice")) || bytes.Contains(ct, []byte("632801199001011234")) {
		t.Fatal("ciphertext contains the plaintext")
	}
	// Two seals of the same identity differ (fresh nonce) yet both open.
	ct2, err := ks.Seal(ctx, alice, aliceID)
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Equal(ct, ct2) {
		t.Error("two seals produced the same ciphertext: nonce reused")
	}
	if err := ks.Close(); err != nil {
		t.Fatal(err)
	}
	ks = open(t, dir)
	for _, c := range [][]byte{ct, ct2} {
		got, err := ks.Open(ctx, alice, c)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(got, aliceID) {
			t.Errorf("opened %q, want %q", got, aliceID)
		}
	}
}

func TestCiphertextIsBoundToItsPerson(t *testing.T) {
	ctx := context.Background()
	ks := open(t, t.TempDir())
	ct, err := ks.Seal(ctx, alice, aliceID)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := ks.Seal(ctx, bob, []byte(`{}`)); err != nil {
		t.Fatal(err)
	}
	if _, err := ks.Open(ctx, bob, ct); !errors.Is(err, ErrCiphertext) {
		t.Errorf("alice's ciphertext opened as bob's: err = %v, want ErrCiphertext", err)
	}
	tampered := bytes.Clone(ct)
	tampered[len(tampered)-1] ^= 1
	if _, err := ks.Open(ctx, alice, tampered); !errors.Is(err, ErrCiphertext) {
		t.Errorf("tampered ciphertext: err = %v, want ErrCiphertext", err)
	}
	const carol identity.PersonRef = "c2c2c2c2c2c2c2c2c2c2c2c2c2c2c2c2c2c2c2c2c2c2c2c2c2c2c2c2c2c2c2c2"
	if _, err := ks.Open(ctx, carol, ct); !errors.Is(err, ErrUnknownPerson) {
		t.Errorf("person without key: err = %v, want ErrUnknownPerson", err)
	}
}

func TestConcurrentFirstSealsAgreeOnOneKey(t *testing.T) {
	ctx := context.Background()
	ks := open(t, t.TempDir())
	cts := make([][]byte, 16)
	var wg sync.WaitGroup
	for i := range cts {
		wg.Go(func() {
			ct, err := ks.Seal(ctx, alice, aliceID)
			if err != nil {
				t.Error(err)
			}
			cts[i] = ct
		})
	}
	wg.Wait()
	for i, ct := range cts {
		if _, err := ks.Open(ctx, alice, ct); err != nil {
			t.Errorf("ciphertext %d does not open: %v", i, err)
		}
	}
}

func TestEraseShredsTheKey(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	ks := open(t, dir)
	ct, err := ks.Seal(ctx, alice, aliceID)
	if err != nil {
		t.Fatal(err)
	}
	bobCT, err := ks.Seal(ctx, bob, []byte(`{"name":"Bob"}`))
	if err != nil {
		t.Fatal(err)
	}
	key, err := ks.key(ctx, alice)
	if err != nil {
		t.Fatal(err)
	}
	// The search below must be able to find the key while it exists, or
	// its failing to find it after Erase would prove nothing.
	if !filesContain(t, dir, key) {
		t.Fatal("key bytes not found in the key store's files before erase")
	}

	if err := ks.Erase(ctx, alice); err != nil {
		t.Fatal(err)
	}
	if _, err := ks.Open(ctx, alice, ct); !errors.Is(err, ErrErased) {
		t.Errorf("open after erase: err = %v, want ErrErased", err)
	}
	if _, err := ks.Seal(ctx, alice, aliceID); !errors.Is(err, ErrErased) {
		t.Errorf("seal after erase: err = %v, want ErrErased (no new key for an erased person)", err)
	}
	if err := ks.Erase(ctx, alice); err != nil {
		t.Errorf("second erase: %v", err)
	}
	if filesContain(t, dir, key) {
		t.Error("key bytes still present in the key store's files after erase")
	}
	// Other people are untouched, and the erasure survives a restart.
	if err := ks.Close(); err != nil {
		t.Fatal(err)
	}
	ks = open(t, dir)
	if _, err := ks.Open(ctx, bob, bobCT); err != nil {
		t.Errorf("bob after alice's erasure: %v", err)
	}
	if _, err := ks.Open(ctx, alice, ct); !errors.Is(err, ErrErased) {
		t.Errorf("open after erase and reopen: err = %v, want ErrErased", err)
	}
	if filesContain(t, dir, key) {
		t.Error("key bytes present in the key store's files after reopen")
	}
}

// filesContain reports whether any file in dir (the database, its WAL and
// shared memory) contains b.
func filesContain(t *testing.T, dir string, b []byte) bool {
	t.Helper()
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		data, err := os.ReadFile(filepath.Join(dir, e.Name()))
		if err != nil {
			t.Fatal(err)
		}
		if bytes.Contains(data, b) {
			return true
		}
	}
	return false
}

// TestKeyStoreIsOwnerOnly: the key store holds every person's key, so its
// files are created readable by their owner only, and a file created
// looser (an older version, a restore) is tightened when opened.
func TestKeyStoreIsOwnerOnly(t *testing.T) {
	dir := t.TempDir()
	ks := open(t, dir)
	if _, err := ks.Seal(context.Background(), alice, aliceID); err != nil {
		t.Fatal(err)
	}
	files, err := filepath.Glob(filepath.Join(dir, FileName+"*"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no key store files in %s (%v)", dir, err)
	}
	for _, f := range files {
		info, err := os.Stat(f)
		if err != nil {
			t.Fatal(err)
		}
		if perm := info.Mode().Perm(); perm&0o077 != 0 {
			t.Errorf("%s has mode %04o, want owner-only", filepath.Base(f), perm)
		}
	}

	loose := t.TempDir()
	if err := os.WriteFile(filepath.Join(loose, FileName), nil, 0o644); err != nil {
		t.Fatal(err)
	}
	open(t, loose)
	info, err := os.Stat(filepath.Join(loose, FileName))
	if err != nil {
		t.Fatal(err)
	}
	if perm := info.Mode().Perm(); perm != 0o600 {
		t.Errorf("a key store created with mode 0644 has mode %04o after opening, want 0600", perm)
	}
}
