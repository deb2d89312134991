package ledger

import (
	"context"
	"errors"
	"sync"
	"testing"

	"github.com/google/uuid"

	"github.com/haixi-hrss/fundledger/domain"
)

// TestMixedBatchRoutesEachResult: one combined batch, decided on a
// cached fold made stale by another process, holds a command that fits,
// one the set refuses, a repeat of the other process's command (same
// command ID), another that fits, and a command whose caller gave up
// (context cancelled) while queued. Each caller gets its own outcome:
// the fitting ones their own events at the versions in the stream, the
// refused one the refusal, the repeat the first run's events marked
// Replayed, the cancelled one its context's error and nothing appended.
// Refusing on the cached fold undoes what the batch folded in place, so
// the commands decided again on the stream as read are not refused by
// their own earlier decisions.
func TestMixedBatchRoutesEachResult(t *testing.T) {
	ctx := context.Background()
	st := openTallyStore(t)
	here, there := tallyService(t, st), tallyService(t, st)
	agg, add := inPlaceSet("set-1")
	if _, err := Handle(ctx, here, agg, Command{ID: uuid.New()}, add(1)); err != nil {
		t.Fatal(err)
	}
	repeat := Command{ID: uuid.New()}
	first, err := Handle(ctx, there, agg, repeat, add(20))
	if err != nil {
		t.Fatal(err)
	}

	unlock, err := here.locks.lock(ctx, "set-1")
	if err != nil {
		t.Fatal(err)
	}
	queued := func(n int) { waitQueued(here, "set-1", n) }
	type call struct {
		cmd    Command
		decide func(map[int]bool) ([]domain.Event, error)
		ctx    context.Context
		res    Result
		err    error
	}
	cancelled, cancel := context.WithCancel(ctx)
	calls := []*call{
		{cmd: Command{ID: uuid.New()}, decide: add(10), ctx: ctx},
		{cmd: Command{ID: uuid.New()}, decide: add(1), ctx: ctx},
		{cmd: repeat, decide: add(20), ctx: ctx},
		{cmd: Command{ID: uuid.New()}, decide: add(30), ctx: ctx},
		{cmd: Command{ID: uuid.New()}, decide: add(40), ctx: cancelled},
	}
	var wg sync.WaitGroup
	done := make([]chan struct{}, len(calls))
	for i, c := range calls {
		done[i] = make(chan struct{})
		wg.Go(func() {
			defer close(done[i])
			c.res, c.err = Handle(c.ctx, here, agg, c.cmd, c.decide)
		})
		queued(i + 1)
	}
	cancel()
	<-done[4]
	queued(4)
	unlock()
	wg.Wait()

	evs, err := st.Store.ReadStream(ctx, "set-1", 0, 0)
	if err != nil {
		t.Fatal(err)
	}
	if len(evs) != 4 {
		t.Fatalf("stream holds %d events, want 4 (1, 20, 10, 30)", len(evs))
	}
	for _, i := range []int{0, 3} {
		c := calls[i]
		if c.err != nil || c.res.Replayed || len(c.res.EventIDs) != 1 || c.res.FirstVersion != c.res.LastVersion {
			t.Errorf("call %d: %+v, %v; want one fresh event", i, c.res, c.err)
			continue
		}
		v := c.res.FirstVersion
		if v >= uint64(len(evs)) || evs[v].ID != c.res.EventIDs[0] || evs[v].ID != EventID(c.cmd.ID, "set-1", 0) {
			t.Errorf("call %d: result names version %d, which does not hold its event", i, v)
		} else if c.res.Position < evs[v].Position {
			t.Errorf("call %d: position %d before its event's %d", i, c.res.Position, evs[v].Position)
		}
	}
	if !errors.Is(calls[1].err, domain.ErrRejected) {
		t.Errorf("call 1 (1 is in the set): %+v, %v; want the refusal", calls[1].res, calls[1].err)
	}
	if r := calls[2].res; calls[2].err != nil || !r.Replayed || len(r.EventIDs) != 1 || r.EventIDs[0] != first.EventIDs[0] ||
		r.FirstVersion != first.FirstVersion || r.Position != first.Position {
		t.Errorf("repeat: %+v, %v; want a replay of %+v", r, calls[2].err, first)
	}
	if !errors.Is(calls[4].err, context.Canceled) {
		t.Errorf("cancelled call: %+v, %v; want context.Canceled", calls[4].res, calls[4].err)
	}
	for i := range evs {
		if evs[i].ID == EventID(calls[4].cmd.ID, "set-1", 0) {
			t.Errorf("the cancelled command was appended at version %d", i)
		}
	}
	// The cached fold after the batch is the stream's: 40 fits, 30 not.
	if _, err := Handle(ctx, here, agg, Command{ID: uuid.New()}, add(40)); err != nil {
		t.Errorf("40 after the batch: %v", err)
	}
	if _, err := Handle(ctx, here, agg, Command{ID: uuid.New()}, add(30)); !errors.Is(err, domain.ErrRejected) {
		t.Errorf("30 again after the batch: %v, want the refusal", err)
	}
}
