package main

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/haixi-hrss/fundledger/api/auth"
	"github.com/haixi-hrss/fundledger/domain/identity"
	"github.com/haixi-hrss/fundledger/domain/role"
	"github.com/haixi-hrss/fundledger/ledger/batch"
	"github.com/haixi-hrss/fundledger/projections"
)

// creditCode returns a valid unified social credit code of enterprise i.
func creditCode(t *testing.T, i int) string {
	t.Helper()
	body := fmt.Sprintf("91632801MA%07d", i)
	c, ok := identity.CreditCheckChar(body)
	if !ok {
		t.Fatalf("no check character for %s", body)
	}
	return body + string(c)
}

// withBadCheckChar returns code with a wrong but well-formed check
// character, which sends the unit to manual review.
func withBadCheckChar(code string) string {
	last := byte('0')
	if code[17] == '0' {
		last = '1'
	}
	return code[:17] + string(last)
}

// stabilizationFile writes a CSV of employers to a temp file: SME units of
// 50 staff with 8,000.00 yuan of premiums (a 60 % refund is 4,800.00 under
// stabilization-2025) and a bad row, line 5, whose staff is not a number.
func stabilizationFile(t *testing.T, withBadRow bool) (path string, codes []string) {
	t.Helper()
	codes = []string{creditCode(t, 1), creditCode(t, 2), withBadCheckChar(creditCode(t, 3))}
	var b strings.Builder
	b.WriteString(strings.Join(batch.StabilizationColumns, ",") + "\n")
	fmt.Fprintf(&b, "%s,eligible unit,50,12,8000.00,0,50,50,50,false,false\n", codes[0])
	fmt.Fprintf(&b, "%s,dishonest unit,50,12,8000.00,0,50,50,50,true,false\n", codes[1])
	fmt.Fprintf(&b, "%s,unit to review,50,12,8000.00,0,50,50,50,false,false\n", codes[2])
	if withBadRow {
		fmt.Fprintf(&b, "%s,bad unit,many,12,8000.00,0,50,50,50,false,false\n", creditCode(t, 4))
	}
	path = filepath.Join(t.TempDir(), "employers-2024.csv")
	if err := os.WriteFile(path, []byte(b.String()), 0o600); err != nil {
		t.Fatal(err)
	}
	return path, codes
}

// importArgs are the import's arguments for dir and file.
func importArgs(dir, file string) []string {
	return []string{"import", "stabilization", "--data", dir, "--year", "2024", "--file", file,
		"--line", "line-stabilization-2025", "--actor", "clerk-haixi", "--date", "2025-03-31"}
}

