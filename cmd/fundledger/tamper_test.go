package main

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"github.com/google/uuid"
	"github.com/haixi-hrss/fundledger/eventstore"
	"github.com/haixi-hrss/fundledger/eventstore/integrity"
	"github.com/haixi-hrss/fundledger/eventstore/sqlite"
)

// tamperLedger is a closed ledger on disk and what was written to it.
type tamperLedger struct {
	dir    string
	events map[string][]eventstore.Event // by stream, in version order
	digest integrity.Digest
}

// Markers are unique byte strings written into one event each, so the test
// can find that event's bytes in the database file.
const (
	dataMarker  = "tamper-marker-data-4f1c"
	actorMarker = "tamper-marker-actor-9e27"
)

// buildTamperLedger writes a ledger of three streams with the sqlite store
// and closes it, which checkpoints the WAL into the one database file.
func buildTamperLedger(t *testing.T) tamperLedger {
	t.Helper()
	dir := t.TempDir()
	store, err := sqlite.Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	ev := func(i int, data string, actor string) eventstore.EventData {
		return eventstore.EventData{
			ID:   uuid.NewSHA1(uuid.NameSpaceURL, fmt.Appendf(nil, "tamper/%d", i)),
			Type: "Recorded", SchemaVersion: 1, Data: []byte(data),
			Metadata: eventstore.Metadata{Actor: actor, Role: "clerk"},
		}
	}
	appends := []struct {
		stream   string
		expected eventstore.ExpectedVersion
		events   []eventstore.EventData
	}{
		{"fund-t", eventstore.NoStream, []eventstore.EventData{ev(0, `{"opened":"yes"}`, "admin-1"), ev(1, `{"amount":"100.00"}`, "admin-1")}},
		{"budget-t", eventstore.NoStream, []eventstore.EventData{ev(2, `{"amount":"40.00"}`, "admin-1")}},
		{"fund-t", eventstore.Exact(1), []eventstore.EventData{ev(3, `{"memo":"`+dataMarker+`"}`, "admin-1")}},
		{"claim-t", eventstore.NoStream, []eventstore.EventData{ev(4, `{"amount":"15.00"}`, actorMarker)}},
		{"claim-t", eventstore.Exact(0), []eventstore.EventData{ev(5, `{"approved":"15.00"}`, "approver-2")}},
		{"fund-t", eventstore.Exact(2), []eventstore.EventData{ev(6, `{"allocated":"40.00"}`, "admin-1")}},
	}
	for _, a := range appends {
		if _, err := store.Append(ctx, a.stream, a.expected, a.events...); err != nil {
			t.Fatal(err)
		}
	}
	all, err := store.ReadAll(ctx, 0, 100)
	if err != nil {
		t.Fatal(err)
	}
	l := tamperLedger{dir: dir, events: map[string][]eventstore.Event{}}
	for _, e := range all {
		l.events[e.Stream] = append(l.events[e.Stream], e)
	}
	rep, err := integrity.Verify(ctx, store, integrity.Options{})
	if err != nil {
		t.Fatal(err)
	}
	l.digest = rep.Digest
	if err := store.Close(); err != nil {
		t.Fatal(err)
	}
	for _, suffix := range []string{"-wal", "-shm"} {
		if _, err := os.Stat(filepath.Join(dir, sqlite.FileName+suffix)); err == nil {
			t.Fatalf("%s%s still exists after Close: the bytes flipped below might not be the ones read", sqlite.FileName, suffix)
		}
	}
	return l
}

// copyLedger returns a fresh directory and the bytes of l's database file,
// to be tampered with and written there.
func copyLedger(t *testing.T, l tamperLedger) (dir string, file []byte) {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(l.dir, sqlite.FileName))
	if err != nil {
		t.Fatal(err)
	}
	dir = t.TempDir()
	return dir, b
}

