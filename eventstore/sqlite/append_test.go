package sqlite

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/haixi-hrss/fundledger/eventstore"
)

// TestGroupCommitConcurrentWriters runs 64 writers at once, half of them
// fighting over a few hot streams with exact expected versions, while a
// subscription follows the log. It checks that every acknowledged append
// is in the log exactly where it was reported, that nothing else is, that
// refused appends wrote nothing, that the log is gapless with a valid hash
// chain, that the subscription saw exactly the log, and that the writer
// really grouped appends into shared commits.
func TestGroupCommitConcurrentWriters(t *testing.T) {
	const writers, perWriter = 64, 15
	var ticks atomic.Int64
	base := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	// Each commit reads the clock once, so distinct timestamps count batches.
	s := openStore(t, t.TempDir(), WithClock(func() time.Time {
		return base.Add(time.Duration(ticks.Add(1)) * time.Microsecond)
	}))
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()

	type acked struct {
		stream string
		res    eventstore.AppendResult
		ids    []uuid.UUID
	}
	var (
		mu        sync.Mutex
		acks      []acked
		conflicts atomic.Int64
		wg        sync.WaitGroup
	)
	for w := range writers {
		wg.Go(func() {
			own := fmt.Sprintf("claim-%02d", w)
			for i := range perWriter {
				stream, expected := own, eventstore.Exact(uint64(i-1))
				if i == 0 {
					expected = eventstore.NoStream
				}
				if w%2 == 0 {
					stream = fmt.Sprintf("budget-%d", i%3)
					head, err := s.ReadStreamBackward(ctx, stream, 1)
					if err != nil {
						t.Error(err)
						return
					}
					expected = eventstore.NoStream
					if len(head) == 1 {
						expected = eventstore.Exact(head[0].Version)
					}
				}
				evs := []eventstore.EventData{newEvent(i)}
				if i%4 == 0 {
					evs = append(evs, newEvent(i), newEvent(i))
				}
				res, err := s.Append(ctx, stream, expected, evs...)
				if errors.Is(err, eventstore.ErrConcurrency) {
					conflicts.Add(1)
					continue
				}
				if err != nil {
					t.Errorf("%s: %v", stream, err)
					return
				}
				ids := make([]uuid.UUID, len(evs))
				for k := range evs {
					ids[k] = evs[k].ID
				}
				mu.Lock()
				acks = append(acks, acked{stream, res, ids})
				mu.Unlock()
			}
		})
	}

	// The subscription runs until it sees a final marker event appended
	// after every writer is done.
	marker := newEvent(0)
	subscribed := make(chan []eventstore.Event, 1)
	go func() {
		var got []eventstore.Event
		for e, err := range s.Subscribe(ctx, 0) {
			if err != nil || e.ID == marker.ID {
				break
			}
			got = append(got, e)
		}
		subscribed <- got
	}()

	wg.Wait()
	log := readLog(t, s)
	verifyLog(t, log)
	mustAppend(t, s, "marker", eventstore.NoStream, marker)

	byPos := make(map[uint64]eventstore.Event, len(log))
	for _, e := range log {
		byPos[e.Position] = e
	}
	written := 0
	for _, a := range acks {
		n := uint64(len(a.ids))
		if a.res.LastVersion-a.res.FirstVersion+1 != n {
			t.Fatalf("%s: result %+v for %d events", a.stream, a.res, n)
		}
		for k, id := range a.ids {
			e, ok := byPos[a.res.Position-n+1+uint64(k)]
			if !ok || e.ID != id || e.Stream != a.stream || e.Version != a.res.FirstVersion+uint64(k) {
				t.Fatalf("acknowledged event %s (%s v%d) is not where its result %+v says; found %+v", id, a.stream, a.res.FirstVersion+uint64(k), a.res, e)
			}
		}
		written += len(a.ids)
	}
	if written != len(log) {
		t.Errorf("log holds %d events, acknowledged appends %d: refused appends must write nothing", len(log), written)
	}
	if conflicts.Load() == 0 {
		t.Error("no append to the hot streams conflicted; the test did not exercise refusals")
	}
	if batches := ticks.Load(); batches >= int64(len(acks)) {
		t.Errorf("%d commits for %d acknowledged appends: the writer did not group them", batches, len(acks))
	}

	select {
	case got := <-subscribed:
		if len(got) != len(log) {
			t.Fatalf("subscription delivered %d events, log has %d", len(got), len(log))
		}
		for i := range got {
			if got[i].Position != log[i].Position || got[i].ID != log[i].ID {
				t.Fatalf("subscription event %d is %s at %d, log has %s at %d", i, got[i].ID, got[i].Position, log[i].ID, log[i].Position)
			}
		}
	case <-time.After(30 * time.Second):
		t.Fatal("subscription did not deliver the whole log within 30s")
	}
}

