package ledger_test

import (
	"context"
	"errors"
	"sync/atomic"
	"testing"

	"github.com/google/uuid"

	"github.com/haixi-hrss/fundledger/domain"
	"github.com/haixi-hrss/fundledger/eventstore"
	"github.com/haixi-hrss/fundledger/ledger"
)

// readCounter counts the stream reads that reach the store.
type readCounter struct {
	eventstore.Store
	reads atomic.Int64
}

func (r *readCounter) ReadStream(ctx context.Context, stream string, from uint64, limit int) ([]eventstore.Event, error) {
	r.reads.Add(1)
	return r.Store.ReadStream(ctx, stream, from, limit)
}

// TestHandleNextDecidesOnTheStepBefore: the second step of a request on
// the stream its first step created is decided on the first step's
// events, without reading the stream, and lands right after them.
func TestHandleNextDecidesOnTheStepBefore(t *testing.T) {
	ctx := context.Background()
	st := &readCounter{Store: openStore(t, t.TempDir())}
	svc := newService(t, st)
	agg := counterAggregate("counter-1")
	first, err := ledger.Handle(ctx, svc, agg, ledger.Command{ID: uuid.New()}, increment(2))
	if err != nil {
		t.Fatal(err)
	}
	reads := st.reads.Load()
	next, err := ledger.HandleNext(ctx, svc, agg, ledger.Command{ID: uuid.New()}, increment(3), first)
	if err != nil {
		t.Fatal(err)
	}
	if n := st.reads.Load() - reads; n != 0 {
		t.Errorf("the second step read the stream %d times, want none", n)
	}
	if next.FirstVersion != 2 || next.LastVersion != 4 {
		t.Errorf("second step at versions %d..%d, want 2..4", next.FirstVersion, next.LastVersion)
	}
}

// TestHandleNextMeetsAWriteInBetween: when another command appended after
// the first step, the second step's append is refused by its expected
// version, and the step is decided again on the stream as read: both
// what it appends and whether it is refused follow the real state.
func TestHandleNextMeetsAWriteInBetween(t *testing.T) {
	ctx := context.Background()
	st := openStore(t, t.TempDir())
	svc := newService(t, st)
	agg := counterAggregate("counter-1")
	first, err := ledger.Handle(ctx, svc, agg, ledger.Command{ID: uuid.New()}, increment(2))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := ledger.Handle(ctx, svc, agg, ledger.Command{ID: uuid.New()}, increment(counterMax-3)); err != nil {
		t.Fatal(err)
	}
	// The first step's fold (2) allows +1; the stream (counterMax-1) does too.
	res, err := ledger.HandleNext(ctx, svc, agg, ledger.Command{ID: uuid.New()}, increment(1), first)
	if err != nil {
		t.Fatal(err)
	}
	if res.FirstVersion != uint64(counterMax-1) {
		t.Errorf("appended at version %d, want %d after every event", res.FirstVersion, counterMax-1)
	}
	// Now the stream is full: a step the first step's fold would allow
	// is refused on the stream as read.
	_, err = ledger.HandleNext(ctx, svc, agg, ledger.Command{ID: uuid.New()}, increment(1), first)
	if !errors.Is(err, domain.ErrRejected) {
		t.Errorf("err = %v, want the counter's refusal", err)
	}
	if n := len(readStream(t, st, "counter-1")); n != counterMax {
		t.Errorf("stream has %d events, want %d", n, counterMax)
	}
}
