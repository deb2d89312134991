package main

import (
	"database/sql"
	"path/filepath"
	"strings"
	"testing"

	_ "github.com/mattn/go-sqlite3" // the driver for editing a closed ledger by hand

	"github.com/haixi-hrss/fundledger/eventstore/sqlite"
)

func TestVerifyProgress(t *testing.T) {
	l := buildTamperLedger(t)
	r := cli(t, "verify", "--data", l.dir, "--progress")
	r.wantCode(t, exitOK)
	r.wantErr(t, "verified 7 events in 3 streams, position "+strings.Split(l.digest.String(), ":")[0])
}

// Deleting a stream's last event with plain SQL leaves every hash chain
// intact, so verify alone cannot see it; the digest recorded before can.
func TestVerifyExpectCatchesDeletedLastEvent(t *testing.T) {
	l := buildTamperLedger(t)
	db, err := sql.Open("sqlite3", "file:"+filepath.Join(l.dir, sqlite.FileName))
	if err != nil {
		t.Fatal(err)
	}
	claim := l.events["claim-t"]
	last := claim[len(claim)-1]
	res, err := db.Exec("DELETE FROM events WHERE stream = ? AND version = ?", last.Stream, last.Version)
	if err != nil {
		t.Fatal(err)
	}
	if n, err := res.RowsAffected(); err != nil || n != 1 {
		t.Fatalf("deleted %d rows (%v), want 1", n, err)
	}
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}

	cli(t, "verify", "--data", l.dir).wantOut(t, "ledger intact", "events          6")
	r := cli(t, "verify", "--data", l.dir, "--expect", l.digest.String())
	r.wantCode(t, exitFailure)
	r.wantOut(t, "LEDGER CHANGED", "expected        "+l.digest.String())
	r.wantErr(t, "digest at position")
}
