package ledger

import (
	"context"
	"errors"
	"sync/atomic"
	"testing"

	"github.com/google/uuid"

	"github.com/haixi-hrss/fundledger/domain"
	"github.com/haixi-hrss/fundledger/eventstore"
	"github.com/haixi-hrss/fundledger/eventstore/sqlite"
	"github.com/haixi-hrss/fundledger/ledger/codec"
)

// added is the tally's only event.
type added struct {
	By int `json:"by"`
}

func (added) EventType() string { return "Added" }

const tallyMax = 10

// tally is a recent aggregate whose additions succeed again and again
// up to tallyMax: a repeat not recognised by its event IDs would be
// applied twice.
func tally(stream string) Aggregate[int] {
	return Aggregate[int]{Stream: stream, recent: true, Evolve: func(n int, ev domain.Event) int {
		if a, ok := ev.(added); ok {
			n += a.By
		}
		return n
	}}
}

func add(by int) func(int) ([]domain.Event, error) {
	return func(n int) ([]domain.Event, error) {
		if n+by > tallyMax {
			return nil, domain.Reject("tally-max", "by", "tally at %d cannot rise by %d", n, by)
		}
		return []domain.Event{added{By: by}}, nil
	}
}

// countingStore counts the stream reads that reach the store.
type countingStore struct {
	eventstore.Store
	reads atomic.Int64
}

func (c *countingStore) ReadStream(ctx context.Context, stream string, from uint64, limit int) ([]eventstore.Event, error) {
	c.reads.Add(1)
	return c.Store.ReadStream(ctx, stream, from, limit)
}

func tallyService(t *testing.T, st eventstore.Store) *Service {
	t.Helper()
	c, err := codec.New(codec.Types(map[string]func() domain.Event{"Added": func() domain.Event { return added{} }}))
	if err != nil {
		t.Fatal(err)
	}
	return New(st, c)
}

func openTallyStore(t *testing.T) *countingStore {
	t.Helper()
	st, err := sqlite.Open(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	return &countingStore{Store: st}
}

// TestRecentAggregateDecidesOnItsLastFold: after the first command, the
// commands of this process on a recent aggregate read nothing, and a
// repeat of any of them (same command ID) is recognised by the IDs kept
// with the fold and answered with its first result, appending nothing.
func TestRecentAggregateDecidesOnItsLastFold(t *testing.T) {
	ctx := context.Background()
	st := openTallyStore(t)
	svc := tallyService(t, st)
	var results []Result
	var cmds []Command
	for range 3 {
		cmd := Command{ID: uuid.New()}
		res, err := Handle(ctx, svc, tally("tally-1"), cmd, add(1))
		if err != nil {
			t.Fatal(err)
		}
		results, cmds = append(results, res), append(cmds, cmd)
	}
	if n := st.reads.Load(); n != 1 {
		t.Errorf("three commands read the stream %d times, want once (the first)", n)
	}
	for i, cmd := range cmds {
		res, err := Handle(ctx, svc, tally("tally-1"), cmd, add(1))
		if err != nil {
			t.Fatal(err)
		}
		if !res.Replayed || res.Position != results[i].Position || res.EventIDs[0] != results[i].EventIDs[0] {
			t.Errorf("repeat of command %d: %+v, want a replay of %+v", i, res, results[i])
		}
	}
	if evs, err := st.Store.ReadStream(ctx, "tally-1", 0, 0); err != nil || len(evs) != 3 {
		t.Errorf("stream holds %d events (%v), want 3", len(evs), err)
	}
}

// TestRecentAggregateWrittenElsewhere: another process (service) writes
// the stream after this one cached its fold. A decision on the stale fold
// is refused by the append's expected version and taken again on the
// stream as read, and a refusal the stale fold would not give is given.
func TestRecentAggregateWrittenElsewhere(t *testing.T) {
	ctx := context.Background()
	st := openTallyStore(t)
	here, there := tallyService(t, st), tallyService(t, st)
	if _, err := Handle(ctx, here, tally("tally-1"), Command{ID: uuid.New()}, add(2)); err != nil {
		t.Fatal(err)
	}
	if _, err := Handle(ctx, there, tally("tally-1"), Command{ID: uuid.New()}, add(7)); err != nil {
		t.Fatal(err)
	}
	// here's fold says 2: +1 lands after both, at version 2.
	res, err := Handle(ctx, here, tally("tally-1"), Command{ID: uuid.New()}, add(1))
	if err != nil || res.FirstVersion != 2 {
		t.Fatalf("add after a write elsewhere: %+v, %v; want version 2", res, err)
	}
	// The tally is at 10: here's fold knows, there's (9) does not.
	if _, err := Handle(ctx, there, tally("tally-1"), Command{ID: uuid.New()}, add(1)); !errors.Is(err, domain.ErrRejected) {
		t.Errorf("err = %v, want the refusal the stream calls for", err)
	}
	if evs, err := st.Store.ReadStream(ctx, "tally-1", 0, 0); err != nil || len(evs) != 3 {
		t.Errorf("stream holds %d events (%v), want 3", len(evs), err)
	}
}
