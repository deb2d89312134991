package integrity_test

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"os/exec"
	"strconv"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/haixi-hrss/fundledger/eventstore"
	"github.com/haixi-hrss/fundledger/eventstore/integrity"
	"github.com/haixi-hrss/fundledger/eventstore/sqlite"
)

// crashChildEnv, set to a data directory, makes the test binary run
// crashChild instead of the tests: the parent test re-executes itself so
// the process it kills is a real writer with the real store.
const crashChildEnv = "FUNDLEDGER_CRASH_CHILD_DIR"

// crashRoundsEnv overrides the number of kill rounds, for a longer soak:
// FUNDLEDGER_CRASH_ROUNDS=500 go test -run TestCrash ./eventstore/integrity/
const crashRoundsEnv = "FUNDLEDGER_CRASH_ROUNDS"

const (
	crashWriters          = 4
	crashStreamsPerWriter = 3
	crashDefaultRounds    = 12
)

func TestMain(m *testing.M) {
	if dir := os.Getenv(crashChildEnv); dir != "" {
		if err := crashChild(dir); err != nil {
			fmt.Fprintln(os.Stderr, "crash child:", err)
			os.Exit(3)
		}
		os.Exit(0)
	}
	os.Exit(m.Run())
}

// ack is what the child prints, one JSON line per acknowledged append, as
// soon as Append returns nil.
type ack struct {
	Stream       string      `json:"stream"`
	FirstVersion uint64      `json:"first"`
	Position     uint64      `json:"position"`
	IDs          []uuid.UUID `json:"ids"`
	Data         []string    `json:"data"`
	Actor        string      `json:"actor"`
}

// batchData is the payload of every event the child writes: the batch it
// belongs to and its place in it, so the parent can check that every batch
// is complete in the log, acknowledged or not.
type batchData struct {
	Batch uuid.UUID `json:"batch"`
	Index int       `json:"i"`
	Size  int       `json:"n"`
	Pad   string    `json:"pad"`
}

// crashChild appends until it is killed: crashWriters goroutines, each the
// only writer of its own streams, so every append uses an exact expected
// version (or NoStream) that must hold.
func crashChild(dir string) error {
	store, err := sqlite.Open(dir)
	if err != nil {
		return err
	}
	ctx := context.Background()
	out := &lineWriter{w: os.Stdout}
	errs := make(chan error, crashWriters)
	for w := range crashWriters {
		go func() { errs <- crashWriter(ctx, store, w, out) }()
	}
	return <-errs // a writer only returns on failure; the parent kills us otherwise
}

func crashWriter(ctx context.Context, store eventstore.Store, w int, out *lineWriter) error {
	rng := rand.New(rand.NewPCG(uint64(os.Getpid()), uint64(w)))
	next := map[string]uint64{} // next version per owned stream
	for s := range crashStreamsPerWriter {
		stream := fmt.Sprintf("crash-%d-%d", w, s)
		last, err := store.ReadStreamBackward(ctx, stream, 1)
		if err != nil {
			return err
		}
		if len(last) > 0 {
			next[stream] = last[0].Version + 1
		}
	}
	actor := fmt.Sprintf("writer-%d-pid-%d", w, os.Getpid())
	for {
		stream := fmt.Sprintf("crash-%d-%d", w, rng.IntN(crashStreamsPerWriter))
		first := next[stream]
		n := 1 + rng.IntN(3)
		batch := uuid.New()
		events := make([]eventstore.EventData, n)
		a := ack{Stream: stream, FirstVersion: first, Actor: actor}
		for i := range events {
			data, err := json.Marshal(batchData{Batch: batch, Index: i, Size: n, Pad: strconv.FormatUint(rng.Uint64(), 36)})
			if err != nil {
				return err
			}
			events[i] = eventstore.EventData{ID: uuid.New(), Type: "CrashTested", SchemaVersion: 1, Data: data,
				Metadata: eventstore.Metadata{Actor: actor, Role: "clerk"}}
			a.IDs = append(a.IDs, events[i].ID)
			a.Data = append(a.Data, string(data))
		}
		expected := eventstore.NoStream
		if first > 0 {
			expected = eventstore.Exact(first - 1)
		}
		res, err := store.Append(ctx, stream, expected, events...)
		if err != nil {
			return fmt.Errorf("append %s at %d: %w", stream, first, err)
		}
		if res.FirstVersion != first || res.LastVersion != first+uint64(n)-1 {
			return fmt.Errorf("append %s: versions %d..%d, want %d..%d", stream, res.FirstVersion, res.LastVersion, first, first+uint64(n)-1)
		}
		a.Position = res.Position
		if err := out.writeJSON(a); err != nil {
			return err
		}
		next[stream] = first + uint64(n)
	}
}

// lineWriter writes whole lines with one write each, so concurrent writers
// never interleave and a kill leaves at most one partial last line.
type lineWriter struct {
	mu sync.Mutex
	w  io.Writer
}

func (l *lineWriter) writeJSON(v any) error {
	b, err := json.Marshal(v)
	if err != nil {
		return err
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	_, err = l.w.Write(append(b, '\n'))
	return err
}

// TestCrashKeepsAcknowledgedAppends kills a writing process with SIGKILL at
// random moments, round after round on the same directory, and checks after
// each kill that every acknowledged event is there byte for byte, that no
// append is partly visible, and that the ledger verifies.
func TestCrashKeepsAcknowledgedAppends(t *testing.T) {
	rounds := crashDefaultRounds
	if s := os.Getenv(crashRoundsEnv); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n < 1 {
			t.Fatalf("%s=%q: want a positive number", crashRoundsEnv, s)
		}
		rounds = n
	}
	dir := t.TempDir()
	seed := uint64(time.Now().UnixNano())
	t.Logf("seed %d (kill delays)", seed)
	rng := rand.New(rand.NewPCG(seed, 0))
	var acked []ack
	total := 0
	for round := range rounds {
		// From process start, so some kills land while the store opens
		// and most during the load.
		delay := time.Duration(10+rng.IntN(390)) * time.Millisecond
		got := crashRound(t, dir, delay)
		acked = append(acked, got...)
		checkAfterCrash(t, dir, acked)
		total += len(got)
		t.Logf("round %d: killed after %v, %d appends acknowledged (%d in all)", round, delay, len(got), total)
	}
	if total == 0 {
		t.Fatal("no append was acknowledged in any round: the test checked nothing")
	}
}