// flipOnce finds the only occurrence of marker in file and rewrites the byte
// at offset within it to to.
func flipOnce(t *testing.T, file []byte, marker string, offset int, to byte) {
	t.Helper()
	if n := bytes.Count(file, []byte(marker)); n != 1 {
		t.Fatalf("marker %q occurs %d times in the file, want exactly once", marker, n)
	}
	i := bytes.Index(file, []byte(marker)) + offset
	if file[i] == to {
		t.Fatalf("byte %d is already %q", i, to)
	}
	file[i] = to
}

// otherHex returns a hex digit different from c.
func otherHex(c byte) byte {
	if c == '0' {
		return '1'
	}
	return '0'
}

func TestVerifyUntouchedLedger(t *testing.T) {
	l := buildTamperLedger(t)
	r := cli(t, "verify", "--data", l.dir, "--expect", l.digest.String())
	r.wantCode(t, exitOK)
	r.wantOut(t, "ledger intact", "streams         3", "events          7",
		"digest          "+l.digest.String(), "expected digest matched")
}

// TestVerifyCatchesTamperedBytes flips real bytes in the closed database
// file, one copy per case, and runs the verify command over it. SQLite keeps
// no checksums on its pages, so a changed byte inside a stored value reads
// back without complaint: only the hash chain can catch it.
func TestVerifyCatchesTamperedBytes(t *testing.T) {
	l := buildTamperLedger(t)
	fundLast := l.events["fund-t"][3]
	tests := []struct {
		name   string
		tamper func(t *testing.T, file []byte)
		broken eventstore.Event // the event verify must name
	}{
		{"a byte of an event's data", func(t *testing.T, file []byte) {
			flipOnce(t, file, dataMarker, 0, 'T') // "tamper-…" -> "Tamper-…": still valid JSON
		}, l.events["fund-t"][2]},
		{"a byte of an event's actor", func(t *testing.T, file []byte) {
			flipOnce(t, file, actorMarker, len(actorMarker)-1, '8')
		}, l.events["claim-t"][0]},
		{"a byte of a stored hash", func(t *testing.T, file []byte) {
			// The stream's last event: its hash is stored once (no later
			// event's prev_hash repeats it), as lower-case hex text.
			hex := fundLast.Hash.String()
			flipOnce(t, file, hex, 10, otherHex(hex[10]))
		}, fundLast},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir, file := copyLedger(t, l)
			tt.tamper(t, file)
			if err := os.WriteFile(filepath.Join(dir, sqlite.FileName), file, 0o600); err != nil {
				t.Fatal(err)
			}
			r := cli(t, "verify", "--data", dir)
			r.wantCode(t, exitFailure)
			r.wantOut(t, "LEDGER BROKEN",
				"stream          "+tt.broken.Stream+"\n",
				fmt.Sprintf("version         %d\n", tt.broken.Version),
				fmt.Sprintf("position        %d\n", tt.broken.Position),
				"reason          hash mismatch")
			r.wantErr(t, fmt.Sprintf("ledger broken at stream %q version %d position %d", tt.broken.Stream, tt.broken.Version, tt.broken.Position))
		})
	}
}

// A byte SQLite's own structure depends on (here the file header's magic
// string) is caught by SQLite when the store opens the file: verify reports
// the open error and exits 1 instead of naming an event.
func TestVerifyReportsFileSQLiteRejects(t *testing.T) {
	l := buildTamperLedger(t)
	dir, file := copyLedger(t, l)
	if !bytes.HasPrefix(file, []byte("SQLite format 3\x00")) {
		t.Fatalf("file does not start with the SQLite header: %q", file[:16])
	}
	file[0] = 's'
	if err := os.WriteFile(filepath.Join(dir, sqlite.FileName), file, 0o600); err != nil {
		t.Fatal(err)
	}
	r := cli(t, "verify", "--data", dir)
	r.wantCode(t, exitFailure)
	r.wantErr(t, "open ledger in "+dir)
	if r.stdout != "" {
		t.Fatalf("stdout = %q, want nothing", r.stdout)
	}
}
