package storetest

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/haixi-hrss/fundledger/eventstore"
)

// subscription consumes a Subscribe iterator on its own goroutine so the
// test can wait for items with a deadline.
type subscription struct {
	items  chan subItem
	cancel context.CancelFunc
}

type subItem struct {
	ev  eventstore.Event
	err error
}

// errAfterError stands for an iterator that went on yielding after a
// non-nil error, which the port forbids.
var errAfterError = errors.New("storetest: Subscribe yielded again after an error")

// subscribe starts a subscription after the given position. Its buffer is
// larger than any scenario's log, so a slow test never holds the store's
// iterator back and the catch-up/live switch happens while writers run.
func subscribe(t *testing.T, s eventstore.Store, ctx context.Context, after uint64) *subscription {
	ctx, cancel := context.WithCancel(ctx)
	sub := &subscription{items: make(chan subItem, 4096), cancel: cancel}
	go func() {
		defer close(sub.items)
		failed := false
		for ev, err := range s.Subscribe(ctx, after) {
			if failed {
				sub.items <- subItem{err: errAfterError}
				return
			}
			sub.items <- subItem{ev, err}
			failed = err != nil
		}
	}()
	t.Cleanup(func() {
		cancel()
		if t.Failed() {
			return // the failure is reported; don't add a wait for a hung iterator
		}
		timeout := time.After(patience)
		for {
			select {
			case _, ok := <-sub.items:
				if !ok {
					return
				}
			case <-timeout:
				t.Errorf("subscription did not end within %s of its context's cancellation", patience)
				return
			}
		}
	})
	return sub
}

// next returns the next item, failing the test if none comes in time.
func (sub *subscription) next(t testing.TB) (subItem, bool) {
	t.Helper()
	select {
	case it, ok := <-sub.items:
		return it, ok
	case <-time.After(patience):
		t.Fatalf("subscription yielded nothing within %s", patience)
		return subItem{}, false
	}
}

// expect checks that the subscription yields exactly want, in order.
func (sub *subscription) expect(t testing.TB, want []eventstore.Event) {
	t.Helper()
	for i, w := range want {
		it, ok := sub.next(t)
		switch {
		case !ok:
			t.Fatalf("subscription ended without an error after %d of %d expected events", i, len(want))
		case it.err != nil:
			t.Fatalf("subscription failed after %d of %d expected events: %v", i, len(want), it.err)
		}
		if msg := diffEvent(w, it.ev); msg != "" {
			t.Fatalf("subscription item %d of %d: %s", i, len(want), msg)
		}
	}
}

// expectEnd checks that the next item is an error matching target (any
// error if target is nil) and that the iteration then ends.
func (sub *subscription) expectEnd(t testing.TB, target error) {
	t.Helper()
	it, ok := sub.next(t)
	switch {
	case !ok:
		t.Fatalf("subscription ended without yielding an error")
	case it.err == nil:
		t.Fatalf("subscription yielded %s v%d (position %d), want it to end with an error", it.ev.Stream, it.ev.Version, it.ev.Position)
	case target != nil && !errors.Is(it.err, target):
		t.Fatalf("subscription ended with %v, want %v", it.err, target)
	}
	if it, ok := sub.next(t); ok {
		t.Fatalf("subscription went on after its error: %v", it.err)
	}
}

// appendSpread appends n events over three streams in batches of 1-3.
func appendSpread(t testing.TB, s eventstore.Store, prefix string, n int) {
	t.Helper()
	for i := 0; n > 0; i++ {
		k := min(n, 1+i%3)
		mustAppend(t, s, fmt.Sprintf("%s-%d", prefix, i%3), eventstore.Any, Events(k)...)
		n -= k
	}
}

// testSubscribeFromStart catches up on the whole log, then follows new
// appends live, then ends with ctx's error when cancelled.
func testSubscribeFromStart(t *testing.T, s eventstore.Store) {
	appendSpread(t, s, "fund", 20)
	log := readAll(t, s)
	sub := subscribe(t, s, context.Background(), 0)
	sub.expect(t, log)
	appendSpread(t, s, "claim", 7)
	full := readAll(t, s)
	sub.expect(t, full[len(log):])
	sub.cancel()
	sub.expectEnd(t, context.Canceled)
}

