package main

import (
	"bytes"
	"context"
	"database/sql"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"
	_ "github.com/mattn/go-sqlite3" // the driver for editing a closed ledger by hand

	"github.com/haixi-hrss/fundledger/eventstore"
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

// ledgerFileState is what verify must leave as it was: the names in the data
// directory and the database file's size, modification time and bytes.
type ledgerFileState struct {
	names string
	size  int64
	mtime time.Time
	bytes []byte
}

func ledgerStateOf(t *testing.T, dir string) ledgerFileState {
	t.Helper()
	file := filepath.Join(dir, sqlite.FileName)
	info, err := os.Stat(file)
	if err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	return ledgerFileState{names: listDir(t, dir), size: info.Size(), mtime: info.ModTime(), bytes: b}
}

func (a ledgerFileState) same(b ledgerFileState) bool {
	return a.names == b.names && a.size == b.size && a.mtime.Equal(b.mtime) && bytes.Equal(a.bytes, b.bytes)
}

// verify opens a closed ledger read-only: it creates no file (not even
// SQLite's WAL files) and leaves the database file's bytes, size and
// modification time as they were.
func TestVerifyLeavesLedgerFileUntouched(t *testing.T) {
	l := buildTamperLedger(t)
	before := ledgerStateOf(t, l.dir)
	time.Sleep(20 * time.Millisecond) // so that a write would show in the mtime
	cli(t, "verify", "--data", l.dir, "--expect", l.digest.String()).wantCode(t, exitOK)
	process(t, "verify", "--data", l.dir).wantOut(t, "ledger intact", "events          7")
	if after := ledgerStateOf(t, l.dir); !after.same(before) {
		t.Fatalf("verify changed the data directory: %s size %d mtime %s -> %s size %d mtime %s (bytes equal %v)",
			before.names, before.size, before.mtime, after.names, after.size, after.mtime, bytes.Equal(before.bytes, after.bytes))
	}
}

// A ledger left as a killed writer leaves it (the WAL and its index still
// there) is verified as it is: the read-only open neither recovers nor
// checkpoints it, so every file keeps its name, size and bytes, where an
// ordinary open would fold the WAL into the database file and delete it.
func TestVerifyLeavesCrashedLedgerUntouched(t *testing.T) {
	live := t.TempDir()
	store, err := sqlite.Open(live)
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()
	for i := range 50 {
		ev := eventstore.EventData{ID: uuid.New(), Type: "Recorded", SchemaVersion: 1,
			Data: fmt.Appendf(nil, `{"n":%d}`, i), Metadata: eventstore.Metadata{Actor: "clerk-1", Role: "clerk"}}
		if _, err := store.Append(context.Background(), fmt.Sprintf("claim-%d", i%3), eventstore.Any, ev); err != nil {
			t.Fatal(err)
		}
	}
	time.Sleep(200 * time.Millisecond) // let the background checkpoint settle
	crashed := t.TempDir()
	for _, name := range []string{sqlite.FileName, sqlite.FileName + "-wal", sqlite.FileName + "-shm"} {
		b, err := os.ReadFile(filepath.Join(live, name))
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(crashed, name), b, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	before := ledgerStateOf(t, crashed)
	time.Sleep(20 * time.Millisecond)
	cli(t, "verify", "--data", crashed).wantOut(t, "ledger intact", "events          50")
	if after := ledgerStateOf(t, crashed); !after.same(before) {
		t.Fatalf("verify changed the crashed ledger: %s size %d mtime %s -> %s size %d mtime %s",
			before.names, before.size, before.mtime, after.names, after.size, after.mtime)
	}
}

// verify runs as its own process while this one has the ledger open and
// keeps appending: it reports an intact ledger holding at least every event
// acknowledged before it started, and leaves the writer's files alone.
func TestVerifyBesideWriter(t *testing.T) {
	dir := t.TempDir()
	store, err := sqlite.Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()
	ctx := context.Background()
	appendOne := func(i int) {
		ev := eventstore.EventData{ID: uuid.New(), Type: "Recorded", SchemaVersion: 1,
			Data: fmt.Appendf(nil, `{"n":%d}`, i), Metadata: eventstore.Metadata{Actor: "clerk-1", Role: "clerk"}}
		if _, err := store.Append(ctx, fmt.Sprintf("claim-%d", i%4), eventstore.Any, ev); err != nil {
			t.Error(err)
		}
	}
	const before = 200
	for i := range before {
		appendOne(i)
	}
	names := listDir(t, dir)
	if !strings.Contains(names, sqlite.FileName+"-wal") {
		t.Fatalf("the open ledger has no WAL file: %s", names)
	}

	stop := make(chan struct{})
	var wg sync.WaitGroup
	wg.Go(func() {
		for i := before; ; i++ {
			select {
			case <-stop:
				return
			default:
				appendOne(i)
			}
		}
	})
	r := process(t, "verify", "--data", dir)
	close(stop)
	wg.Wait()
	r.wantCode(t, exitOK)
	r.wantOut(t, "ledger intact", "streams         4")
	var events int
	_, summary, _ := strings.Cut(r.stdout, "  events")
	if _, err := fmt.Sscanf(summary, "%d", &events); err != nil || events < before {
		t.Fatalf("verify saw %d events (%v), want at least %d:\n%s", events, err, before, r.stdout)
	}
	appendOne(0) // the writer still appends after verify
	if after := listDir(t, dir); !sameNames(after, names) {
		t.Fatalf("files %s became %s", names, after)
	}
}

// sameNames compares two listDir results by file name only: the writer's
// files grow while verify runs.
func sameNames(a, b string) bool {
	strip := func(s string) string {
		var out []string
		for _, f := range strings.Fields(s) {
			out = append(out, f[:strings.LastIndex(f, ":")])
		}
		return strings.Join(out, " ")
	}
	return strip(a) == strip(b)
}
