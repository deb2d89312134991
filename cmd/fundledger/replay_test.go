package main

import (
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/haixi-hrss/fundledger/ledger/batch"
	"github.com/haixi-hrss/fundledger/projections"
)

// TestReplayAsOf: a replay folds exactly the events recorded at or before
// the instant — an RFC 3339 instant is inclusive, a date means the end of
// that day in Asia/Shanghai — and leaves the live snapshot alone.
func TestReplayAsOf(t *testing.T) {
	dir := t.TempDir()
	// 2025-01-02 09:00 and 2025-01-05 18:30 in Shanghai.
	first := time.Date(2025, 1, 2, 1, 0, 0, 0, time.UTC)
	second := time.Date(2025, 1, 5, 10, 30, 0, 0, time.UTC)
	clock := first
	l := testLedger(t, dir, &clock)
	openTestFund(t, l, "f1", clock)
	receiveTestTransfer(t, l, "f1", 1, "1000.00", clock)
	clock = second
	receiveTestTransfer(t, l, "f1", 2, "234.56", clock)
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}

	received := func(asOf string) (string, int) {
		t.Helper()
		r := cli(t, "replay", "--data", dir, "--as-of", asOf, "--view", "funds", "--format", "json")
		r.wantCode(t, exitOK)
		var out struct {
			Events int                      `json:"events"`
			View   string                   `json:"view"`
			Rows   []projections.FundTotals `json:"rows"`
		}
		if err := json.Unmarshal([]byte(r.stdout), &out); err != nil {
			t.Fatalf("as of %s: %v\n%s", asOf, err, r.stdout)
		}
		if out.View != "funds" {
			t.Errorf("view %q, want funds", out.View)
		}
		if len(out.Rows) == 0 {
			return "none", out.Events
		}
		return out.Rows[0].Received.String(), out.Events
	}
	tests := []struct {
		asOf, want string
		events     int
	}{
		{"2025-01-01", "none", 0},
		{"2025-01-02", "1000.00", 2},
		{"2025-01-05T10:29:59.999999Z", "1000.00", 2},
		{"2025-01-05T10:30:00Z", "1234.56", 3},
		{"2025-01-05T18:30:00+08:00", "1234.56", 3},
		// The end of 2025-01-04 in Shanghai is 2025-01-04T15:59:59Z.
		{"2025-01-04", "1000.00", 2},
		{"2025-01-05", "1234.56", 3},
	}
	for _, tt := range tests {
		got, events := received(tt.asOf)
		if got != tt.want || events != tt.events {
			t.Errorf("as of %s: received %s from %d events, want %s from %d", tt.asOf, got, events, tt.want, tt.events)
		}
	}

	table := cli(t, "replay", "--data", dir, "--as-of", "2025-01-02", "--view", "funds")
	table.wantCode(t, exitOK)
	table.wantOutFields(t, "as of 2025-01-02T23:59:59+08:00: 2 events read", "f1 2025 1000.00 0.00 1000.00")
	if strings.Contains(listDir(t, dir), projections.SnapshotFile) {
		t.Errorf("replay wrote a snapshot: %s", listDir(t, dir))
	}
}

// TestReplayClaimsAndTrail: claims recorded by an import appear in the
// claim view and the trail only from the moment they were recorded.
func TestReplayClaimsAndTrail(t *testing.T) {
	dir := t.TempDir()
	clock := time.Date(2025, 1, 2, 1, 0, 0, 0, time.UTC)
	l := testLedger(t, dir, &clock)
	publishSeedPolicies(t, l)
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
	file, codes := stabilizationFile(t, false)
	allowImport(t, dir)
	cli(t, importArgs(dir, file)...).wantCode(t, exitOK)
	id := batch.StabilizationClaimID(codes[1], 2024)

	before := cli(t, "replay", "--data", dir, "--as-of", "2025-12-31", "--view", "claims")
	before.wantCode(t, exitOK)
	if strings.Contains(before.stdout, "stab-2024") {
		t.Errorf("claims recorded now appear as of 2025:\n%s", before.stdout)
	}
	now := time.Now().Add(time.Minute).Format(time.RFC3339)
	claims := cli(t, "replay", "--data", dir, "--as-of", now, "--view", "claims")
	claims.wantCode(t, exitOK)
	claims.wantOutFields(t, id+" stabilization 632800 rejected 0.00 0.00 0.00")

	trail := cli(t, "replay", "--data", dir, "--as-of", now, "--view", "trail", "--claim", id)
	trail.wantCode(t, exitOK)
	trail.wantOut(t, "ClaimSubmitted", "ClaimChecked", "clerk-haixi", "stabilization-2025")
	old := cli(t, "replay", "--data", dir, "--as-of", "2025-12-31", "--view", "trail", "--claim", id)
	old.wantCode(t, exitFailure)
	old.wantErr(t, "has no events recorded at or before")
}

// TestReplayUsage: bad flags exit 2 with the usage; a missing ledger
// exits 1 and is not created.
func TestReplayUsage(t *testing.T) {
	missing := filepath.Join(t.TempDir(), "nope")
	tests := []struct {
		name string
		args []string
		msg  string
	}{
		{"no ledger", []string{"replay", "--as-of", "2025-01-01"}, "exactly one of --data and --store"},
		{"both ledgers", []string{"replay", "--data", missing, "--store", "esdb://h:2113?tls=false", "--as-of", "2025-01-01"}, "exactly one"},
		{"no instant", []string{"replay", "--data", missing}, "--as-of is required"},
		{"bad instant", []string{"replay", "--data", missing, "--as-of", "yesterday"}, "RFC 3339"},
		{"bad view", []string{"replay", "--data", missing, "--as-of", "2025-01-01", "--view", "people"}, "--view must be one of"},
		{"trail without claim", []string{"replay", "--data", missing, "--as-of", "2025-01-01", "--view", "trail"}, "needs --claim"},
		{"claim without trail", []string{"replay", "--data", missing, "--as-of", "2025-01-01", "--claim", "c1"}, "--claim goes with --view trail"},
		{"bad format", []string{"replay", "--data", missing, "--as-of", "2025-01-01", "--format", "xml"}, "--format"},
		{"not KurrentDB", []string{"replay", "--store", "postgres://x", "--as-of", "2025-01-01"}, "esdb://"},
		{"bad flag", []string{"replay", "--nope"}, "flag provided but not defined"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := cli(t, tt.args...)
			r.wantCode(t, exitUsage)
			r.wantErr(t, tt.msg, "Usage: fundledger replay")
		})
	}
	r := cli(t, "replay", "--data", missing, "--as-of", "2025-01-01")
	r.wantCode(t, exitFailure)
	r.wantErr(t, "does not exist")
	h := cli(t, "replay", "--help")
	h.wantCode(t, exitOK)
	h.wantOut(t, "Usage: fundledger replay", "Asia/Shanghai", "Examples:", "-as-of")
	process(t, "replay", "--data", missing, "--as-of", "2025-01-01").wantCode(t, exitFailure)
	process(t, "replay", "--as-of", "2025-01-01").wantCode(t, exitUsage)
}
