package kurrent

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/haixi-hrss/fundledger/eventstore"
)

// TestEveryCallHasADeadline stalls the node (it accepts calls and never
// answers) and checks that each kind of call returns an error on its own,
// though the caller's context has no deadline, that the node saw the calls
// (so they were sent and timed out, not refused locally), and that the
// store works again once the node answers.
func TestEveryCallHasADeadline(t *testing.T) {
	f := startFakeServer(t)
	s := openFake(t, f, WithTimeout(200*time.Millisecond), WithRetries(1), WithBackoff(time.Millisecond, 5*time.Millisecond))
	mustAppend(t, s, "fund-1", eventstore.NoStream, events(1)...)
	f.stalled.Store(true)
	ctx := context.Background()
	calls := map[string]func() error{
		"Append":             func() error { _, err := s.Append(ctx, "fund-1", eventstore.Any, events(1)...); return err },
		"ReadStream":         func() error { _, err := s.ReadStream(ctx, "fund-1", 0, 0); return err },
		"ReadStreamBackward": func() error { _, err := s.ReadStreamBackward(ctx, "fund-1", 1); return err },
		"ReadAll":            func() error { _, err := s.ReadAll(ctx, 0, 0); return err },
	}
	for name, call := range calls {
		before := f.stalledCalls.Load()
		done := make(chan error, 1)
		go func() { done <- call() }()
		select {
		case err := <-done:
			if err == nil {
				t.Errorf("%s on a stalled node: no error", name)
			}
			if errors.Is(err, eventstore.ErrClosed) {
				t.Errorf("%s: %v, want a deadline error", name, err)
			}
		case <-time.After(30 * time.Second): // a hang detector, not a timing check
			t.Fatalf("%s on a stalled node never returned", name)
		}
		if f.stalledCalls.Load() == before {
			t.Errorf("%s never reached the node", name)
		}
	}
	f.stalled.Store(false)
	mustAppend(t, s, "fund-1", eventstore.Exact(0), events(1)...)
	if got := mustReadStream(t, s, "fund-1"); len(got) != 2 {
		t.Fatalf("after the stall: %d events, want 2", len(got))
	}
}
