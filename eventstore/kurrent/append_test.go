package kurrent

import (
	"context"
	"errors"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/haixi-hrss/fundledger/eventstore"
)

// TestExpectedVersionMapping checks that each ExpectedVersion is honoured
// and that a failed one is a *ConcurrencyError with the actual version.
func TestExpectedVersionMapping(t *testing.T) {
	f := startFakeServer(t)
	s := openFake(t, f)
	mustAppend(t, s, "fund-2", eventstore.NoStream, events(2)...) // version 1

	cases := []struct {
		name     string
		stream   string
		expected eventstore.ExpectedVersion
		actual   int64 // -2: must succeed
	}{
		{"no stream on missing", "fund-a", eventstore.NoStream, -2},
		{"no stream on existing", "fund-2", eventstore.NoStream, 1},
		{"stream exists on missing", "fund-b", eventstore.StreamExists, -1},
		{"stream exists on existing", "fund-2", eventstore.StreamExists, -2},
		{"exact wrong", "fund-2", eventstore.Exact(0), 2},
		{"exact on missing", "fund-c", eventstore.Exact(0), -1},
		{"any on missing", "fund-d", eventstore.Any, -2},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			before := f.appends.Load()
			_, err := s.Append(context.Background(), c.stream, c.expected, events(1)...)
			if c.actual == -2 {
				if err != nil {
					t.Fatalf("Append: %v", err)
				}
				return
			}
			var ce *eventstore.ConcurrencyError
			if !errors.As(err, &ce) || !errors.Is(err, eventstore.ErrConcurrency) {
				t.Fatalf("Append: got %v, want a *ConcurrencyError", err)
			}
			if ce.Actual != c.actual || ce.Stream != c.stream || ce.Expected != c.expected {
				t.Fatalf("got %+v, want stream %q expected %s actual %d", *ce, c.stream, c.expected, c.actual)
			}
			// The adapter read the stream first and did not even send.
			if n := f.appends.Load() - before; n != 0 {
				t.Fatalf("%d append requests reached the server", n)
			}
		})
	}
}

// slipIn makes the fake server run write once, inside the next append
// request, after the adapter read the stream and before the server checks
// the expected revision: a concurrent writer winning the race.
func slipIn(f *fakeServer, write func()) {
	var done atomic.Bool
	hook := func(string) {
		if done.CompareAndSwap(false, true) { // not again for write's own append
			write()
		}
	}
	f.beforeAppend.Store(&hook)
}

// rivalAppend appends from inside the fake server's handler, where
// t.Fatal must not be called.
func rivalAppend(t testing.TB, s *Store, stream string, expected eventstore.ExpectedVersion, evs ...eventstore.EventData) {
	if _, err := s.Append(context.Background(), stream, expected, evs...); err != nil {
		t.Errorf("rival Append(%q): %v", stream, err)
	}
}

// TestConcurrentWriterExact checks that the server's wrong-expected-version
// answer (a writer between our read and our append) becomes a
// *ConcurrencyError with the version that writer left for an Exact caller.
func TestConcurrentWriterExact(t *testing.T) {
	f := startFakeServer(t)
	s, rival := openFake(t, f), openFake(t, f)
	mustAppend(t, s, "claim-1", eventstore.NoStream, events(1)...)
	slipIn(f, func() { rivalAppend(t, rival, "claim-1", eventstore.Any, events(2)...) })

	_, err := s.Append(context.Background(), "claim-1", eventstore.Exact(0), events(1)...)
	var ce *eventstore.ConcurrencyError
	if !errors.As(err, &ce) || ce.Actual != 2 || ce.Expected != eventstore.Exact(0) {
		t.Fatalf("got %v, want a *ConcurrencyError with Actual 2", err)
	}
	if got := mustReadStream(t, s, "claim-1"); len(got) != 3 {
		t.Fatalf("stream has %d events, want 3 (1 + the rival's 2)", len(got))
	}
}

// TestConcurrentWriterNoStream checks the same for a NoStream caller: the
// uniqueness reservation rule. Exactly one writer creates the stream.
func TestConcurrentWriterNoStream(t *testing.T) {
	f := startFakeServer(t)
	s, rival := openFake(t, f), openFake(t, f)
	slipIn(f, func() { rivalAppend(t, rival, "uniq-grant-abc", eventstore.NoStream, events(1)...) })

	_, err := s.Append(context.Background(), "uniq-grant-abc", eventstore.NoStream, events(1)...)
	var ce *eventstore.ConcurrencyError
	if !errors.As(err, &ce) || ce.Actual != 0 {
		t.Fatalf("got %v, want a *ConcurrencyError with Actual 0", err)
	}
}

// TestConcurrentWriterAnyRetries checks that an Any append that lost the
// race is sealed again after the winner and lands, chained to it.
func TestConcurrentWriterAnyRetries(t *testing.T) {
	f := startFakeServer(t)
	s, rival := openFake(t, f), openFake(t, f)
	mustAppend(t, s, "budget-1", eventstore.NoStream, events(1)...)
	slipIn(f, func() { rivalAppend(t, rival, "budget-1", eventstore.Any, events(1)...) })

	res, err := s.Append(context.Background(), "budget-1", eventstore.Any, events(2)...)
	if err != nil {
		t.Fatalf("Append(Any) after losing a race: %v", err)
	}
	if res.FirstVersion != 2 || res.LastVersion != 3 {
		t.Fatalf("result %+v, want versions 2..3", res)
	}
	got := mustReadStream(t, s, "budget-1")
	checkChain(t, got)
	if f.appends.Load() < 4 {
		t.Fatalf("%d append requests; the lost race should have cost one more", f.appends.Load())
	}
}

