package sqlite

import (
	"errors"
	"sync/atomic"
	"testing"
	"time"

	"github.com/haixi-hrss/fundledger/eventstore"
)

// heldClock holds the clock readings with the numbers given (counting
// from 1) until their release is closed; entered is closed when such a
// reading starts.
type heldClock struct {
	calls atomic.Int64
	holds map[int64]hold
}

type hold struct{ entered, release chan struct{} }

func newHeldClock(at ...int64) *heldClock {
	c := &heldClock{holds: make(map[int64]hold)}
	for _, n := range at {
		c.holds[n] = hold{entered: make(chan struct{}), release: make(chan struct{})}
	}
	return c
}

func (c *heldClock) now() time.Time {
	if h, ok := c.holds[c.calls.Add(1)]; ok {
		close(h.entered)
		<-h.release
	}
	return time.Now()
}

// TestDecidedAheadThenAnotherWriterCommits has store a's preparer decide
// an append while a's previous batch commits, then lets store b (a second
// process would do the same) commit to the same stream before a's next
// transaction begins. The writer must notice, decide the append again and
// refuse it, instead of committing what it sealed against a stale head.
func TestDecidedAheadThenAnotherWriterCommits(t *testing.T) {
	dir := t.TempDir()
	// Reading 1: the first batch. Reading 2: the second batch, in the
	// writer. Reading 3: the preparer, taking the third append during the
	// second batch's commit.
	clock := newHeldClock(2, 3)
	inApply, inPrepare := clock.holds[2], clock.holds[3]
	a := openStore(t, dir, WithClock(clock.now))
	b := openStore(t, dir)
	mustAppend(t, a, "claim-1", eventstore.NoStream, newEvent(1))

	second := appendAsync(t.Context(), a, "claim-2", eventstore.NoStream, newEvent(2))
	<-inApply.entered
	third := appendAsync(t.Context(), a, "claim-1", eventstore.Exact(0), newEvent(3))
	waitQueued(t, a, 1)
	close(inApply.release)
	if o := <-second; o.err != nil {
		t.Fatal(o.err)
	}
	<-inPrepare.entered
	mustAppend(t, b, "claim-1", eventstore.Exact(0), newEvent(4))
	close(inPrepare.release)

	o := <-third
	var ce *eventstore.ConcurrencyError
	if !errors.As(o.err, &ce) || ce.Actual != 1 {
		t.Fatalf("append decided against a stale head: %+v, %v; want a concurrency error with actual version 1", o.res, o.err)
	}
	if a.w.redecided != 1 {
		t.Errorf("writer decided %d batches again, want 1", a.w.redecided)
	}
	log := readLog(t, a)
	if len(log) != 3 {
		t.Fatalf("log holds %d events, want 3", len(log))
	}
	verifyLog(t, log)
}
