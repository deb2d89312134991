package kurrent

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/haixi-hrss/fundledger/eventstore"
)

// TestSubscriptionSurvivesServerRestart stops the server in the middle of a
// subscription (every connection and stream is cut), writes while the
// subscriber is cut off, restarts the server on the same port and checks
// that the subscriber resumes by itself: every event exactly once, in
// order, and more than one subscription was needed.
func TestSubscriptionSurvivesServerRestart(t *testing.T) {
	f := startFakeServer(t)
	s := openFake(t, f)
	writer := openFake(t, f)
	const before, during, after = 5, 4, 3
	for range before {
		mustAppend(t, writer, "fund-1", eventstore.Any, events(1)...)
	}

	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	type item struct {
		e   eventstore.Event
		err error
	}
	got := make(chan item)
	go func() {
		defer close(got)
		for e, err := range s.Subscribe(ctx, 0) {
			got <- item{e, err}
			if err != nil {
				return
			}
		}
	}()
	var seen []eventstore.Event
	next := func() {
		t.Helper()
		select {
		case it := <-got:
			if it.err != nil {
				t.Fatalf("subscription ended after %d events: %v", len(seen), it.err)
			}
			seen = append(seen, it.e)
		case <-time.After(20 * time.Second):
			t.Fatalf("no event after %d", len(seen))
		}
	}
	for range before {
		next()
	}

	f.stop()
	// Written while the subscriber is cut off: straight into the node's log,
	// as another client connected elsewhere would.
	sealed := openOffline(t, f)
	for range during {
		sealed("fund-1")
	}
	time.Sleep(50 * time.Millisecond) // let the subscriber notice and retry against a dead port
	f.restart(t)
	for range after {
		mustAppend(t, writer, "fund-1", eventstore.Any, events(1)...)
	}
	for range during + after {
		next()
	}

	for i, e := range seen {
		if e.Version != uint64(i) {
			t.Fatalf("event %d has version %d: a gap or a duplicate", i, e.Version)
		}
	}
	checkChain(t, seen)
	if n := f.subscriptions.Load(); n < 2 {
		t.Fatalf("%d subscriptions reached the server; the drop did not happen", n)
	}
	select {
	case it := <-got:
		t.Fatalf("an extra event after the last one: %+v %v", it.e, it.err)
	case <-time.After(100 * time.Millisecond):
	}
	cancel()
	for it := range got {
		if it.err != nil && !errors.Is(it.err, context.Canceled) {
			t.Fatalf("subscription ended with %v, want context.Canceled", it.err)
		}
	}
}

// openOffline returns a function that appends one sealed event to a stream
// of f's log directly, for use while f is stopped. It chains to the stream's
// last event the way the adapter does.
func openOffline(t testing.TB, f *fakeServer) func(stream string) {
	return func(stream string) {
		f.log.mu.Lock()
		defer f.log.mu.Unlock()
		recs := f.log.streams[stream]
		e := eventstore.Event{
			ID: uuid.New(), Stream: stream, Version: uint64(len(recs)), Type: "FundsReceived",
			SchemaVersion: 1, Data: []byte(`{"offline":true}`), RecordedAt: eventstore.TruncateTime(time.Now()),
		}
		var prev eventstore.Hash
		if len(recs) > 0 {
			last, err := fromRecorded(stream, recordedOf(recs[len(recs)-1]))
			if err != nil {
				t.Errorf("decode last event: %v", err)
				return
			}
			prev = last.Hash
		}
		eventstore.Seal(&e, prev)
		d, err := toEventData(&e)
		if err != nil {
			t.Errorf("encode: %v", err)
			return
		}
		f.log.commitLocked(stream, d.EventType, []fakeProposed{{id: d.EventID, data: d.Data, meta: d.Metadata}})
	}
}

// TestSubscribeEndsOnCancelAndClose checks how a subscription ends: with
// ctx.Err() when its context is cancelled while it waits for events, and
// with ErrClosed when the store closes.
func TestSubscribeEndsOnCancelAndClose(t *testing.T) {
	f := startFakeServer(t)
	s := openFake(t, f)
	mustAppend(t, s, "fund-1", eventstore.NoStream, events(1)...)

	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var last error
	n := 0
	for _, err := range s.Subscribe(ctx, 0) {
		if err != nil {
			last = err
			break
		}
		n++
		cancel() // now it waits for live events, and must notice
	}
	if n != 1 || !errors.Is(last, context.Canceled) {
		t.Fatalf("after cancel: %d events, error %v; want 1 event then context.Canceled", n, last)
	}

	done := make(chan error, 1)
	go func() {
		for _, err := range s.Subscribe(context.Background(), 0) {
			if err != nil {
				done <- err
				return
			}
			s.Close()
		}
		done <- nil
	}()
	select {
	case err := <-done:
		if !errors.Is(err, eventstore.ErrClosed) {
			t.Fatalf("after Close: %v, want ErrClosed", err)
		}
	case <-time.After(20 * time.Second):
		t.Fatal("subscription still running after Close")
	}
}
