package storetest

import (
	"context"
	"errors"
	"sync"
	"testing"

	"github.com/haixi-hrss/fundledger/eventstore"
)

// multi returns s as a MultiAppender, or skips the scenario: the port
// makes AppendMulti optional.
func multi(t *testing.T, s eventstore.Store) eventstore.MultiAppender {
	t.Helper()
	m, ok := s.(eventstore.MultiAppender)
	if !ok {
		t.Skip("the store does not implement eventstore.MultiAppender")
	}
	return m
}

// testMultiAppend appends to a new stream and an existing one in one call
// and checks both landed together: the results in part order, the events
// adjacent in the global log, every hash chain intact.
func testMultiAppend(t *testing.T, s eventstore.Store) {
	m := multi(t, s)
	const key, claim, other = "idem-multi", "claim-multi", "fund-multi"
	mustAppend(t, s, claim, eventstore.NoStream, Events(2)...)
	keyEvs, claimEvs := Events(1), Events(3)
	res, err := m.AppendMulti(context.Background(),
		eventstore.StreamAppend{Stream: key, Expected: eventstore.NoStream, Events: keyEvs},
		eventstore.StreamAppend{Stream: claim, Expected: eventstore.Exact(1), Events: claimEvs})
	if err != nil {
		t.Fatalf("AppendMulti: %v", err)
	}
	mustAppend(t, s, other, eventstore.NoStream, Events(1)...)
	if len(res) != 2 {
		t.Fatalf("AppendMulti returned %d results for 2 parts", len(res))
	}
	gotKey, gotClaim := readStream(t, s, key), readStream(t, s, claim)
	checkStream(t, key, gotKey)
	checkStream(t, claim, gotClaim)
	checkData(t, gotKey, 0, keyEvs)
	checkData(t, gotClaim, 2, claimEvs)
	if len(gotKey) != 1 || len(gotClaim) != 5 {
		t.Fatalf("streams hold %d and %d events, want 1 and 5", len(gotKey), len(gotClaim))
	}
	checkResult(t, "key part", res[0], 0, 0, gotKey[0].Position)
	checkResult(t, "claim part", res[1], 2, 4, gotClaim[4].Position)
	if res[0].Repeated || res[1].Repeated {
		t.Errorf("a first append reported Repeated: %+v", res)
	}
	for i := 3; i < len(gotClaim); i++ {
		if gotClaim[i].Position != gotClaim[i-1].Position+1 {
			t.Errorf("claim part: positions %d then %d, want a part's events at consecutive positions", gotClaim[i-1].Position, gotClaim[i].Position)
		}
	}

	log := readAll(t, s)
	checkLog(t, log)
	// One commit: the four events follow each other in the log, between
	// the appends made before and after the call.
	want := append([]eventstore.Event{gotKey[0]}, gotClaim[2:]...)
	if len(log) != 7 || !checkSame(t, "the call's events in the log", log[2:6], want) {
		t.Errorf("log: %d events; the call's events must sit together after the first append", len(log))
	}
}

// testMultiAppendRefused checks that a part whose precondition fails, or
// that is malformed, writes no part of the call.
func testMultiAppendRefused(t *testing.T, s eventstore.Store) {
	m := multi(t, s)
	ctx := context.Background()
	const key, claim = "idem-refused", "claim-refused"
	mustAppend(t, s, claim, eventstore.NoStream, Events(2)...)
	before := readAll(t, s)

	_, err := m.AppendMulti(ctx,
		eventstore.StreamAppend{Stream: key, Expected: eventstore.NoStream, Events: Events(1)},
		eventstore.StreamAppend{Stream: claim, Expected: eventstore.Exact(0), Events: Events(1)})
	checkConcurrencyError(t, err, claim, eventstore.Exact(0), 1)
	checkUnchanged(t, s, before)
	if evs := readStream(t, s, key); len(evs) != 0 {
		t.Errorf("the refused call's first part was written: %d events in %s", len(evs), key)
	}

	bad := Events(2)
	bad[1].Type = ""
	_, err = m.AppendMulti(ctx,
		eventstore.StreamAppend{Stream: key, Expected: eventstore.NoStream, Events: Events(1)},
		eventstore.StreamAppend{Stream: claim, Expected: eventstore.Exact(1), Events: bad})
	checkInvalid(t, err, "type", 1, nil)
	checkUnchanged(t, s, before)

	_, err = m.AppendMulti(ctx,
		eventstore.StreamAppend{Stream: claim, Expected: eventstore.Exact(1), Events: Events(1)},
		eventstore.StreamAppend{Stream: claim, Expected: eventstore.Exact(2), Events: Events(1)})
	checkInvalid(t, err, "stream", -1, nil)
	_, err = m.AppendMulti(ctx)
	checkInvalid(t, err, "parts", -1, nil)
	checkUnchanged(t, s, before)
}

