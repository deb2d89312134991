package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// runMainEnv makes the test binary act as the fundledger binary: tests
// re-execute it to see a real process's exit code and output.
const runMainEnv = "FUNDLEDGER_TEST_RUN_MAIN"

func TestMain(m *testing.M) {
	if os.Getenv(runMainEnv) == "1" {
		main()
		return
	}
	os.Exit(m.Run())
}

// result is what one command run printed and returned.
type result struct {
	code           int
	stdout, stderr string
}

// cli runs the command line in-process.
func cli(t *testing.T, args ...string) result {
	t.Helper()
	var out, errOut bytes.Buffer
	code := run(context.Background(), args, &out, &errOut)
	return result{code, out.String(), errOut.String()}
}

// process runs the command line as a separate process (the test binary
// acting as fundledger) and returns its real exit code.
func process(t *testing.T, args ...string) result {
	t.Helper()
	cmd := exec.Command(os.Args[0], args...)
	cmd.Env = append(os.Environ(), runMainEnv+"=1")
	var out, errOut bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errOut
	err := cmd.Run()
	code := 0
	if exit := (*exec.ExitError)(nil); errors.As(err, &exit) {
		code = exit.ExitCode()
	} else if err != nil {
		t.Fatal(err)
	}
	return result{code, out.String(), errOut.String()}
}

func (r result) wantCode(t *testing.T, code int) {
	t.Helper()
	if r.code != code {
		t.Fatalf("exit code %d, want %d\nstdout:\n%s\nstderr:\n%s", r.code, code, r.stdout, r.stderr)
	}
}

func (r result) wantOut(t *testing.T, parts ...string) {
	t.Helper()
	for _, p := range parts {
		if !strings.Contains(r.stdout, p) {
			t.Errorf("stdout lacks %q:\n%s", p, r.stdout)
		}
	}
}

func (r result) wantErr(t *testing.T, parts ...string) {
	t.Helper()
	for _, p := range parts {
		if !strings.Contains(r.stderr, p) {
			t.Errorf("stderr lacks %q:\n%s", p, r.stderr)
		}
	}
}

func TestUsageAndHelp(t *testing.T) {
	tests := []struct {
		name   string
		args   []string
		code   int
		stdout string // must contain, if set
		stderr string // must contain, if set
	}{
		{"no command", nil, exitUsage, "", "Usage: fundledger <command>"},
		{"help", []string{"--help"}, exitOK, "Commands:", ""},
		{"help word", []string{"help"}, exitOK, "verify", ""},
		{"unknown command", []string{"frobnicate"}, exitUsage, "", `unknown command "frobnicate"`},
		{"verify help", []string{"verify", "--help"}, exitOK, "Usage: fundledger verify (--data DIR | --store URL)", ""},
		{"verify -h", []string{"verify", "-h"}, exitOK, "-expect digest", ""},
		{"verify without --data", []string{"verify"}, exitUsage, "", "give exactly one of --data and --store"},
		{"verify with both stores", []string{"verify", "--data", "x", "--store", "esdb://127.0.0.1:1?tls=false"}, exitUsage, "", "exactly one"},
		{"verify non-KurrentDB store", []string{"verify", "--store", "postgres://x"}, exitUsage, "", "esdb://host:2113"},
		{"verify bad flag", []string{"verify", "--nope"}, exitUsage, "", "flag provided but not defined: -nope"},
		{"verify stray argument", []string{"verify", "--data", "x", "extra"}, exitUsage, "", `unexpected argument "extra"`},
		{"verify bad digest", []string{"verify", "--data", "x", "--expect", "12:zz"}, exitUsage, "", "--expect"},
		{"demo help", []string{"demo", "--help"}, exitOK, "seven", ""},
		{"bench without subcommand", []string{"bench"}, exitUsage, "", "a subcommand is required"},
		{"bench unknown subcommand", []string{"bench", "disk"}, exitUsage, "", `unknown subcommand "disk"`},
		{"bench help", []string{"bench", "--help"}, exitOK, "store", ""},
		{"bench store help", []string{"bench", "store", "--help"}, exitOK, "Usage: fundledger bench store", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := cli(t, tt.args...)
			r.wantCode(t, tt.code)
			if tt.stdout != "" {
				r.wantOut(t, tt.stdout)
			}
			if tt.stderr != "" {
				r.wantErr(t, tt.stderr)
			}
			if tt.code == exitOK && r.stderr != "" {
				t.Errorf("help wrote to stderr: %s", r.stderr)
			}
		})
	}
}

func TestVerifyRefusesMissingLedger(t *testing.T) {
	empty := t.TempDir()
	notDir := filepath.Join(empty, "file")
	if err := os.WriteFile(notDir, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	emptyDB := t.TempDir()
	if err := os.WriteFile(filepath.Join(emptyDB, "ledger.db"), nil, 0o600); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name, dir, msg string
	}{
		{"directory missing", filepath.Join(empty, "nope"), "does not exist"},
		{"not a directory", notDir, "is not a directory"},
		{"directory without a ledger", empty, "holds no ledger (no ledger.db)"},
		{"empty ledger file", emptyDB, "holds no ledger (ledger.db is empty)"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			before := listDir(t, tt.dir)
			r := cli(t, "verify", "--data", tt.dir)
			r.wantCode(t, exitFailure)
			r.wantErr(t, tt.msg)
			if after := listDir(t, tt.dir); after != before {
				t.Fatalf("verify changed %s: %q -> %q", tt.dir, before, after)
			}
		})
	}
}

// listDir returns the names and sizes in dir, or "" if it cannot be read.
func listDir(t *testing.T, dir string) string {
	t.Helper()
	entries, err := os.ReadDir(dir)
	if err != nil {
		return ""
	}
	var b strings.Builder
	for _, e := range entries {
		info, err := e.Info()
		if err != nil {
			t.Fatal(err)
		}
		fmt.Fprintf(&b, "%s:%d ", e.Name(), info.Size())
	}
	return b.String()
}

// The real process exits 0, 1 and 2 as documented.
func TestProcessExitCodes(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "ledger")
	r := process(t, "demo", "--data", dir)
	r.wantCode(t, exitOK)
	r.wantOut(t, "ledger intact")
	process(t, "verify", "--data", dir).wantCode(t, exitOK)
	process(t, "verify", "--data", filepath.Join(dir, "missing")).wantCode(t, exitFailure)
	process(t, "verify").wantCode(t, exitUsage)
}

// wantOutFields is wantOut with runs of spaces in stdout and parts taken
// as one, for tables whose column widths follow their content.
func (r result) wantOutFields(t *testing.T, parts ...string) {
	t.Helper()
	out := squeeze(r.stdout)
	for _, p := range parts {
		if !strings.Contains(out, squeeze(p)) {
			t.Errorf("stdout lacks %q:\n%s", p, r.stdout)
		}
	}
}

// squeeze replaces each run of spaces in s with one.
func squeeze(s string) string {
	return strings.Join(strings.FieldsFunc(s, func(r rune) bool { return r == ' ' }), " ")
}