// TestAnyGivesUpAfterRetries checks that the Any retry loop is bounded:
// against a writer that always wins, Append ends with a ConcurrencyError.
func TestAnyGivesUpAfterRetries(t *testing.T) {
	f := startFakeServer(t)
	s, rival := openFake(t, f, WithRetries(2)), openFake(t, f)
	mustAppend(t, s, "budget-2", eventstore.NoStream, events(1)...)
	var mu sync.Mutex
	hook := func(stream string) {
		if !mu.TryLock() { // the rival's own append
			return
		}
		defer mu.Unlock()
		rivalAppend(t, rival, "budget-2", eventstore.Any, events(1)...)
	}
	f.beforeAppend.Store(&hook)

	_, err := s.Append(context.Background(), "budget-2", eventstore.Any, events(1)...)
	if !errors.Is(err, eventstore.ErrConcurrency) {
		t.Fatalf("got %v, want ErrConcurrency after the retries ran out", err)
	}
}

// TestIdempotentResend checks that resending an acknowledged append (the
// same IDs, the same expected version) returns the original result without
// a request to the server, and that Any resends recognise the stream's tail.
func TestIdempotentResend(t *testing.T) {
	f := startFakeServer(t)
	s := openFake(t, f)
	first, second := events(2), events(1)
	res1 := mustAppend(t, s, "claim-9", eventstore.NoStream, first...)
	res2 := mustAppend(t, s, "claim-9", eventstore.Any, second...)
	sent := f.appends.Load()
	if res1.Repeated || res2.Repeated {
		t.Errorf("fresh appends reported as repeats: %+v, %+v", res1, res2)
	}
	res1.Repeated, res2.Repeated = true, true

	if got := mustAppend(t, s, "claim-9", eventstore.NoStream, first...); got != res1 {
		t.Errorf("NoStream resend: %+v, want %+v", got, res1)
	}
	if got := mustAppend(t, s, "claim-9", eventstore.Any, second...); got != res2 {
		t.Errorf("Any resend: %+v, want %+v", got, res2)
	}
	if got := mustAppend(t, s, "claim-9", eventstore.Exact(1), second...); got != res2 {
		t.Errorf("Exact resend: %+v, want %+v", got, res2)
	}
	if n := f.appends.Load() - sent; n != 0 {
		t.Errorf("resends sent %d append requests, want 0", n)
	}
	if got := mustReadStream(t, s, "claim-9"); len(got) != 3 {
		t.Errorf("stream has %d events after resends, want 3", len(got))
	}
}

// TestSizeLimitBeforeSending checks that an append over 1 MiB is refused
// by the adapter itself: no request reaches the server.
func TestSizeLimitBeforeSending(t *testing.T) {
	f := startFakeServer(t)
	s := openFake(t, f)
	big := events(2)
	big[1].Data = []byte(`"` + strings.Repeat("x", eventstore.MaxAppendSize/2) + `"`)
	big[0].Data = big[1].Data
	before := f.appends.Load()
	_, err := s.Append(context.Background(), "fund-big", eventstore.Any, big...)
	var ie *eventstore.InvalidAppendError
	if !errors.As(err, &ie) || !errors.Is(err, eventstore.ErrAppendTooLarge) || ie.Index != 1 {
		t.Fatalf("got %v, want an InvalidAppendError for event 1 matching ErrAppendTooLarge", err)
	}
	if n := f.appends.Load() - before; n != 0 {
		t.Fatalf("%d append requests reached the server", n)
	}
}

// TestRecordedAtNeverGoesBack checks that recorded-at does not decrease
// along a stream or the global log when the clock steps back.
func TestRecordedAtNeverGoesBack(t *testing.T) {
	f := startFakeServer(t)
	clock := time.Date(2026, 3, 1, 8, 0, 0, 123456789, time.UTC)
	var mu sync.Mutex
	now := func() time.Time { mu.Lock(); defer mu.Unlock(); return clock }
	s := openFake(t, f, WithClock(now))
	mustAppend(t, s, "fund-1", eventstore.Any, events(1)...)
	mu.Lock()
	clock = clock.Add(-time.Hour)
	mu.Unlock()
	mustAppend(t, s, "fund-1", eventstore.Any, events(1)...)
	mustAppend(t, s, "fund-2", eventstore.Any, events(1)...)

	log, err := s.ReadAll(context.Background(), 0, 0)
	if err != nil {
		t.Fatal(err)
	}
	want := time.Date(2026, 3, 1, 8, 0, 0, 123456000, time.UTC)
	for i, e := range log {
		if !e.RecordedAt.Equal(want) {
			t.Errorf("event %d recorded at %s, want %s (truncated, held)", i, e.RecordedAt, want)
		}
	}
	checkChain(t, mustReadStream(t, s, "fund-1"))
}
