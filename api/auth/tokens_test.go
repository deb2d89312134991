package auth

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/haixi-hrss/fundledger/domain/role"
)

var now = time.Date(2025, 3, 1, 9, 0, 0, 0, time.UTC)

func TestCreateVerify(t *testing.T) {
	path := filepath.Join(t.TempDir(), DefaultFile)
	tok, e, err := Create(path, "li.clerk", role.Clerk, now)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(tok, Prefix) || len(tok) != len(Prefix)+43 {
		t.Fatalf("token %q: want %s + 43 base64url chars", tok, Prefix)
	}
	if e.Principal != "li.clerk" || e.Role != role.Clerk || !e.Created.Equal(now) || e.Revoked != nil {
		t.Fatalf("entry %+v", e)
	}
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(string(b), tok) || strings.Contains(string(b), strings.TrimPrefix(tok, Prefix)) {
		t.Fatal("the tokens file holds the plaintext token")
	}
	st, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if st.Mode().Perm() != 0o600 {
		t.Fatalf("mode %v, want 0600", st.Mode().Perm())
	}
	ts, err := Load(path)
	if err != nil {
		t.Fatal(err)
	}
	p, ok := ts.Verify(tok)
	if !ok || p != (Principal{Name: "li.clerk", Role: role.Clerk}) {
		t.Fatalf("Verify = %+v, %v", p, ok)
	}
	for _, bad := range []string{"", Prefix, tok + "x", tok[:len(tok)-1], strings.ToUpper(tok)} {
		if _, ok := ts.Verify(bad); ok {
			t.Errorf("Verify(%q) accepted", bad)
		}
	}
}

func TestTwoTokensDistinct(t *testing.T) {
	path := filepath.Join(t.TempDir(), DefaultFile)
	a, _, err := Create(path, "wang", role.Approver, now)
	if err != nil {
		t.Fatal(err)
	}
	b, _, err := Create(path, "zhao", role.Treasurer, now)
	if err != nil {
		t.Fatal(err)
	}
	if a == b {
		t.Fatal("two tokens are equal")
	}
	ts, err := Load(path)
	if err != nil {
		t.Fatal(err)
	}
	if p, _ := ts.Verify(a); p.Name != "wang" || p.Role != role.Approver {
		t.Fatalf("a -> %+v", p)
	}
	if p, _ := ts.Verify(b); p.Name != "zhao" || p.Role != role.Treasurer {
		t.Fatalf("b -> %+v", p)
	}
}

func TestRevoke(t *testing.T) {
	path := filepath.Join(t.TempDir(), DefaultFile)
	tok, e, err := Create(path, "li", role.Auditor, now)
	if err != nil {
		t.Fatal(err)
	}
	later := now.Add(time.Hour)
	if err := Revoke(path, e.ID, later); err != nil {
		t.Fatal(err)
	}
	if err := Revoke(path, e.ID, later.Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	list, err := List(path)
	if err != nil {
		t.Fatal(err)
	}
	if len(list) != 1 || list[0].Revoked == nil || !list[0].Revoked.Equal(later) {
		t.Fatalf("list after revoke: %+v", list)
	}
	ts, err := Load(path)
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := ts.Verify(tok); ok {
		t.Fatal("a revoked token still verifies")
	}
	if err := Revoke(path, "nope", now); !errors.Is(err, ErrNotFound) {
		t.Fatalf("revoke unknown: %v", err)
	}
}

func TestCreateRejects(t *testing.T) {
	path := filepath.Join(t.TempDir(), DefaultFile)
	if _, _, err := Create(path, "li", "superuser", now); err == nil {
		t.Fatal("unknown role accepted")
	}
	if _, _, err := Create(path, "  ", role.Clerk, now); err == nil {
		t.Fatal("empty principal accepted")
	}
	if list, err := List(path); err != nil || len(list) != 0 {
		t.Fatalf("rejected creates left %v, %v", list, err)
	}
}

func TestLoadMalformed(t *testing.T) {
	path := filepath.Join(t.TempDir(), DefaultFile)
	if err := os.WriteFile(path, []byte("{not json"), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := Load(path); err == nil {
		t.Fatal("malformed file loaded")
	}
	if err := os.WriteFile(path, []byte(`{"tokens":[{"id":"x","sha256":"abc"}]}`), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := Load(path); err == nil {
		t.Fatal("malformed hash loaded")
	}
}

// Each Create opens its own lock descriptor, as a separate CLI process
// would; without the lock, read-modify-write races would drop entries.
func TestConcurrentCreate(t *testing.T) {
	path := filepath.Join(t.TempDir(), DefaultFile)
	const n = 16
	var wg sync.WaitGroup
	errs := make(chan error, n)
	for range n {
		wg.Go(func() {
			_, _, err := Create(path, "clerk", role.Clerk, now)
			errs <- err
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	list, err := List(path)
	if err != nil {
		t.Fatal(err)
	}
	if len(list) != n {
		t.Fatalf("%d entries after %d concurrent creates", len(list), n)
	}
	leftovers, _ := filepath.Glob(path + ".tmp-*")
	if len(leftovers) != 0 {
		t.Fatalf("temp files left: %v", leftovers)
	}
}
