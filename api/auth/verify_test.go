package auth

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"github.com/haixi-hrss/fundledger/domain/role"
)

// tokensFile writes a tokens file of n active entries without Create's
// fsync per token; it returns the file and the last entry's token.
func tokensFile(tb testing.TB, n int) (path, last string) {
	tb.Helper()
	var f file
	for i := range n {
		last = fmt.Sprintf("%s%043d", Prefix, i)
		f.Tokens = append(f.Tokens, Entry{ID: fmt.Sprintf("%016x", i), Principal: fmt.Sprintf("p%d", i), Role: role.Clerk,
			Hash: hashToken(last), Created: now})
	}
	raw, err := json.Marshal(f)
	if err != nil {
		tb.Fatal(err)
	}
	path = filepath.Join(tb.TempDir(), DefaultFile)
	if err := os.WriteFile(path, raw, 0o600); err != nil {
		tb.Fatal(err)
	}
	return path, last
}

// TestVerifyManyTokens: with the entries indexed by digest, each of many
// tokens still maps to its own principal, and a token one character off
// maps to none.
func TestVerifyManyTokens(t *testing.T) {
	path, _ := tokensFile(t, 50)
	ts, err := Load(path)
	if err != nil {
		t.Fatal(err)
	}
	for i := range 50 {
		tok := fmt.Sprintf("%s%043d", Prefix, i)
		p, ok := ts.Verify(tok)
		if !ok || p.Name != fmt.Sprintf("p%d", i) {
			t.Fatalf("token %d: %+v, %v", i, p, ok)
		}
		if _, ok := ts.Verify(tok + "0"); ok {
			t.Fatalf("token %d with a character appended verifies", i)
		}
	}
}

// BenchmarkVerify measures one bearer-token check, which every
// authenticated request pays, on a small and a large tokens file, from
// several goroutines as a busy server calls it.
func BenchmarkVerify(b *testing.B) {
	for _, n := range []int{5, 1000} {
		b.Run(fmt.Sprintf("tokens=%d", n), func(b *testing.B) {
			path, tok := tokensFile(b, n)
			w, err := Load(path)
			if err != nil {
				b.Fatal(err)
			}
			b.RunParallel(func(pb *testing.PB) {
				for pb.Next() {
					if _, ok := w.Verify(tok); !ok {
						b.Error("token refused")
						return
					}
				}
			})
		})
	}
}
