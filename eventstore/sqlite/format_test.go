package sqlite

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/haixi-hrss/fundledger/eventstore"
)

// TestOpenCreatesOneFileLedger checks the layout an auditor and the crash
// tests rely on: the directory is created, the file carries the format
// marks, the writer runs WAL with synchronous=FULL, and a closed ledger is
// the single file FileName.
func TestOpenCreatesOneFileLedger(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "data", "ledger")
	s, err := Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	for q, want := range map[string]int64{"PRAGMA synchronous": 2, "PRAGMA application_id": ApplicationID, "PRAGMA user_version": FormatVersion} {
		if got, err := queryInt(s.w.c, q); err != nil || got != want {
			t.Errorf("%s = %d (%v), want %d", q, got, err, want)
		}
	}
	mode, err := queryText(s.w.c, "PRAGMA journal_mode")
	if err != nil || mode != "wal" {
		t.Errorf("journal_mode = %q (%v), want wal", mode, err)
	}
	mustAppend(t, s, "fund-1", eventstore.NoStream, newEvent(1))
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if names := dirNames(t, dir); len(names) != 1 || names[0] != FileName {
		t.Errorf("closed data directory holds %v, want only %s", names, FileName)
	}
}

// TestReopenContinuesTheLog checks that positions, versions and the hash
// chain carry on across a restart.
func TestReopenContinuesTheLog(t *testing.T) {
	dir := t.TempDir()
	s := openStore(t, dir)
	mustAppend(t, s, "fund-1", eventstore.NoStream, newEvent(1), newEvent(2))
	mustAppend(t, s, "fund-2", eventstore.NoStream, newEvent(3))
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	s = openStore(t, dir)
	res := mustAppend(t, s, "fund-1", eventstore.Exact(1), newEvent(4))
	if res != (eventstore.AppendResult{FirstVersion: 2, LastVersion: 2, Position: 4}) {
		t.Errorf("append after reopen: %+v, want version 2 at position 4", res)
	}
	log := readLog(t, s)
	if len(log) != 4 {
		t.Fatalf("log has %d events after reopen, want 4", len(log))
	}
	verifyLog(t, log)
}

// TestOpenRefusesOtherFormats writes a ledger, marks it as a format this
// build does not read (version 1, which had a UNIQUE index on event_id, and
// a future 7), and checks Open refuses it, says which versions, and leaves
// the file byte for byte as it was.
func TestOpenRefusesOtherFormats(t *testing.T) {
	for _, version := range []int{1, 7} {
		dir := t.TempDir()
		s := openStore(t, dir)
		mustAppend(t, s, "fund-1", eventstore.NoStream, newEvent(1))
		if err := s.Close(); err != nil {
			t.Fatal(err)
		}
		rewriteHeader(t, dir, fmt.Sprintf("PRAGMA user_version = %d", version))

		err := expectRefusal(t, dir)
		for _, want := range []string{fmt.Sprintf("format version %d;", version), fmt.Sprintf("reads format version %d only", FormatVersion)} {
			if !strings.Contains(err.Error(), want) {
				t.Errorf("error %q does not say %q", err, want)
			}
		}
	}
}

// TestOpenRefusesForeignDatabase checks that a SQLite file that is not a
// fundledger ledger is refused and left alone.
func TestOpenRefusesForeignDatabase(t *testing.T) {
	dir := t.TempDir()
	c, err := openConn(dsn(filepath.Join(dir, FileName), map[string][]string{"mode": {"rwc"}}))
	if err != nil {
		t.Fatal(err)
	}
	if err := execSQL(c, "CREATE TABLE accounts (id INTEGER PRIMARY KEY); INSERT INTO accounts VALUES (1)"); err != nil {
		t.Fatal(err)
	}
	c.Close()
	err = expectRefusal(t, dir)
	if !strings.Contains(err.Error(), "not a fundledger ledger") {
		t.Errorf("error %q does not say the file is not a ledger", err)
	}
}

// TestOpenRefusesNonSQLiteFile checks that a file that is not SQLite at all
// is refused as an incompatible format, untouched.
func TestOpenRefusesNonSQLiteFile(t *testing.T) {
	dir := t.TempDir()
	junk := bytes.Repeat([]byte("not a database, just bytes. "), 200)
	if err := os.WriteFile(filepath.Join(dir, FileName), junk, 0o600); err != nil {
		t.Fatal(err)
	}
	expectRefusal(t, dir)
}

// expectRefusal opens dir, expects ErrIncompatibleFormat, and checks the
// file did not change.
func expectRefusal(t *testing.T, dir string) error {
	t.Helper()
	path := filepath.Join(dir, FileName)
	before, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	s, openErr := Open(dir)
	if openErr == nil {
		s.Close()
		t.Fatal("Open succeeded, want a refusal")
	}
	if !errors.Is(openErr, eventstore.ErrIncompatibleFormat) {
		t.Fatalf("Open: %v, want an error matching ErrIncompatibleFormat", openErr)
	}
	after, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(before, after) {
		t.Errorf("refused file changed: %d bytes before, %d after", len(before), len(after))
	}
	return openErr
}

// rewriteHeader changes the closed ledger in dir with one statement, as an
// older or newer build might have left it.
func rewriteHeader(t *testing.T, dir, stmt string) {
	t.Helper()
	c, err := openConn(dsn(filepath.Join(dir, FileName), map[string][]string{"mode": {"rw"}}))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if err := execSQL(c, stmt); err != nil {
		t.Fatal(err)
	}
	if err := execSQL(c, "PRAGMA wal_checkpoint(TRUNCATE)"); err != nil {
		t.Fatal(err)
	}
}

func dirNames(t *testing.T, dir string) []string {
	t.Helper()
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, e := range entries {
		names = append(names, e.Name())
	}
	return names
}

// TestTwoStoresOnOneDirectory interleaves appends from two stores opened on
// the same directory (two processes would do the same): each writer must
// notice the other's commits, so versions, positions and the hash chain
// stay intact.
func TestTwoStoresOnOneDirectory(t *testing.T) {
	dir := t.TempDir()
	a := openStore(t, dir)
	b := openStore(t, dir)
	mustAppend(t, a, "claim-1", eventstore.NoStream, newEvent(1))
	mustAppend(t, b, "claim-1", eventstore.Exact(0), newEvent(2))
	if _, err := a.Append(t.Context(), "claim-1", eventstore.Exact(0), newEvent(3)); !errors.Is(err, eventstore.ErrConcurrency) {
		t.Errorf("append on a stale head: %v, want a concurrency error", err)
	}
	res := mustAppend(t, a, "claim-1", eventstore.Exact(1), newEvent(4))
	if res.Position != 3 || res.FirstVersion != 2 {
		t.Errorf("third append: %+v, want version 2 at position 3", res)
	}
	verifyLog(t, readLog(t, b))
}
