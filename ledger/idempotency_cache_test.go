package ledger

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"testing"

	"github.com/google/uuid"

	"github.com/haixi-hrss/fundledger/domain"
	"github.com/haixi-hrss/fundledger/eventstore"
)

// reviewKeyed is a command with idempotency key key adding by, under a
// fresh command ID (a client retry through a library user, not the API,
// which derives command IDs from keys).
func reviewKeyed(key string, by int) Command {
	return Command{ID: uuid.New(), Name: "Add", IdempotencyKey: key, Actor: "clerk-1", Payload: map[string]int{"by": by}}
}

// failNth fails the n-th append to stream, as a process dying before it.
type failNth struct {
	eventstore.Store
	mu     sync.Mutex
	stream string
	n, at  int
}

func (f *failNth) Append(ctx context.Context, stream string, expected eventstore.ExpectedVersion, events ...eventstore.EventData) (eventstore.AppendResult, error) {
	f.mu.Lock()
	if stream == f.stream {
		f.n++
		if f.n == f.at {
			f.mu.Unlock()
			return eventstore.AppendResult{}, fmt.Errorf("simulated crash before appending to %s", stream)
		}
	}
	f.mu.Unlock()
	return f.Store.Append(ctx, stream, expected, events...)
}

// TestKeyAcrossTwoProcessesWithStaleFolds: one key sent many times
// at once to two processes whose cached folds of the (recent) stream are
// stale, under fresh command IDs and with a decision that would succeed
// again (a repeat not recognised is appended twice): exactly one command
// is appended, every sender gets its events, and a later sender with
// other input gets a mismatch.
func TestKeyAcrossTwoProcessesWithStaleFolds(t *testing.T) {
	ctx := context.Background()
	st := openTallyStore(t)
	procs := []*Service{tallyService(t, st), tallyService(t, st)}
	// Each process caches a fold the other then makes stale.
	for _, svc := range procs {
		if _, err := Handle(ctx, svc, tally("tally-1"), Command{ID: uuid.New()}, add(1)); err != nil {
			t.Fatal(err)
		}
	}
	const senders = 32
	results := make([]Result, senders)
	errs := make([]error, senders)
	var wg sync.WaitGroup
	for i := range senders {
		wg.Go(func() {
			results[i], errs[i] = Handle(ctx, procs[i%2], tally("tally-1"), reviewKeyed("k1", 3), add(3))
		})
	}
	wg.Wait()
	evs, err := st.Store.ReadStream(ctx, "tally-1", 0, 0)
	if err != nil {
		t.Fatal(err)
	}
	if len(evs) != 3 {
		t.Fatalf("stream holds %d events, want the 2 before and one keyed command's 1", len(evs))
	}
	for i := range senders {
		switch {
		case errs[i] != nil:
			t.Errorf("sender %d: %v", i, errs[i])
		case len(results[i].EventIDs) != 1 || results[i].EventIDs[0] != evs[2].ID || results[i].FirstVersion != 2:
			t.Errorf("sender %d: %+v, want the event at version 2", i, results[i])
		}
	}
	for _, svc := range procs {
		if _, err := Handle(ctx, svc, tally("tally-1"), reviewKeyed("k1", 4), add(4)); !errors.Is(err, ErrIdempotencyMismatch) {
			t.Errorf("other input under the key: err = %v, want ErrIdempotencyMismatch", err)
		}
	}
}

// TestCrashBetweenClaimAndEventsOnCachedStreams: a keyed command
// claims its key and dies before its events, on a recent and on a shared
// stream. Another process whose fold of the stream is warm (and, after a
// write by a third command, stale) retries under a new command ID: the
// command is appended once, under the claim's command ID; a retry with
// other input is a mismatch; a further retry replays.
func TestCrashBetweenClaimAndEventsOnCachedStreams(t *testing.T) {
	sharedAgg, sharedAdd := sharedTally("line-1", 100)
	cases := []struct {
		name     string
		agg      Aggregate[int]
		add1, ok func(int) ([]domain.Event, error)
		other    func(int) ([]domain.Event, error)
	}{
		{"recent", tally("tally-1"), add(1), add(2), add(3)},
		{"shared", sharedAgg, sharedAdd(1), sharedAdd(2), sharedAdd(3)},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			ctx := context.Background()
			st := openTallyStore(t)
			warm, other := tallyService(t, st), tallyService(t, st)
			if _, err := Handle(ctx, warm, c.agg, Command{ID: uuid.New()}, c.add1); err != nil {
				t.Fatal(err)
			}
			// The crashing process: its claim lands, its events do not.
			crashing := &failNth{Store: st.Store, stream: c.agg.Stream, at: 2}
			dying := tallyService(t, crashing)
			if _, err := Handle(ctx, dying, c.agg, Command{ID: uuid.New()}, c.add1); err != nil {
				t.Fatal(err)
			}
			first := reviewKeyed("k1", 2)
			if _, err := Handle(ctx, dying, c.agg, first, c.ok); err == nil {
				t.Fatal("the simulated crash did not surface")
			}
			// A third writer makes warm's fold stale.
			if _, err := Handle(ctx, other, c.agg, Command{ID: uuid.New()}, c.add1); err != nil {
				t.Fatal(err)
			}
			if _, err := Handle(ctx, warm, c.agg, reviewKeyed("k1", 3), c.other); !errors.Is(err, ErrIdempotencyMismatch) {
				t.Errorf("other input before completion: err = %v, want ErrIdempotencyMismatch", err)
			}
			res, err := Handle(ctx, warm, c.agg, reviewKeyed("k1", 2), c.ok)
			if err != nil {
				t.Fatal(err)
			}
			evs, err := st.Store.ReadStream(ctx, c.agg.Stream, 0, 0)
			if err != nil {
				t.Fatal(err)
			}
			if len(evs) != 4 {
				t.Fatalf("stream holds %d events, want 4 (3 before, the keyed command once)", len(evs))
			}
			if want := EventID(first.ID, c.agg.Stream, 0); evs[3].ID != want || !slices.Equal(res.EventIDs, []uuid.UUID{want}) || res.FirstVersion != 3 {
				t.Errorf("retry: %+v; stream's last event %s; want the claiming command's event %s at version 3", res, evs[3].ID, want)
			}
			// other's fold is stale too. (Whether the answer says Replayed
			// is review_failing_replayed_test.go's concern.)
			again, err := Handle(ctx, other, c.agg, reviewKeyed("k1", 2), c.ok)
			if err != nil || !slices.Equal(again.EventIDs, res.EventIDs) || again.FirstVersion != 3 || again.Position != res.Position {
				t.Errorf("second retry: %+v, %v; want the first result %+v", again, err, res)
			}
			if evs, err := st.Store.ReadStream(ctx, c.agg.Stream, 0, 0); err != nil || len(evs) != 4 {
				t.Errorf("after the second retry the stream holds %d events (%v), want 4", len(evs), err)
			}
			if _, err := Handle(ctx, other, c.agg, reviewKeyed("k1", 3), c.other); !errors.Is(err, ErrIdempotencyMismatch) {
				t.Errorf("other input after completion: err = %v, want ErrIdempotencyMismatch", err)
			}
		})
	}
}