// TestImportStabilization: the import records every good row as a claim
// with the outcome the rules give, reports the bad row by line and column
// and exits 1; a rerun appends nothing and says every employer was already
// done; once the bad row is fixed, only it is recorded.
func TestImportStabilization(t *testing.T) {
	dir := t.TempDir()
	clock := time.Date(2025, 1, 2, 1, 0, 0, 0, time.UTC)
	l := testLedger(t, dir, &clock)
	publishSeedPolicies(t, l)
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
	allowImport(t, dir)
	file, codes := stabilizationFile(t, true)

	r := cli(t, importArgs(dir, file)...)
	r.wantCode(t, exitFailure)
	r.wantErr(t, "line 5", "insured_staff", "1 rows were not imported")
	r.wantOutFields(t, "policy stabilization-2025",
		"rows read      3", "rows rejected  1",
		"eligible       1  4800.00 yuan",
		"needs review   1  4800.00 yuan",
		"not eligible   1", "not-seriously-dishonest   1", "already done   0")
	logLen := len(logOf(t, dir))

	again := cli(t, importArgs(dir, file)...)
	again.wantCode(t, exitFailure)
	again.wantOutFields(t, "eligible       1  4800.00 yuan", "not eligible   1", "already done   3")
	if n := len(logOf(t, dir)); n != logLen {
		t.Fatalf("the rerun appended %d events", n-logLen)
	}

	// The claims are in the log with the statuses the summary gave.
	rep := cli(t, "replay", "--data", dir, "--as-of", "2099-01-01", "--view", "claims", "--format", "json")
	rep.wantCode(t, exitOK)
	var out struct {
		Rows []projections.ClaimRow `json:"rows"`
	}
	if err := json.Unmarshal([]byte(rep.stdout), &out); err != nil {
		t.Fatalf("replay json: %v\n%s", err, rep.stdout)
	}
	status := map[string]string{}
	for _, c := range out.Rows {
		status[c.ID] = string(c.Status) + " " + c.Approved.String()
	}
	for i, want := range []string{"checked", "rejected", "checked"} {
		id := batch.StabilizationClaimID(codes[i], 2024)
		if got := status[id]; !strings.HasPrefix(got, want) {
			t.Errorf("claim %s is %q, want %s", id, got, want)
		}
	}
	if len(out.Rows) != 3 {
		t.Errorf("%d claims in the ledger, want 3", len(out.Rows))
	}
	// Every event the batch appended names the clerk and the role the
	// tokens file confirmed (invariant 8 on the command line).
	claims := 0
	for _, ev := range logOf(t, dir) {
		if !strings.HasPrefix(ev.Stream, "claim-") {
			continue
		}
		claims++
		if ev.Metadata.Actor != "clerk-haixi" || ev.Metadata.Role != role.Clerk {
			t.Errorf("%s in %s recorded by %q as %q, want clerk-haixi as clerk", ev.Type, ev.Stream, ev.Metadata.Actor, ev.Metadata.Role)
		}
	}
	if claims == 0 {
		t.Error("no claim events in the log")
	}

	fixed, _ := stabilizationFile(t, false)
	body, err := os.ReadFile(fixed)
	if err != nil {
		t.Fatal(err)
	}
	body = append(body, fmt.Sprintf("%s,fixed unit,50,12,8000.00,0,50,50,50,false,false\n", creditCode(t, 4))...)
	if err := os.WriteFile(fixed, body, 0o600); err != nil {
		t.Fatal(err)
	}
	last := cli(t, importArgs(dir, fixed)...)
	last.wantCode(t, exitOK)
	last.wantOutFields(t, "rows read      4", "rows rejected  0", "eligible       2  9600.00 yuan", "already done   3")
}

// TestImportRefusals: usage errors exit 2; a missing ledger or one without
// a published policy exits 1 and records nothing.
func TestImportRefusals(t *testing.T) {
	file, _ := stabilizationFile(t, false)
	missing := filepath.Join(t.TempDir(), "nope")
	full := importArgs(missing, file)
	without := func(flag string) []string {
		var args []string
		for i := 0; i < len(full); i++ {
			if full[i] == flag {
				i++
				continue
			}
			args = append(args, full[i])
		}
		return args
	}
	usage := []struct {
		name string
		args []string
		msg  string
	}{
		{"no subcommand", []string{"import"}, "a subcommand is required"},
		{"unknown subcommand", []string{"import", "grants"}, `unknown subcommand "grants"`},
		{"no data", without("--data"), "--data is required"},
		{"no file", without("--file"), "--file is required"},
		{"no line", without("--line"), "--line is required"},
		{"no actor", without("--actor"), "--actor is required"},
		{"no year", without("--year"), "--year"},
		{"bad date", append(full, "--date", "2025-02-30"), "--date"},
		{"bad region", append(full, "--region", "110000"), "--region"},
		{"no workers", append(full, "--workers", "0"), "--workers"},
		{"bad flag", append(full, "--nope"), "flag provided but not defined"},
		{"stray argument", append(full, "extra"), `unexpected argument "extra"`},
		{"not KurrentDB", append(full, "--store", "postgres://x"), "esdb://"},
	}
	for _, tt := range usage {
		t.Run(tt.name, func(t *testing.T) {
			r := cli(t, tt.args...)
			r.wantCode(t, exitUsage)
			r.wantErr(t, tt.msg, "Usage: fundledger import")
		})
	}

	r := cli(t, full...)
	r.wantCode(t, exitFailure)
	r.wantErr(t, "does not exist")
	if _, err := os.Stat(missing); !os.IsNotExist(err) {
		t.Fatalf("import created %s", missing)
	}

	dir := t.TempDir()
	clock := time.Date(2025, 1, 2, 1, 0, 0, 0, time.UTC)
	l := testLedger(t, dir, &clock)
	openTestFund(t, l, "f1", clock)
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
	allowImport(t, dir)
	before := len(logOf(t, dir))
	r = cli(t, importArgs(dir, file)...)
	r.wantCode(t, exitFailure)
	r.wantErr(t, "no stabilization policy in force on 2025-03-31")
	if n := len(logOf(t, dir)); n != before {
		t.Fatalf("a refused import appended %d events", n-before)
	}

	h := cli(t, "import", "stabilization", "--help")
	h.wantCode(t, exitOK)
	h.wantOut(t, "Usage: fundledger import stabilization", "Examples:", "-year", "-store")
	cli(t, "import", "--help").wantOut(t, "stabilization")
}

