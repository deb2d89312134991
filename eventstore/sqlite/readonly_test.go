package sqlite

import (
	"bufio"
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"testing"
	"time"

	"github.com/haixi-hrss/fundledger/eventstore"
)

// fillLedger appends n events spread over a few streams, some in batches.
func fillLedger(t testing.TB, s *Store, n int) {
	t.Helper()
	for i := 0; i < n; {
		batch := min(1+i%40, n-i)
		evs := make([]eventstore.EventData, batch)
		for j := range evs {
			evs[j] = newEvent(i + j)
		}
		mustAppend(t, s, fmt.Sprintf("claim-%d", i%7), eventstore.Any, evs...)
		i += batch
	}
}

func openReadOnly(t testing.TB, dir string) *ReadOnlyStore {
	t.Helper()
	s, err := OpenReadOnly(dir)
	if err != nil {
		t.Fatalf("OpenReadOnly(%s): %v", dir, err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

// sameEvents fails unless got and want are the same events in order.
func sameEvents(t *testing.T, what string, got, want []eventstore.Event) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("%s: %d events, want %d", what, len(got), len(want))
	}
	for i := range got {
		g, w := got[i], want[i]
		if g.ID != w.ID || g.Position != w.Position || g.Stream != w.Stream || g.Version != w.Version ||
			g.Hash != w.Hash || g.PrevHash != w.PrevHash || string(g.Data) != string(w.Data) ||
			g.Metadata != w.Metadata || !g.RecordedAt.Equal(w.RecordedAt) || g.Type != w.Type {
			t.Fatalf("%s: event %d = %+v, want %+v", what, i, g, w)
		}
	}
}

// The read side of the port: every read of a read-only store returns what
// the writer's own store returns, both beside the open writer (WAL shared)
// and on the closed ledger (one file, read as immutable).
func TestReadOnlyReadsWhatWasWritten(t *testing.T) {
	ctx := context.Background()
	for _, writerOpen := range []bool{true, false} {
		t.Run(fmt.Sprintf("writer open %v", writerOpen), func(t *testing.T) {
			dir := t.TempDir()
			w := openStore(t, dir)
			fillLedger(t, w, 1500)
			type read struct {
				name string
				do   func(eventstore.Store) ([]eventstore.Event, error)
			}
			reads := []read{
				{"ReadAll everything", func(s eventstore.Store) ([]eventstore.Event, error) { return s.ReadAll(ctx, 0, 0) }},
				// 1,024 takes ReadAll's parallel path on two or more CPUs.
				{"ReadAll page of 1024", func(s eventstore.Store) ([]eventstore.Event, error) { return s.ReadAll(ctx, 100, 1024) }},
				{"ReadAll past the end", func(s eventstore.Store) ([]eventstore.Event, error) { return s.ReadAll(ctx, 1500, 10) }},
				{"ReadStream", func(s eventstore.Store) ([]eventstore.Event, error) { return s.ReadStream(ctx, "claim-3", 0, 0) }},
				{"ReadStream from, limit", func(s eventstore.Store) ([]eventstore.Event, error) { return s.ReadStream(ctx, "claim-3", 10, 25) }},
				{"ReadStream missing", func(s eventstore.Store) ([]eventstore.Event, error) { return s.ReadStream(ctx, "claim-x", 0, 0) }},
				{"ReadStreamBackward", func(s eventstore.Store) ([]eventstore.Event, error) { return s.ReadStreamBackward(ctx, "claim-5", 7) }},
			}
			want := make([][]eventstore.Event, len(reads))
			for i, r := range reads {
				var err error
				if want[i], err = r.do(w); err != nil {
					t.Fatal(err)
				}
			}
			if !writerOpen {
				if err := w.Close(); err != nil {
					t.Fatal(err)
				}
			}
			ro := openReadOnly(t, dir)
			if got := ro.opened == nil; got != writerOpen {
				t.Fatalf("shared WAL mode = %v, want %v", got, writerOpen)
			}
			for i, r := range reads {
				got, err := r.do(ro)
				if err != nil {
					t.Fatalf("%s: %v", r.name, err)
				}
				sameEvents(t, r.name, got, want[i])
			}
			if len(want[0]) != 1500 || len(want[3]) == 0 || len(want[5]) != 0 {
				t.Fatalf("the scenario read %d, %d, %d events", len(want[0]), len(want[3]), len(want[5]))
			}
			verifyLog(t, want[0])

			// Subscribe delivers the log from a position on, then waits.
			sctx, cancel := context.WithCancel(ctx)
			defer cancel()
			var got []eventstore.Event
			for e, err := range ro.Subscribe(sctx, 1400) {
				if err != nil {
					t.Fatalf("Subscribe: %v", err)
				}
				if got = append(got, e); len(got) == 100 {
					break
				}
			}
			sameEvents(t, "Subscribe", got, want[0][1400:])
		})
	}
}

func TestReadOnlyRefusesAppend(t *testing.T) {
	dir := t.TempDir()
	w := openStore(t, dir)
	mustAppend(t, w, "claim-1", eventstore.NoStream, newEvent(1))
	ro := openReadOnly(t, dir)
	_, err := ro.Append(context.Background(), "claim-1", eventstore.Any, newEvent(2))
	var roErr *ReadOnlyError
	if !errors.Is(err, ErrReadOnly) || !errors.As(err, &roErr) || roErr.Stream != "claim-1" || roErr.Path != filepath.Join(dir, FileName) {
		t.Fatalf("Append = %v, want a *ReadOnlyError for claim-1", err)
	}
	if n := len(readLog(t, w)); n != 1 {
		t.Fatalf("the log holds %d events after the refused append, want 1", n)
	}
}

// fileState is what a read-only open must leave as it was: the names in the
// directory, and the database file's size, modification time and bytes.
type fileState struct {
	names []string
	size  int64
	mtime time.Time
	sum   [32]byte
}

func stateOf(t *testing.T, dir string) fileState {
	t.Helper()
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var st fileState
	for _, e := range entries {
		st.names = append(st.names, e.Name())
	}
	info, err := os.Stat(filepath.Join(dir, FileName))
	if err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(filepath.Join(dir, FileName))
	if err != nil {
		t.Fatal(err)
	}
	st.size, st.mtime, st.sum = info.Size(), info.ModTime(), sha256.Sum256(b)
	return st
}

func (a fileState) equal(b fileState) bool {
	return slices.Equal(a.names, b.names) && a.size == b.size && a.mtime.Equal(b.mtime) && a.sum == b.sum
}

// A closed ledger is one file; reading it read-only creates no WAL file
// and changes no byte, size or time of it.
func TestReadOnlyLeavesClosedLedgerUntouched(t *testing.T) {
	dir := t.TempDir()
	w := openStore(t, dir)
	fillLedger(t, w, 300)
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	before := stateOf(t, dir)
	if !slices.Equal(before.names, []string{FileName}) {
		t.Fatalf("closed ledger holds %v, want only %s", before.names, FileName)
	}
	time.Sleep(20 * time.Millisecond) // so a write would show in the mtime
	ro := openReadOnly(t, dir)
	if log, err := ro.ReadAll(context.Background(), 0, 0); err != nil || len(log) != 300 {
		t.Fatalf("ReadAll = %d events, %v", len(log), err)
	}
	if err := ro.Close(); err != nil {
		t.Fatal(err)
	}
	if after := stateOf(t, dir); !after.equal(before) {
		t.Fatalf("read-only open changed the directory: %+v -> %+v", before, after)
	}
}

func TestOpenReadOnlyRefuses(t *testing.T) {
	missing := filepath.Join(t.TempDir(), "missing")
	if _, err := OpenReadOnly(missing); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("missing directory: %v, want fs.ErrNotExist", err)
	}
	if _, err := os.Stat(missing); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("OpenReadOnly created %s", missing)
	}
	for name, content := range map[string][]byte{
		"empty file": nil,
		"not SQLite": []byte("this is not a database, just some text that is long enough to have a header....."),
	} {
		dir := t.TempDir()
		if err := os.WriteFile(filepath.Join(dir, FileName), content, 0o600); err != nil {
			t.Fatal(err)
		}
		if _, err := OpenReadOnly(dir); !errors.Is(err, eventstore.ErrIncompatibleFormat) {
			t.Errorf("%s: %v, want ErrIncompatibleFormat", name, err)
		}
		if entries, _ := os.ReadDir(dir); len(entries) != 1 {
			t.Errorf("%s: the directory holds %d files after the refusal, want 1", name, len(entries))
		}
	}
}