// TestBatchRefusesOnlyTheFailingRequest puts three requests for one stream
// into one batch: the first creates it, the second also expects no stream
// and must be refused with the version the first produced, the third
// expects the first's version and must succeed on top of it.
func TestBatchRefusesOnlyTheFailingRequest(t *testing.T) {
	g := newGate()
	s := openStore(t, t.TempDir(), WithClock(g.now))
	ctx := context.Background()
	blocker := appendAsync(ctx, s, "other", eventstore.NoStream, newEvent(0))
	<-g.entered

	first := appendAsync(ctx, s, "claim-1", eventstore.NoStream, newEvent(1))
	waitQueued(t, s, 1)
	second := appendAsync(ctx, s, "claim-1", eventstore.NoStream, newEvent(2))
	waitQueued(t, s, 2)
	third := appendAsync(ctx, s, "claim-1", eventstore.Exact(0), newEvent(3))
	waitQueued(t, s, 3)
	close(g.release)

	if o := <-blocker; o.err != nil {
		t.Fatal(o.err)
	}
	if o := <-first; o.err != nil || o.res.FirstVersion != 0 {
		t.Errorf("first: %+v, %v; want version 0", o.res, o.err)
	}
	var ce *eventstore.ConcurrencyError
	if o := <-second; !errors.As(o.err, &ce) || ce.Actual != 0 {
		t.Errorf("second: %v; want a *ConcurrencyError with Actual 0 (the first's version)", o.err)
	}
	if o := <-third; o.err != nil || o.res.FirstVersion != 1 || o.res.Position != 3 {
		t.Errorf("third: %+v, %v; want version 1 at position 3", o.res, o.err)
	}
	evs, err := s.ReadStream(ctx, "claim-1", 0, 0)
	if err != nil {
		t.Fatal(err)
	}
	if len(evs) != 2 || !evs[0].RecordedAt.Equal(evs[1].RecordedAt) {
		t.Errorf("claim-1 holds %d events; want 2 committed in one batch (one timestamp)", len(evs))
	}
	verifyLog(t, readLog(t, s))
}

// TestCancelBeforeTakenWritesNothing cancels an Append still waiting in the
// queue: it must return the context's error and never be written.
func TestCancelBeforeTakenWritesNothing(t *testing.T) {
	g := newGate()
	s := openStore(t, t.TempDir(), WithClock(g.now))
	blocker := appendAsync(context.Background(), s, "other", eventstore.NoStream, newEvent(0))
	<-g.entered

	ctx, cancel := context.WithCancel(context.Background())
	queued := appendAsync(ctx, s, "claim-1", eventstore.NoStream, newEvent(1))
	waitQueued(t, s, 1)
	cancel()
	if o := <-queued; !errors.Is(o.err, context.Canceled) {
		t.Fatalf("cancelled queued append: %+v, %v; want context.Canceled", o.res, o.err)
	}
	close(g.release)
	if o := <-blocker; o.err != nil {
		t.Fatal(o.err)
	}
	// The next append proves the writer has passed the withdrawn request.
	mustAppend(t, s, "claim-2", eventstore.NoStream, newEvent(2))
	if evs, _ := s.ReadStream(context.Background(), "claim-1", 0, 0); len(evs) != 0 {
		t.Errorf("withdrawn append was written: %+v", evs)
	}
	verifyLog(t, readLog(t, s))
}

// TestCancelAfterTakenReportsTheCommit cancels an Append the writer is
// already committing: it must wait and report success, since the event is
// written.
func TestCancelAfterTakenReportsTheCommit(t *testing.T) {
	g := newGate()
	s := openStore(t, t.TempDir(), WithClock(g.now))
	ctx, cancel := context.WithCancel(context.Background())
	taken := appendAsync(ctx, s, "claim-1", eventstore.NoStream, newEvent(1))
	<-g.entered
	cancel()
	time.Sleep(10 * time.Millisecond) // let Append see the cancellation first
	close(g.release)
	o := <-taken
	if o.err != nil {
		t.Fatalf("append cancelled after the writer took it: %v; want its committed result", o.err)
	}
	if evs, _ := s.ReadStream(context.Background(), "claim-1", 0, 0); len(evs) != 1 {
		t.Errorf("claim-1 holds %d events, want the 1 acknowledged", len(evs))
	}
}

// failForSpace appends a 200 KB event to stream while the file is capped
// at its current size, so that the insert fails inside SQLite, checks that
// the append failed, lifts the cap and returns the event. The writer
// goroutine is idle between appends, so the pragmas only change the cap.
func failForSpace(t *testing.T, s *Store, stream string) eventstore.EventData {
	t.Helper()
	pages, err := queryInt(s.w.c, "PRAGMA page_count")
	if err != nil {
		t.Fatal(err)
	}
	if err := execSQL(s.w.c, fmt.Sprintf("PRAGMA max_page_count = %d", pages)); err != nil {
		t.Fatal(err)
	}
	big := newEvent(2)
	big.Data = []byte(`{"note":"` + strings.Repeat("x", 200_000) + `"}`)
	if _, err := s.Append(context.Background(), stream, eventstore.NoStream, big); err == nil {
		t.Fatal("append that cannot fit in the capped file succeeded")
	}
	if err := execSQL(s.w.c, "PRAGMA max_page_count = 1073741823"); err != nil {
		t.Fatal(err)
	}
	return big
}