// allowImport makes importArgs' actor, clerk-haixi, a clerk in dir's
// tokens file, as the import requires.
func allowImport(t *testing.T, dir string) {
	t.Helper()
	addToken(t, filepath.Join(dir, auth.DefaultFile), "clerk-haixi", role.Clerk, false)
}

// addToken gives principal a token in roleName in the tokens file at
// path, revoked at once if revoked.
func addToken(t *testing.T, path, principal, roleName string, revoked bool) {
	t.Helper()
	_, e, err := auth.Create(path, principal, roleName, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	if revoked {
		if err := auth.Revoke(path, e.ID, time.Now()); err != nil {
			t.Fatal(err)
		}
	}
}

// TestImportActorMustBeAClerk is invariant 8 on the command line: the
// batch is recorded as a clerk's act only for an actor the tokens file
// confirms as an active clerk. Any other actor is refused, exit 1, with
// nothing appended; --tokens names another file to check against.
func TestImportActorMustBeAClerk(t *testing.T) {
	dir := t.TempDir()
	clock := time.Date(2025, 1, 2, 1, 0, 0, 0, time.UTC)
	l := testLedger(t, dir, &clock)
	publishSeedPolicies(t, l)
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
	file, _ := stabilizationFile(t, false)
	tokens := filepath.Join(dir, auth.DefaultFile)
	before := len(logOf(t, dir))

	refuse := func(name, msg string) {
		t.Helper()
		r := cli(t, importArgs(dir, file)...)
		r.wantCode(t, exitFailure)
		r.wantErr(t, msg)
		if n := len(logOf(t, dir)); n != before {
			t.Fatalf("%s: the refused import appended %d events", name, n-before)
		}
	}
	refuse("no tokens file", "--actor clerk-haixi has no active token")
	addToken(t, tokens, "clerk-haixi", role.Approver, false)
	addToken(t, tokens, "clerk-haixi", role.Auditor, false)
	refuse("approver and auditor only", "--actor clerk-haixi is not a clerk in "+tokens+" (active roles: approver, auditor)")
	addToken(t, tokens, "clerk-haixi", role.Clerk, true)
	refuse("clerk token revoked", "is not a clerk")
	addToken(t, tokens, "someone-else", role.Clerk, false)
	refuse("another principal is the clerk", "is not a clerk")

	// A clerk in another tokens file, named with --tokens.
	other := filepath.Join(t.TempDir(), "tokens.json")
	addToken(t, other, "clerk-haixi", role.Clerk, false)
	r := cli(t, append(importArgs(dir, file), "--tokens", other)...)
	r.wantCode(t, exitOK)
	if n := len(logOf(t, dir)); n == before {
		t.Fatal("the authorised import appended nothing")
	}
}