// A closed ledger is read as an immutable file; if a writer then changes
// that file, reads fail instead of mixing two states.
func TestReadOnlyDetectsFileChangedUnderIt(t *testing.T) {
	dir := t.TempDir()
	w := openStore(t, dir)
	fillLedger(t, w, 10)
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	ro := openReadOnly(t, dir)
	if _, err := ro.ReadAll(context.Background(), 0, 0); err != nil {
		t.Fatal(err)
	}
	w2, err := Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	mustAppend(t, w2, "claim-new", eventstore.NoStream, newEvent(99))
	if err := w2.Close(); err != nil { // the checkpoint writes the file
		t.Fatal(err)
	}
	if _, err := ro.ReadAll(context.Background(), 0, 0); !errors.Is(err, ErrChangedWhileReading) {
		t.Fatalf("ReadAll after a writer changed the file: %v, want ErrChangedWhileReading", err)
	}
	again := openReadOnly(t, dir)
	if log, err := again.ReadAll(context.Background(), 0, 0); err != nil || len(log) != 11 {
		t.Fatalf("a fresh read-only open reads %d events, %v; want 11", len(log), err)
	}
}

func TestReadOnlyCallsAfterClose(t *testing.T) {
	dir := t.TempDir()
	w := openStore(t, dir)
	mustAppend(t, w, "claim-1", eventstore.NoStream, newEvent(1))
	ro := openReadOnly(t, dir)
	ended := make(chan error, 1)
	delivered := make(chan struct{})
	go func() {
		for _, err := range ro.Subscribe(context.Background(), 0) {
			if err != nil {
				ended <- err
				return
			}
			close(delivered)
		}
	}()
	<-delivered
	if err := ro.Close(); err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	_, streamErr := ro.ReadStream(ctx, "claim-1", 0, 0)
	_, backErr := ro.ReadStreamBackward(ctx, "claim-1", 1)
	_, allErr := ro.ReadAll(ctx, 0, 10)
	for name, err := range map[string]error{"ReadStream": streamErr, "ReadStreamBackward": backErr,
		"ReadAll": allErr, "waiting Subscribe": <-ended, "Close": ro.Close()} {
		if !errors.Is(err, eventstore.ErrClosed) {
			t.Errorf("%s after Close: %v, want ErrClosed", name, err)
		}
	}
}