// crashRound starts a child writing to dir, kills it after delay and
// returns the appends it acknowledged.
func crashRound(t *testing.T, dir string, delay time.Duration) []ack {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), crashChildEnv+"="+dir)
	// A pipe of our own rather than StdoutPipe: the child writes straight
	// into it, and we read to EOF (the child's death) before Wait.
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	cmd.Stdout = w
	var stderr lockedBuffer
	cmd.Stderr = &stderr
	err = cmd.Start()
	w.Close()
	if err != nil {
		t.Fatal(err)
	}
	timer := time.AfterFunc(delay, func() {
		// An error means the child already exited; Wait reports how.
		_ = cmd.Process.Signal(syscall.SIGKILL)
	})
	defer timer.Stop()

	var got []ack
	var bad error
	br := bufio.NewReader(r)
	for {
		line, err := br.ReadBytes('\n')
		if err != nil {
			// EOF: the child is dead. A last line without its newline was
			// cut by the kill and is not counted.
			break
		}
		var a ack
		if err := json.Unmarshal(line, &a); err != nil && bad == nil {
			bad = fmt.Errorf("child printed %q: %w", line, err)
		}
		got = append(got, a)
	}
	err = cmd.Wait()
	// Only this test sends SIGKILL: any other end means the child failed.
	if status, ok := cmd.ProcessState.Sys().(syscall.WaitStatus); !ok || !status.Signaled() || status.Signal() != syscall.SIGKILL {
		t.Fatalf("child ended with %v, not by SIGKILL:\n%s", err, stderr.String())
	}
	if bad != nil {
		t.Fatal(bad)
	}
	return got
}

// checkAfterCrash reopens dir and checks the log against everything
// acknowledged so far.
func checkAfterCrash(t *testing.T, dir string, acked []ack) {
	t.Helper()
	store, err := sqlite.Open(dir)
	if err != nil {
		t.Fatalf("reopen after kill: %v", err)
	}
	defer func() {
		if err := store.Close(); err != nil {
			t.Fatal(err)
		}
	}()
	ctx := context.Background()

	rep, err := integrity.Verify(ctx, store, integrity.Options{PageSize: 500})
	if err != nil {
		t.Fatalf("verify after kill: %v", err)
	}
	var log []eventstore.Event
	for after := uint64(0); ; {
		page, err := store.ReadAll(ctx, after, 1000)
		if err != nil {
			t.Fatal(err)
		}
		if len(page) == 0 {
			break
		}
		log = append(log, page...)
		after = page[len(page)-1].Position
	}
	if uint64(len(log)) != rep.Events {
		t.Fatalf("read %d events, verify saw %d", len(log), rep.Events)
	}

	// Every batch in the log is complete, acknowledged or not: its n
	// events, in order, at consecutive versions of one stream.
	type at struct {
		stream  string
		version uint64
	}
	byVersion := make(map[at]eventstore.Event, len(log))
	batches := map[uuid.UUID][]eventstore.Event{}
	for _, e := range log {
		var d batchData
		if err := json.Unmarshal(e.Data, &d); err != nil {
			t.Fatalf("event %s/%d: %v", e.Stream, e.Version, err)
		}
		batches[d.Batch] = append(batches[d.Batch], e)
		byVersion[at{e.Stream, e.Version}] = e
	}
	for id, events := range batches {
		for j, e := range events {
			var d batchData
			if err := json.Unmarshal(e.Data, &d); err != nil {
				t.Fatal(err)
			}
			if d.Size != len(events) || d.Index != j || e.Stream != events[0].Stream || e.Version != events[0].Version+uint64(j) {
				t.Fatalf("batch %s is partly visible: %d of its events in the log, at %s/%d: %s",
					id, len(events), e.Stream, e.Version, e.Data)
			}
		}
	}

	// Every acknowledged event is there, unchanged.
	for _, a := range acked {
		for i, id := range a.IDs {
			e, ok := byVersion[at{a.Stream, a.FirstVersion + uint64(i)}]
			switch {
			case !ok:
				t.Fatalf("acknowledged event %s at %s/%d is missing", id, a.Stream, a.FirstVersion+uint64(i))
			case e.ID != id || string(e.Data) != a.Data[i] || e.Metadata.Actor != a.Actor || e.Type != "CrashTested":
				t.Fatalf("acknowledged event at %s/%d changed: got %s %s %q, acked %s %s %q",
					a.Stream, e.Version, e.ID, e.Data, e.Metadata.Actor, id, a.Data[i], a.Actor)
			}
		}
		if last := byVersion[at{a.Stream, a.FirstVersion + uint64(len(a.IDs)) - 1}]; last.Position != a.Position {
			t.Fatalf("acknowledged append to %s ended at position %d, now %d", a.Stream, a.Position, last.Position)
		}
	}
}

// lockedBuffer collects a child's stderr; exec copies into it from its own
// goroutine.
type lockedBuffer struct {
	mu sync.Mutex
	b  []byte
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.b = append(l.b, p...)
	return len(p), nil
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return string(l.b)
}
