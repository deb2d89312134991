package ledger

import (
	"context"
	"errors"
	"maps"
	"runtime"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/google/uuid"

	"github.com/haixi-hrss/fundledger/domain"
	"github.com/haixi-hrss/fundledger/eventstore"
)

// appendCounter counts the appends that reach the store.
type appendCounter struct {
	eventstore.Store
	appends atomic.Int64
}

func (a *appendCounter) Append(ctx context.Context, stream string, expected eventstore.ExpectedVersion, events ...eventstore.EventData) (eventstore.AppendResult, error) {
	a.appends.Add(1)
	return a.Store.Append(ctx, stream, expected, events...)
}

// sharedTally is a shared aggregate: its writers in one process are
// combined into the stream's appends.
func sharedTally(stream string, limit int) (Aggregate[int], func(int) func(int) ([]domain.Event, error)) {
	agg := tally(stream)
	agg.recent, agg.shared = false, true
	add := func(by int) func(int) ([]domain.Event, error) {
		return func(n int) ([]domain.Event, error) {
			if n+by > limit {
				return nil, domain.Reject("tally-max", "by", "tally at %d cannot rise by %d", n, by)
			}
			return []domain.Event{added{By: by}}, nil
		}
	}
	return agg, add
}

// TestSharedStreamCombinesConcurrentCommands: 64 concurrent commands on
// one shared stream, room for 40: exactly 40 are appended, in fewer
// appends than commands, each result naming its own event at its own
// version, and the other 24 are refused as they would be one at a time.
func TestSharedStreamCombinesConcurrentCommands(t *testing.T) {
	const senders, room = 64, 40
	ctx := context.Background()
	st := &appendCounter{Store: openTallyStore(t)}
	svc := tallyService(t, st)
	agg, add := sharedTally("line-1", room)
	results := make([]Result, senders)
	errs := make([]error, senders)
	start := make(chan struct{})
	var wg sync.WaitGroup
	for i := range senders {
		wg.Go(func() {
			<-start
			results[i], errs[i] = Handle(ctx, svc, agg, Command{ID: uuid.New()}, add(1))
		})
	}
	close(start)
	wg.Wait()
	evs, err := st.ReadStream(ctx, "line-1", 0, 0)
	if err != nil {
		t.Fatal(err)
	}
	if len(evs) != room {
		t.Fatalf("stream holds %d events, want %d", len(evs), room)
	}
	ok := 0
	for i := range senders {
		switch {
		case errs[i] == nil:
			ok++
			res := results[i]
			if len(res.EventIDs) != 1 || res.FirstVersion != res.LastVersion || evs[res.FirstVersion].ID != res.EventIDs[0] {
				t.Errorf("sender %d: result %+v does not name its event in the stream", i, res)
			}
		case !errors.Is(errs[i], domain.ErrRejected):
			t.Errorf("sender %d: %v", i, errs[i])
		}
	}
	if ok != room {
		t.Errorf("%d commands appended, want %d", ok, room)
	}
	if n := st.appends.Load(); n >= room {
		t.Errorf("%d appends for %d commands: none were combined", n, room)
	}
	t.Logf("%d commands in %d appends", room, st.appends.Load())
}

// TestSharedStreamRepeatIsNotAppliedTwice: a command repeated (same ID)
// while its first run's events are in the stream but not in the cached
// fold is recognised among the events read, and answered with them.
func TestSharedStreamRepeatIsNotAppliedTwice(t *testing.T) {
	ctx := context.Background()
	st := openTallyStore(t)
	agg, add := sharedTally("line-1", 100)
	cmd := Command{ID: uuid.New()}
	first, err := Handle(ctx, tallyService(t, st), agg, cmd, add(3))
	if err != nil {
		t.Fatal(err)
	}
	// A second process: its fold is read from the store.
	again, err := Handle(ctx, tallyService(t, st), agg, cmd, add(3))
	if err != nil {
		t.Fatal(err)
	}
	if !again.Replayed || again.EventIDs[0] != first.EventIDs[0] {
		t.Errorf("repeat gave %+v, want a replay of %+v", again, first)
	}
	if evs, err := st.ReadStream(ctx, "line-1", 0, 0); err != nil || len(evs) != 1 {
		t.Errorf("stream holds %d events (%v), want 1", len(evs), err)
	}
}

