package main

import (
	"path/filepath"
	"testing"
)

// TestBackfillCommand: the command reaches ledger.BackfillOneTimeKeys
// (whose cases are tested in ledger/onetimekeys_test.go) on an existing
// ledger, reports and records nothing when no claim needs the key, runs
// again the same, and refuses a missing --data (2) or ledger (1).
func TestBackfillCommand(t *testing.T) {
	dir := emptyLedger(t)
	head := logHead(t, dir)
	for range 2 {
		r := cli(t, "backfill", "--data", dir)
		r.wantCode(t, exitOK)
		r.wantOut(t, "expansion claims without the one-time subsidy key: 0", "conflicts        0")
	}
	if logHead(t, dir) != head {
		t.Fatal("backfill recorded something on a ledger that needs nothing")
	}
	r := cli(t, "backfill")
	r.wantCode(t, exitUsage)
	r.wantErr(t, "--data is required")
	cli(t, "backfill", "--data", filepath.Join(t.TempDir(), "nowhere")).wantCode(t, exitFailure)
	cli(t, "backfill", "--help").wantCode(t, exitOK)
}