// startWriterChild starts TestReadOnlyWriterChild in a process of its own
// on dir, killed when the test ends, and returns a function that waits
// for its next acknowledgement and returns how many events it has had
// acknowledged so far.
func startWriterChild(t *testing.T, dir string) (acked func() int) {
	t.Helper()
	child := exec.Command(os.Args[0], "-test.run=^TestReadOnlyWriterChild$", "-test.count=1")
	child.Env = append(os.Environ(), writerChildEnv+"="+dir)
	out, err := child.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := child.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		child.Process.Kill()
		child.Wait()
	})
	lines := bufio.NewScanner(out)
	return func() int {
		if !lines.Scan() {
			t.Fatalf("the writer process stopped: %v", lines.Err())
		}
		n, err := strconv.Atoi(lines.Text())
		if err != nil {
			t.Fatalf("writer printed %q", lines.Text())
		}
		return n
	}
}

// writerChildEnv names the directory TestReadOnlyWriterChild writes to.
const writerChildEnv = "FUNDLEDGER_TEST_RO_WRITER_DIR"

// TestReadOnlyWriterChild is the writer process of
// TestReadOnlyBesideWriterProcess; it does nothing in a normal run. It
// appends forever, printing the number of events committed after each
// append, until its parent kills it.
func TestReadOnlyWriterChild(t *testing.T) {
	dir := os.Getenv(writerChildEnv)
	if dir == "" {
		t.Skip("runs only as the writer process of TestReadOnlyBesideWriterProcess")
	}
	s, err := Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; ; i++ {
		mustAppend(t, s, fmt.Sprintf("claim-%d", i%5), eventstore.Any, newEvent(2*i), newEvent(2*i+1))
		fmt.Println(2 * (i + 1))
		time.Sleep(time.Millisecond)
	}
}

// Another process has the ledger open and keeps appending; the read-only
// store reads beside it: every read is a valid, growing prefix of the log,
// a subscription sees new commits, and no file is created or removed.
func TestReadOnlyBesideWriterProcess(t *testing.T) {
	dir := t.TempDir()
	committed := startWriterChild(t, dir)
	committed()
	names := stateOf(t, dir).names

	ro := openReadOnly(t, dir)
	if ro.opened != nil {
		t.Fatal("beside a writer the store must share its WAL, not read the file as immutable")
	}
	ctx := context.Background()
	last := 0
	for range 20 {
		acked := committed()
		log, err := ro.ReadAll(ctx, 0, 0)
		if err != nil {
			t.Fatal(err)
		}
		// Everything acknowledged before the read is in it.
		if len(log) < acked || len(log) < last {
			t.Fatalf("read %d events; %d were acknowledged before it and %d read earlier", len(log), acked, last)
		}
		verifyLog(t, log)
		last = len(log)
	}
	sctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	for e, err := range ro.Subscribe(sctx, uint64(last)) {
		if err != nil {
			t.Fatalf("Subscribe: %v", err)
		}
		if e.Position != uint64(last)+1 {
			t.Fatalf("Subscribe delivered position %d after %d", e.Position, last)
		}
		break
	}
	if _, err := ro.Append(ctx, "claim-1", eventstore.Any, newEvent(0)); !errors.Is(err, ErrReadOnly) {
		t.Fatalf("Append = %v, want ErrReadOnly", err)
	}
	if err := ro.Close(); err != nil {
		t.Fatal(err)
	}
	if after := stateOf(t, dir).names; !slices.Equal(after, names) {
		t.Fatalf("files %v became %v", names, after)
	}
}