// inPlaceSet is a shared aggregate whose state, a set of numbers, the
// combined batches fold in place: adding a number twice is refused.
func inPlaceSet(stream string) (Aggregate[map[int]bool], func(int) func(map[int]bool) ([]domain.Event, error)) {
	agg := Aggregate[map[int]bool]{Stream: stream, shared: true,
		Evolve: func(s map[int]bool, ev domain.Event) map[int]bool {
			c := maps.Clone(s)
			if c == nil {
				c = map[int]bool{}
			}
			c[ev.(added).By] = true
			return c
		},
		Apply: func(s *map[int]bool, evs ...domain.Event) func() {
			if *s == nil {
				*s = map[int]bool{}
			}
			m := *s
			for _, ev := range evs {
				if ev.(added).By < 0 {
					panic("apply failed") // for TestPanicInABatchForgetsTheFoldedState
				}
				m[ev.(added).By] = true
			}
			return func() {
				for _, ev := range evs {
					delete(m, ev.(added).By)
				}
			}
		},
		Clone: func(s map[int]bool) map[int]bool { return maps.Clone(s) },
	}
	add := func(by int) func(map[int]bool) ([]domain.Event, error) {
		return func(s map[int]bool) ([]domain.Event, error) {
			if s[by] {
				return nil, domain.Reject("set-once", "by", "%d is in the set", by)
			}
			return []domain.Event{added{By: by}}, nil
		}
	}
	return agg, add
}

// TestPanicInABatchForgetsTheFoldedState: a batch that panics (outside a
// decide, which only fails its own command) after one of its commands was
// folded into the cached state in place, but not appended, leaves no trace
// of it: the command then succeeds; and the batch's other command is told
// it failed.
func TestPanicInABatchForgetsTheFoldedState(t *testing.T) {
	ctx := context.Background()
	st := openTallyStore(t)
	svc := tallyService(t, st)
	agg, add := inPlaceSet("set-1")
	if _, err := Handle(ctx, svc, agg, Command{ID: uuid.New()}, add(1)); err != nil {
		t.Fatal(err)
	}
	queued := func(n int) { waitQueued(svc, "set-1", n) }
	unlock, err := svc.locks.lock(ctx, "set-1")
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	var errs [2]error
	run := func(i int, decide func(map[int]bool) ([]domain.Event, error)) {
		wg.Go(func() {
			defer func() {
				if recover() != nil {
					errs[i] = errors.New("panicked")
				}
			}()
			_, errs[i] = Handle(ctx, svc, agg, Command{ID: uuid.New()}, decide)
		})
	}
	run(0, add(2))
	queued(1)
	run(1, add(-1)) // its decide is fine; folding it panics
	queued(2)
	unlock()
	wg.Wait()
	for i, err := range errs {
		if err == nil {
			t.Errorf("command %d of the panicked batch was told it succeeded", i)
		}
	}

	if evs, err := st.ReadStream(ctx, "set-1", 0, 0); err != nil || len(evs) != 1 {
		t.Fatalf("stream holds %d events (%v), want the first only", len(evs), err)
	}
	if _, err := Handle(ctx, svc, agg, Command{ID: uuid.New()}, add(2)); err != nil {
		t.Fatalf("adding 2 after the panicked batch: %v", err)
	}
}

// waitQueued waits until n commands are queued for stream's next combined
// append on svc.
func waitQueued(svc *Service, stream string, n int) {
	for {
		svc.ops.mu.Lock()
		got := len(svc.ops.waiting[stream])
		svc.ops.mu.Unlock()
		if got == n {
			return
		}
		runtime.Gosched()
	}
}