// testMultiAppendRetry repeats a call that committed, whole and in part:
// a part already committed is acknowledged as Repeated with its original
// result and the others are written.
func testMultiAppendRetry(t *testing.T, s eventstore.Store) {
	m := multi(t, s)
	ctx := context.Background()
	parts := []eventstore.StreamAppend{
		{Stream: "idem-retry", Expected: eventstore.NoStream, Events: Events(1)},
		{Stream: "claim-retry", Expected: eventstore.NoStream, Events: Events(2)},
	}
	first, err := m.AppendMulti(ctx, parts...)
	if err != nil {
		t.Fatalf("AppendMulti: %v", err)
	}
	again, err := m.AppendMulti(ctx, parts...)
	if err != nil {
		t.Fatalf("AppendMulti again: %v", err)
	}
	for i := range parts {
		if !again[i].Repeated || again[i].FirstVersion != first[i].FirstVersion ||
			again[i].LastVersion != first[i].LastVersion || again[i].Position != first[i].Position {
			t.Errorf("part %d repeated: %+v, want the first result %+v, Repeated", i, again[i], first[i])
		}
	}
	if log := readAll(t, s); len(log) != 3 {
		t.Errorf("log holds %d events after a repeated call, want 3", len(log))
	}

	// A key claimed by an append of its own, then the same claim with the
	// events: the claim is the repeat, the events are new.
	key := eventstore.StreamAppend{Stream: "idem-half", Expected: eventstore.NoStream, Events: Events(1)}
	claimed := mustAppend(t, s, key.Stream, key.Expected, key.Events...)
	events := eventstore.StreamAppend{Stream: "claim-half", Expected: eventstore.NoStream, Events: Events(2)}
	res, err := m.AppendMulti(ctx, key, events)
	if err != nil {
		t.Fatalf("AppendMulti after the key's own append: %v", err)
	}
	if !res[0].Repeated || res[0].Position != claimed.Position {
		t.Errorf("key part: %+v, want the earlier append's %+v, Repeated", res[0], claimed)
	}
	if res[1].Repeated {
		t.Errorf("new events reported Repeated: %+v", res[1])
	}
	checkData(t, readStream(t, s, events.Stream), 0, events.Events)
	checkLog(t, readAll(t, s))
}

// testConcurrentMultiAppend races writers that each claim one shared key
// stream with NoStream and append to a stream of their own in the same
// call, beside plain appends: exactly one call wins, and no loser's own
// stream holds anything.
func testConcurrentMultiAppend(t *testing.T, s eventstore.Store) {
	m := multi(t, s)
	const writers = 16
	errs := make([]error, writers)
	own := make([]string, writers)
	start := make(chan struct{})
	var wg sync.WaitGroup
	for w := range writers {
		own[w] = "claim-race-" + string(rune('a'+w))
		wg.Go(func() {
			<-start
			_, errs[w] = m.AppendMulti(context.Background(),
				eventstore.StreamAppend{Stream: "idem-race", Expected: eventstore.NoStream, Events: Events(1)},
				eventstore.StreamAppend{Stream: own[w], Expected: eventstore.NoStream, Events: Events(2)})
		})
		wg.Go(func() {
			<-start
			mustAppend(t, s, "fund-race-"+string(rune('a'+w)), eventstore.NoStream, Events(1)...)
		})
	}
	close(start)
	wg.Wait()

	won := -1
	for w, err := range errs {
		switch {
		case err == nil && won >= 0:
			t.Fatalf("writers %d and %d both claimed the key", won, w)
		case err == nil:
			won = w
		case !errors.Is(err, eventstore.ErrConcurrency):
			t.Errorf("writer %d: %v, want a concurrency error", w, err)
		}
	}
	if won < 0 {
		t.Fatalf("no writer claimed the key; first error: %v", errs[0])
	}
	for w, stream := range own {
		n := len(readStream(t, s, stream))
		if (w == won) != (n == 2) || (w != won && n != 0) {
			t.Errorf("%s holds %d events; the winner is writer %d", stream, n, won)
		}
	}
	log := readAll(t, s)
	checkLog(t, log)
	if len(log) != writers+3 {
		t.Errorf("log holds %d events, want %d (the plain appends and the winner's three)", len(log), writers+3)
	}
}
