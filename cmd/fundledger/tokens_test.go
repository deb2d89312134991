package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/haixi-hrss/fundledger/api/auth"
)

// TestTokensLifecycle: create prints a token once (stdout holds nothing
// else) that verifies as its principal and role, the file holds only its
// hash, list shows it without the token, revoke makes it fail to verify
// and list shows the revocation.
func TestTokensLifecycle(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, auth.DefaultFile)

	c := cli(t, "tokens", "create", "--data", dir, "--principal", "clerk-golmud-1", "--role", "clerk")
	c.wantCode(t, exitOK)
	token := strings.TrimSpace(c.stdout)
	if !strings.HasPrefix(token, auth.Prefix) || strings.ContainsAny(token, " \n") {
		t.Fatalf("stdout is not one token: %q", c.stdout)
	}
	c.wantErr(t, "for clerk-golmud-1 (clerk)", "shown only this once")
	raw, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(string(raw), token) {
		t.Fatal("the tokens file holds the token in plaintext")
	}
	if info, err := os.Stat(file); err != nil || info.Mode().Perm() != 0o600 {
		t.Fatalf("tokens file mode %v (err %v), want 0600", info.Mode().Perm(), err)
	}
	tokens, err := auth.Load(file)
	if err != nil {
		t.Fatal(err)
	}
	if p, ok := tokens.Verify(token); !ok || p.Name != "clerk-golmud-1" || p.Role != "clerk" {
		t.Fatalf("the printed token verifies as %+v, %v", p, ok)
	}

	other := cli(t, "tokens", "create", "--file", file, "--principal", "auditor-1", "--role", "auditor")
	other.wantCode(t, exitOK)
	entries, err := auth.List(file)
	if err != nil || len(entries) != 2 {
		t.Fatalf("%d entries (err %v), want 2", len(entries), err)
	}
	id := entries[0].ID

	l := cli(t, "tokens", "list", "--data", dir)
	l.wantCode(t, exitOK)
	l.wantOutFields(t, "ID PRINCIPAL ROLE CREATED REVOKED", id+" clerk-golmud-1 clerk")
	l.wantOut(t, "auditor-1")
	if strings.Contains(l.stdout, token) || strings.Contains(l.stdout, entries[0].Hash) {
		t.Fatal("list shows a token or its hash")
	}

	// The ID may come before or after the flags.
	r := cli(t, "tokens", "revoke", id, "--data", dir)
	r.wantCode(t, exitOK)
	r.wantOut(t, "revoked token "+id)
	cli(t, "tokens", "revoke", "--data", dir, id).wantCode(t, exitOK)
	tokens, err = auth.Load(file)
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := tokens.Verify(token); ok {
		t.Fatal("a revoked token still verifies")
	}
	l = cli(t, "tokens", "list", "--data", dir)
	for _, line := range strings.Split(l.stdout, "\n") {
		if strings.HasPrefix(line, id) && strings.HasSuffix(strings.TrimSpace(line), " -") {
			t.Errorf("list does not show the revocation: %q", line)
		}
	}

	missing := cli(t, "tokens", "revoke", "--data", dir, "0000000000000000")
	missing.wantCode(t, exitFailure)
	missing.wantErr(t, "no token with ID 0000000000000000")
	bad := cli(t, "tokens", "create", "--data", dir, "--principal", "x", "--role", "king")
	bad.wantCode(t, exitFailure)
	bad.wantErr(t, `unknown role "king"`)
	if bad.stdout != "" {
		t.Errorf("a refused create printed %q", bad.stdout)
	}
}

func TestTokensUsage(t *testing.T) {
	dir := t.TempDir()
	tests := []struct {
		name string
		args []string
		msg  string
	}{
		{"no subcommand", []string{"tokens"}, "a subcommand is required"},
		{"unknown subcommand", []string{"tokens", "rotate"}, `unknown subcommand "rotate"`},
		{"create without file", []string{"tokens", "create", "--principal", "a", "--role", "clerk"}, "exactly one of --data and --file"},
		{"create with both", []string{"tokens", "create", "--data", dir, "--file", "f", "--principal", "a", "--role", "clerk"}, "exactly one"},
		{"create without principal", []string{"tokens", "create", "--data", dir, "--role", "clerk"}, "--principal is required"},
		{"create without role", []string{"tokens", "create", "--data", dir, "--principal", "a"}, "--role is required"},
		{"create stray argument", []string{"tokens", "create", "--data", dir, "--principal", "a", "--role", "clerk", "x"}, `unexpected argument "x"`},
		{"list bad flag", []string{"tokens", "list", "--nope"}, "flag provided but not defined"},
		{"revoke without id", []string{"tokens", "revoke", "--data", dir}, "1 argument(s) required"},
		{"revoke two ids", []string{"tokens", "revoke", "--data", dir, "a", "b"}, `unexpected argument "b"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := cli(t, tt.args...)
			r.wantCode(t, exitUsage)
			r.wantErr(t, tt.msg, "Usage: fundledger tokens")
		})
	}
	if got := listDir(t, dir); got != "" {
		t.Errorf("usage errors left %q", got)
	}
	for _, sub := range []string{"create", "list", "revoke"} {
		h := cli(t, "tokens", sub, "--help")
		h.wantCode(t, exitOK)
		h.wantOut(t, "Usage: fundledger tokens "+sub, "Example")
	}
	cli(t, "tokens", "--help").wantOut(t, "create", "list", "revoke")
	process(t, "tokens", "list").wantCode(t, exitUsage)
}
