package persondata

import (
	"bytes"
	"encoding/hex"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
)

func TestOpenSecretCreatesOnceAndKeeps(t *testing.T) {
	dir := t.TempDir()
	secrets := make([][]byte, 8)
	var wg sync.WaitGroup
	for i := range secrets {
		wg.Go(func() {
			s, err := OpenSecret(dir)
			if err != nil {
				t.Error(err)
			}
			secrets[i] = s
		})
	}
	wg.Wait()
	for i, s := range secrets {
		if !bytes.Equal(s, secrets[0]) {
			t.Fatalf("concurrent first opens disagree: %d got another secret", i)
		}
	}
	if _, err := hex.DecodeString(string(secrets[0])); err != nil || len(secrets[0]) != 64 {
		t.Errorf("secret %q is not 64 hex digits", secrets[0])
	}
	info, err := os.Stat(filepath.Join(dir, SecretFileName))
	if err != nil {
		t.Fatal(err)
	}
	if perm := info.Mode().Perm(); perm != 0o600 {
		t.Errorf("secret file mode %04o, want 0600", perm)
	}
	again, err := OpenSecret(dir)
	if err != nil || !bytes.Equal(again, secrets[0]) {
		t.Errorf("reopen = %q, %v; want the same secret", again, err)
	}
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	if len(entries) != 1 {
		t.Errorf("data directory holds %d files, want only %s (temporary files left behind?)", len(entries), SecretFileName)
	}
}

func TestOpenSecretRefuses(t *testing.T) {
	tests := []struct {
		name, content string
		mode          os.FileMode
		want          string
	}{
		{"readable by others", strings.Repeat("k", 64), 0o644, "owner only"},
		{"too short", "short", 0o600, "at least 32"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			path := filepath.Join(dir, SecretFileName)
			if err := os.WriteFile(path, []byte(tt.content), tt.mode); err != nil {
				t.Fatal(err)
			}
			if err := os.Chmod(path, tt.mode); err != nil {
				t.Fatal(err)
			}
			if _, err := OpenSecret(dir); err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("OpenSecret: err = %v, want one saying %q", err, tt.want)
			}
		})
	}
}

// TestOpenSecretReadsTheDemoFile: a secret written as the demo writes it
// (its own text, 0600) is used as it is.
func TestOpenSecretReadsTheDemoFile(t *testing.T) {
	dir := t.TempDir()
	want := []byte("fundledger demo secret: not for real data, long enough")
	if err := os.WriteFile(filepath.Join(dir, SecretFileName), want, 0o600); err != nil {
		t.Fatal(err)
	}
	got, err := OpenSecret(dir)
	if err != nil || !bytes.Equal(got, want) {
		t.Errorf("OpenSecret = %q, %v; want the file's bytes", got, err)
	}
}
