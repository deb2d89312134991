package storetest

import (
	"context"
	"errors"
	"sync"
	"testing"

	"github.com/haixi-hrss/fundledger/eventstore"
)

// testConcurrentRetryLoop runs the ledger service's load-decide-append loop
// from many goroutines on one stream (read the last version, append with
// Exact or NoStream, retry on a conflict) while others append with Any.
// Every conflict must report a version above the one the writer read (a
// stream never shrinks), every success must land right after it, and the
// stream must end with every event once, gapless.
func testConcurrentRetryLoop(t *testing.T, s eventstore.Store) {
	const stream, loopers, anyWriters, appends = "budget-line-hot", 12, 4, 6
	ctx := context.Background()
	var wg sync.WaitGroup
	var mu sync.Mutex
	written := 0
	for w := range loopers {
		wg.Go(func() {
			for k := 0; k < appends; {
				last, err := s.ReadStreamBackward(ctx, stream, 1)
				if err != nil {
					t.Errorf("looper %d: ReadStreamBackward: %v", w, err)
					return
				}
				expected, current := eventstore.NoStream, int64(-1)
				if len(last) == 1 {
					expected, current = eventstore.Exact(last[0].Version), int64(last[0].Version)
				}
				evs := Events(1 + k%2)
				res, err := s.Append(ctx, stream, expected, evs...)
				var ce *eventstore.ConcurrencyError
				switch {
				case errors.As(err, &ce):
					if ce.Actual <= current {
						t.Errorf("looper %d: conflict with %s reports version %d, not above the %d it read", w, expected, ce.Actual, current)
						return
					}
					continue
				case err != nil:
					t.Errorf("looper %d: %v", w, err)
					return
				case res.FirstVersion != uint64(current+1) || res.LastVersion != uint64(current)+uint64(len(evs)):
					t.Errorf("looper %d: append with %s landed at %+v", w, expected, res)
				}
				mu.Lock()
				written += len(evs)
				mu.Unlock()
				k++
			}
		})
	}
	for w := range anyWriters {
		wg.Go(func() {
			for range appends {
				evs := Events(2)
				if _, err := s.Append(ctx, stream, eventstore.Any, evs...); err != nil {
					t.Errorf("Any writer %d: %v", w, err)
					return
				}
				mu.Lock()
				written += len(evs)
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	if t.Failed() {
		return
	}
	got := readStream(t, s, stream)
	checkStream(t, stream, got)
	if len(got) != written {
		t.Errorf("stream has %d events, the writers were acknowledged for %d", len(got), written)
	}
	checkLog(t, readAll(t, s))
}

// testConcurrentDuplicate sends the very same append (same IDs, NoStream)
// from several goroutines at once, as a client does that retries while its
// first attempt is still in flight. Whatever each caller hears, the events
// must be written exactly once; every success reports the same result, and
// a caller that is refused is refused with a *ConcurrencyError.
func testConcurrentDuplicate(t *testing.T, s eventstore.Store) {
	const callers, streams = 8, 6
	for i := range streams {
		stream := "uniq-reservation-" + string(rune('a'+i))
		evs := Events(2)
		results := make([]eventstore.AppendResult, callers)
		errs := make([]error, callers)
		start := make(chan struct{})
		var wg sync.WaitGroup
		for c := range callers {
			wg.Go(func() {
				<-start
				results[c], errs[c] = s.Append(context.Background(), stream, eventstore.NoStream, cloneData(evs)...)
			})
		}
		close(start)
		wg.Wait()

		var first *eventstore.AppendResult
		writers := 0 // callers told their call wrote the events
		for c, err := range errs {
			if err == nil && !results[c].Repeated {
				writers++
			}
			// Repeated differs between the writer and the others.
			res := results[c]
			res.Repeated = false
			switch {
			case err == nil && first == nil:
				first = &res
			case err == nil && res != *first:
				t.Errorf("%s: caller %d was told %+v, another caller %+v", stream, c, res, *first)
			case err != nil:
				checkConcurrencyError(t, err, stream, eventstore.NoStream, 1)
			}
		}
		if writers > 1 {
			t.Errorf("%s: %d callers told their append wrote the events, want at most one", stream, writers)
		}
		if first == nil {
			t.Errorf("%s: no caller succeeded; first error: %v", stream, errs[0])
		}
		got := readStream(t, s, stream)
		if len(got) != len(evs) {
			t.Fatalf("%s: %d events after %d identical appends, want the %d written once", stream, len(got), callers, len(evs))
		}
		checkData(t, got, 0, evs)
		if first != nil {
			checkResult(t, stream, *first, 0, 1, got[1].Position)
		}
	}
	log := readAll(t, s)
	checkLog(t, log)
	if len(log) != 2*streams {
		t.Errorf("global log has %d events, want %d", len(log), 2*streams)
	}
}