// TestDatabaseErrorAbortsTheBatchOnly makes an insert fail inside SQLite
// (the file may not grow) and checks the append fails, nothing of it is
// written, and the store works again once the cause is gone.
func TestDatabaseErrorAbortsTheBatchOnly(t *testing.T) {
	s := openStore(t, t.TempDir())
	mustAppend(t, s, "claim-1", eventstore.NoStream, newEvent(1))
	big := failForSpace(t, s, "claim-2")
	res := mustAppend(t, s, "claim-2", eventstore.NoStream, big)
	if res.Position != 2 {
		t.Errorf("append after the failure landed at position %d, want 2", res.Position)
	}
	verifyLog(t, readLog(t, s))
}

// TestStreamsAfterReopen drives the writer's ways of learning a head with
// nothing cached (after a reopen): a request that may create its stream
// tries the insert first and must fall back to the head of one that
// exists; one that may not create it reads the head. The streams table
// ends with one row per stream with events, none for refused requests.
func TestStreamsAfterReopen(t *testing.T) {
	dir := t.TempDir()
	ctx := context.Background()
	first := newEvent(1)
	s := openStore(t, dir)
	orig := mustAppend(t, s, "claim-1", eventstore.NoStream, first)
	reopen := func() {
		t.Helper()
		if err := s.Close(); err != nil {
			t.Fatal(err)
		}
		s = openStore(t, dir)
	}
	reopen()
	if res := mustAppend(t, s, "claim-1", eventstore.Any, newEvent(2)); res.FirstVersion != 1 || res.Position != 2 {
		t.Errorf("Any to an existing stream after reopen: %+v, want version 1 at position 2", res)
	}
	reopen()
	var ce *eventstore.ConcurrencyError
	if _, err := s.Append(ctx, "claim-1", eventstore.NoStream, newEvent(3)); !errors.As(err, &ce) || ce.Actual != 1 {
		t.Errorf("NoStream to an existing stream after reopen: %v, want a *ConcurrencyError with Actual 1", err)
	}
	reopen()
	orig.Repeated = true
	if res, err := s.Append(ctx, "claim-1", eventstore.NoStream, first); err != nil || res != orig {
		t.Errorf("retry of the first append after reopen: %+v, %v; want %+v", res, err, orig)
	}
	if _, err := s.Append(ctx, "claim-2", eventstore.Exact(0), newEvent(4)); !errors.As(err, &ce) || ce.Actual != -1 {
		t.Errorf("Exact(0) to a missing stream: %v, want a *ConcurrencyError with Actual -1", err)
	}
	if res := mustAppend(t, s, "claim-2", eventstore.Any, newEvent(5)); res.FirstVersion != 0 {
		t.Errorf("Any to a new stream: %+v, want version 0", res)
	}
	mustAppend(t, s, "claim-3", eventstore.NoStream, newEvent(6))
	verifyLog(t, readLog(t, s))
	n, err := queryInt(s.w.c, "SELECT count(*) FROM streams")
	if err != nil || n != 3 {
		t.Errorf("streams has %d rows (%v), want 3", n, err)
	}
	orphans, err := queryInt(s.w.c, "SELECT count(*) FROM streams WHERE id NOT IN (SELECT stream_id FROM events)")
	if err != nil || orphans != 0 {
		t.Errorf("streams has %d rows without events (%v)", orphans, err)
	}
}

// TestRefusedGroupLeavesNoStreamRow: a multi-stream append refused by its
// second part's precondition leaves no row for its new first stream
// (appendGroup creates it while checking, inside a savepoint the refusal
// rolls back), and a plain append after it still commits.
func TestRefusedGroupLeavesNoStreamRow(t *testing.T) {
	ctx := context.Background()
	s := openStore(t, t.TempDir())
	mustAppend(t, s, "claim-1", eventstore.NoStream, newEvent(1))
	_, err := s.AppendMulti(ctx,
		eventstore.StreamAppend{Stream: "idem-new", Expected: eventstore.NoStream, Events: []eventstore.EventData{newEvent(2)}},
		eventstore.StreamAppend{Stream: "claim-1", Expected: eventstore.NoStream, Events: []eventstore.EventData{newEvent(3)}})
	var ce *eventstore.ConcurrencyError
	if !errors.As(err, &ce) || ce.Stream != "claim-1" {
		t.Fatalf("AppendMulti: %v, want a *ConcurrencyError for claim-1", err)
	}
	mustAppend(t, s, "claim-2", eventstore.NoStream, newEvent(4))
	n, err := queryInt(s.w.c, "SELECT count(*) FROM streams WHERE name = 'idem-new'")
	if err != nil || n != 0 {
		t.Errorf("the refused group left %d rows for its new stream (%v)", n, err)
	}
	orphans, err := queryInt(s.w.c, "SELECT count(*) FROM streams WHERE id NOT IN (SELECT stream_id FROM events)")
	if err != nil || orphans != 0 {
		t.Errorf("streams has %d rows without events (%v)", orphans, err)
	}
}