// testSubscribeFromMiddle starts after an event in the middle of the log.
func testSubscribeFromMiddle(t *testing.T, s eventstore.Store) {
	appendSpread(t, s, "fund", 20)
	log := readAll(t, s)
	for _, k := range []int{0, 7, len(log) - 2} {
		sub := subscribe(t, s, context.Background(), log[k].Position)
		sub.expect(t, log[k+1:])
		sub.cancel()
		sub.expectEnd(t, context.Canceled)
	}
	sub := subscribe(t, s, context.Background(), log[9].Position)
	appendSpread(t, s, "claim", 4)
	sub.expect(t, readAll(t, s)[10:])
	sub.cancel()
	sub.expectEnd(t, context.Canceled)
}

// testSubscribeFromHead subscribes on an empty store and at the head of a
// full one: the first event yielded is the first one appended afterwards.
func testSubscribeFromHead(t *testing.T, s eventstore.Store) {
	empty := subscribe(t, s, context.Background(), 0)
	appendSpread(t, s, "fund", 10)
	log := readAll(t, s)
	empty.expect(t, log)

	head := subscribe(t, s, context.Background(), log[len(log)-1].Position)
	appendSpread(t, s, "claim", 5)
	full := readAll(t, s)
	head.expect(t, full[len(log):])
	empty.expect(t, full[len(log):])
	for _, sub := range []*subscription{head, empty} {
		sub.cancel()
		sub.expectEnd(t, context.Canceled)
	}
}

// testSubscribeWhileWriting starts subscriptions before and while writers
// run, so their catch-up phase races with commits: each must yield the final
// log exactly, with nothing lost or repeated at the switch to live.
func testSubscribeWhileWriting(t *testing.T, s eventstore.Store) {
	const writers, appends = 8, 10
	appendSpread(t, s, "fund", 20)
	subs := []*subscription{subscribe(t, s, context.Background(), 0)}

	progress := make(chan struct{}, writers*appends)
	var wg sync.WaitGroup
	for w := range writers {
		wg.Go(func() {
			for k := range appends {
				stream := fmt.Sprintf("claim-%d", (w*appends+k)%5)
				if _, err := s.Append(context.Background(), stream, eventstore.Any, Events(1+k%3)...); err != nil {
					t.Errorf("writer %d append %d: %v", w, k, err)
				}
				progress <- struct{}{}
			}
		})
	}
	// Start more subscribers a third and two thirds of the way through.
	for n := 1; n <= writers*appends; n++ {
		<-progress
		if n == writers*appends/3 || n == 2*writers*appends/3 {
			subs = append(subs, subscribe(t, s, context.Background(), 0))
		}
	}
	wg.Wait()
	if t.Failed() {
		return
	}
	final := readAll(t, s)
	checkLog(t, final)
	for _, sub := range subs {
		sub.expect(t, final)
		sub.cancel()
		sub.expectEnd(t, context.Canceled)
	}
}

// testSubscribeCancel checks that a subscription ends with ctx's error when
// ctx is cancelled while it waits, when ctx was cancelled before it started,
// and when ctx's deadline passes; and that breaking out of the loop early
// returns and leaves the store usable.
func testSubscribeCancel(t *testing.T, s eventstore.Store) {
	appendSpread(t, s, "fund", 5)
	log := readAll(t, s)

	live := subscribe(t, s, context.Background(), 0)
	live.expect(t, log)
	live.cancel()
	live.expectEnd(t, context.Canceled)

	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	pre := subscribe(t, s, ctx, 0)
	pre.expectEnd(t, context.Canceled)

	// At the head, nothing is left to yield before the deadline passes.
	ctx, cancel = context.WithTimeout(context.Background(), 20*time.Millisecond)
	defer cancel()
	timed := subscribe(t, s, ctx, log[len(log)-1].Position)
	timed.expectEnd(t, context.DeadlineExceeded)

	broke := make(chan int)
	go func() {
		n := 0
		for _, err := range s.Subscribe(context.Background(), 0) {
			if err != nil {
				break
			}
			if n++; n == 2 {
				break
			}
		}
		broke <- n
	}()
	select {
	case n := <-broke:
		if n != 2 {
			t.Errorf("subscription ended after %d events, want to break after 2", n)
		}
	case <-time.After(patience):
		t.Fatalf("Subscribe did not return within %s after the loop body broke out", patience)
	}
	mustAppend(t, s, "fund-after", eventstore.NoStream, Events(1)...)
	checkLog(t, readAll(t, s))
}
