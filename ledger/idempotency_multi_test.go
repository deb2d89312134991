package ledger_test

import (
	"context"
	"errors"
	"sync/atomic"
	"testing"

	"github.com/haixi-hrss/fundledger/eventstore"
	"github.com/haixi-hrss/fundledger/ledger"
)

// multiStore counts a MultiAppender's calls, can fail the next
// AppendMulti without writing anything, and runs hook (when set) once, on
// the first AppendMulti, around the real call: it places another request
// exactly inside a command's commit, an order two requests in flight can
// take.
type multiStore struct {
	eventstore.MultiAppender
	appends, multis atomic.Int64
	reads           atomic.Int64 // stream reads, either direction
	failNext        atomic.Bool
	hook            func(call func() ([]eventstore.AppendResult, error)) ([]eventstore.AppendResult, error)
	hooked          atomic.Bool
}

var errInjected = errors.New("injected: the commit did not happen")

func (m *multiStore) Append(ctx context.Context, stream string, expected eventstore.ExpectedVersion, events ...eventstore.EventData) (eventstore.AppendResult, error) {
	m.appends.Add(1)
	return m.MultiAppender.Append(ctx, stream, expected, events...)
}

func (m *multiStore) ReadStream(ctx context.Context, stream string, from uint64, limit int) ([]eventstore.Event, error) {
	m.reads.Add(1)
	return m.MultiAppender.ReadStream(ctx, stream, from, limit)
}

func (m *multiStore) ReadStreamBackward(ctx context.Context, stream string, n int) ([]eventstore.Event, error) {
	m.reads.Add(1)
	return m.MultiAppender.ReadStreamBackward(ctx, stream, n)
}

func (m *multiStore) AppendMulti(ctx context.Context, parts ...eventstore.StreamAppend) ([]eventstore.AppendResult, error) {
	m.multis.Add(1)
	if m.failNext.CompareAndSwap(true, false) {
		return nil, errInjected
	}
	if m.hook != nil && m.hooked.CompareAndSwap(false, true) {
		return m.hook(func() ([]eventstore.AppendResult, error) { return m.MultiAppender.AppendMulti(ctx, parts...) })
	}
	return m.MultiAppender.AppendMulti(ctx, parts...)
}

// TestKeyClaimCommit checks where a keyed command's claim is recorded: in
// the same commit as its events on a MultiAppender (one call, adjacent
// positions), in an append of its own just before them otherwise; a
// repeat appends nothing on either.
func TestKeyClaimCommit(t *testing.T) {
	ctx := context.Background()
	for _, tc := range []struct {
		name           string
		wrap           func(*testing.T) (eventstore.Store, func() (appends, multis int64))
		appends, multi int64
	}{
		{"multi-stream append", func(t *testing.T) (eventstore.Store, func() (int64, int64)) {
			m := &multiStore{MultiAppender: openStore(t, t.TempDir())}
			return m, func() (int64, int64) { return m.appends.Load(), m.multis.Load() }
		}, 0, 1},
		{"two appends", func(t *testing.T) (eventstore.Store, func() (int64, int64)) {
			// faultyStore, failing nothing, hides the store's AppendMulti:
			// the ledger claims keys with an append of their own.
			p := &faultyStore{Store: openStore(t, t.TempDir()), fail: func(string) error { return nil }}
			return p, func() (int64, int64) { return p.appends.Load(), 0 }
		}, 2, 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			st, counts := tc.wrap(t)
			svc := newService(t, st)
			cmd := keyed("k-commit", 2)
			first, err := ledger.Handle(ctx, svc, counterAggregate("counter-1"), cmd, increment(2))
			if err != nil {
				t.Fatal(err)
			}
			if appends, multis := counts(); appends != tc.appends || multis != tc.multi {
				t.Errorf("%d appends and %d multi-stream appends, want %d and %d", appends, multis, tc.appends, tc.multi)
			}
			claim := readStream(t, st, ledger.IdempotencyStream("k-commit"))
			events := readStream(t, st, "counter-1")
			if len(claim) != 1 || len(events) != 2 {
				t.Fatalf("key stream holds %d events and the counter %d, want 1 and 2", len(claim), len(events))
			}
			if claim[0].Position+1 != events[0].Position {
				t.Errorf("claim at position %d, events from %d: the claim must come just before them", claim[0].Position, events[0].Position)
			}
			again, err := ledger.Handle(ctx, svc, counterAggregate("counter-1"), cmd, increment(2))
			if err != nil {
				t.Fatal(err)
			}
			sameResult(t, again, first)
			if appends, multis := counts(); appends != tc.appends || multis != tc.multi {
				t.Errorf("the repeat appended: %d appends and %d multi-stream appends in all", appends, multis)
			}
		})
	}
}

// TestFailedCommitLeavesKeyFree: when the commit that would record a
// key's claim with the command's events fails, neither is recorded, and a
// retry under the key is decided afresh and applied once.
func TestFailedCommitLeavesKeyFree(t *testing.T) {
	ctx := context.Background()
	m := &multiStore{MultiAppender: openStore(t, t.TempDir())}
	svc := newService(t, m)
	m.failNext.Store(true)
	if _, err := ledger.Handle(ctx, svc, counterAggregate("counter-1"), keyed("k-fail", 1), increment(1)); !errors.Is(err, errInjected) {
		t.Fatalf("got %v, want the injected failure", err)
	}
	if evs := readStream(t, m, ledger.IdempotencyStream("k-fail")); len(evs) != 0 {
		t.Fatalf("the failed commit left %d events in the key's stream", len(evs))
	}
	res, err := ledger.Handle(ctx, svc, counterAggregate("counter-1"), keyed("k-fail", 1), increment(1))
	if err != nil || res.Replayed || len(res.EventIDs) != 1 {
		t.Fatalf("retry: %+v, %v; want one event appended afresh", res, err)
	}
	if evs := readStream(t, m, "counter-1"); len(evs) != 1 {
		t.Errorf("counter holds %d events after the retry, want 1", len(evs))
	}
}
