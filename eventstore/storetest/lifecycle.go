package storetest

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/haixi-hrss/fundledger/eventstore"
)

// within runs f and fails the test if it has not returned within patience.
func within(t testing.TB, what string, f func()) {
	t.Helper()
	done := make(chan struct{})
	go func() {
		defer close(done)
		f()
	}()
	select {
	case <-done:
	case <-time.After(patience):
		t.Fatalf("%s did not return within %s", what, patience)
	}
}

// storeCalls makes each non-streaming call of the port with ctx on streams
// that exist, and returns their errors by name.
func storeCalls(ctx context.Context, s eventstore.Store, appendTo string) map[string]error {
	errs := make(map[string]error)
	_, errs["Append"] = s.Append(ctx, appendTo, eventstore.Any, Events(1)...)
	_, errs["ReadStream"] = s.ReadStream(ctx, "fund-1", 0, 0)
	_, errs["ReadStreamBackward"] = s.ReadStreamBackward(ctx, "fund-1", 2)
	_, errs["ReadAll"] = s.ReadAll(ctx, 0, 10)
	return errs
}

// testCancelledContext calls every method with a context already cancelled
// or past its deadline: each returns that context's error, and the append
// is not written.
func testCancelledContext(t *testing.T, s eventstore.Store) {
	mustAppend(t, s, "fund-1", eventstore.NoStream, Events(3)...)
	cancelled, cancel := context.WithCancel(context.Background())
	cancel()
	expired, cancel := context.WithDeadline(context.Background(), time.Now().Add(-time.Second))
	defer cancel()

	for _, c := range []struct {
		ctx    context.Context
		stream string
		want   error
	}{
		{cancelled, "claim-cancelled", context.Canceled},
		{expired, "claim-expired", context.DeadlineExceeded},
	} {
		var errs map[string]error
		within(t, "calls with a done context", func() { errs = storeCalls(c.ctx, s, c.stream) })
		for call, err := range errs {
			if !errors.Is(err, c.want) {
				t.Errorf("%s with a done context: got %v, want %v", call, err, c.want)
			}
		}
		sub := subscribe(t, s, c.ctx, 0)
		sub.expectEnd(t, c.want)
	}

	// An append queued behind the refused ones would commit before this one.
	mustAppend(t, s, "fund-2", eventstore.NoStream, Events(1)...)
	for _, stream := range []string{"claim-cancelled", "claim-expired"} {
		if got := readStream(t, s, stream); len(got) != 0 {
			t.Errorf("an append with a done context was written: %s has %d events", stream, len(got))
		}
	}
	if log := readAll(t, s); len(log) != 4 {
		t.Errorf("global log has %d events, want 4", len(log))
	}
}

// testClosedStore closes a store that has events and a live subscription:
// the subscription ends with an error, and every later call returns
// ErrClosed. A second Close must not hang or panic.
func testClosedStore(t *testing.T, s eventstore.Store) {
	mustAppend(t, s, "fund-1", eventstore.NoStream, Events(3)...)
	live := subscribe(t, s, context.Background(), 0)
	live.expect(t, readAll(t, s))

	within(t, "Close", func() {
		if err := s.Close(); err != nil {
			t.Errorf("Close: %v", err)
		}
	})
	live.expectEnd(t, nil)

	var errs map[string]error
	within(t, "calls on a closed store", func() { errs = storeCalls(context.Background(), s, "fund-2") })
	for call, err := range errs {
		if !errors.Is(err, eventstore.ErrClosed) {
			t.Errorf("%s after Close: got %v, want ErrClosed", call, err)
		}
	}
	after := subscribe(t, s, context.Background(), 0)
	after.expectEnd(t, eventstore.ErrClosed)

	within(t, "a second Close", func() {
		if err := s.Close(); err != nil && !errors.Is(err, eventstore.ErrClosed) {
			t.Errorf("second Close: got %v, want nil or ErrClosed", err)
		}
	})
}
