package storetest

import (
	"context"
	"fmt"
	"math"
	"slices"
	"testing"

	"github.com/haixi-hrss/fundledger/eventstore"
)

// testReadStreamRange reads a 10-event stream (interleaved with another)
// from several versions with several limits.
func testReadStreamRange(t *testing.T, s eventstore.Store) {
	const stream = "claim-range"
	for range 5 {
		mustAppend(t, s, stream, eventstore.Any, Events(2)...)
		mustAppend(t, s, "claim-other", eventstore.Any, Events(1)...)
	}
	all := readStream(t, s, stream)
	if len(all) != 10 {
		t.Fatalf("stream has %d events, want 10", len(all))
	}
	checkStream(t, stream, all)
	cases := []struct {
		from        uint64
		limit       int
		first, last int // expected versions, inclusive; first > last = none
	}{
		{0, 0, 0, 9},
		{0, -1, 0, 9},
		{0, 1, 0, 0},
		{3, 0, 3, 9},
		{3, 4, 3, 6},
		{8, 5, 8, 9},
		{9, 1, 9, 9},
		{0, 10, 0, 9},
		{0, 100, 0, 9},
		{10, 0, 1, 0},
		{100, 1, 1, 0},
		{math.MaxUint64, 0, 1, 0},
	}
	for _, c := range cases {
		got, err := s.ReadStream(context.Background(), stream, c.from, c.limit)
		if err != nil {
			t.Errorf("ReadStream(from %d, limit %d): %v", c.from, c.limit, err)
			continue
		}
		var want []eventstore.Event
		if c.first <= c.last {
			want = all[c.first : c.last+1]
		}
		checkSame(t, fmt.Sprintf("ReadStream(from %d, limit %d)", c.from, c.limit), got, want)
	}
}

// testReadStreamBackward reads the last n events of a stream, newest first,
// including n larger than the stream.
func testReadStreamBackward(t *testing.T, s eventstore.Store) {
	const stream = "budget-backward"
	for range 4 {
		mustAppend(t, s, stream, eventstore.Any, Events(3)...)
		mustAppend(t, s, "budget-other", eventstore.Any, Events(2)...)
	}
	all := readStream(t, s, stream)
	if len(all) != 12 {
		t.Fatalf("stream has %d events, want 12", len(all))
	}
	reversed := slices.Clone(all)
	slices.Reverse(reversed)
	for _, n := range []int{1, 3, 11, 12, 13, 1000} {
		got, err := s.ReadStreamBackward(context.Background(), stream, n)
		if err != nil {
			t.Errorf("ReadStreamBackward(%d): %v", n, err)
			continue
		}
		checkSame(t, fmt.Sprintf("ReadStreamBackward(%d)", n), got, reversed[:min(n, len(reversed))])
	}
}

// testMissingStream reads streams that have no events, including names that
// share a prefix with a stream that has some: empty results, no error.
func testMissingStream(t *testing.T, s eventstore.Store) {
	ctx := context.Background()
	if log, err := s.ReadAll(ctx, 0, 10); err != nil || len(log) != 0 {
		t.Errorf("ReadAll on an empty store: %d events, error %v; want none and no error", len(log), err)
	}
	mustAppend(t, s, "fund-1", eventstore.NoStream, Events(2)...)
	mustAppend(t, s, "fund-10", eventstore.NoStream, Events(1)...)
	for _, stream := range []string{"fund-2", "fund-", "fund", "Fund-1", "fund-1 ", "fund-1%", "fund-_", "fund-1\x00"} {
		evs, err := s.ReadStream(ctx, stream, 0, 0)
		if err != nil || len(evs) != 0 {
			t.Errorf("ReadStream(%q): %d events, error %v; want none and no error", stream, len(evs), err)
		}
		evs, err = s.ReadStreamBackward(ctx, stream, 5)
		if err != nil || len(evs) != 0 {
			t.Errorf("ReadStreamBackward(%q): %d events, error %v; want none and no error", stream, len(evs), err)
		}
	}
	if got := readStream(t, s, "fund-1"); len(got) != 2 {
		t.Errorf("ReadStream(fund-1): %d events, want 2", len(got))
	}
}

// testReadAllPaging pages through the global log with several limits and
// starting points, including positions between and beyond events.
func testReadAllPaging(t *testing.T, s eventstore.Store) {
	ctx := context.Background()
	appendSpread(t, s, "fund", 25)
	full, err := s.ReadAll(ctx, 0, 1000)
	if err != nil {
		t.Fatal(err)
	}
	if len(full) != 25 {
		t.Fatalf("ReadAll(0, 1000): %d events, want 25", len(full))
	}
	checkLog(t, full)
	head := full[len(full)-1].Position

	for _, limit := range []int{1, 7, 25, 26} {
		var got []eventstore.Event
		var after uint64
		for pages := 0; ; pages++ {
			page, err := s.ReadAll(ctx, after, limit)
			if err != nil {
				t.Fatalf("ReadAll(after %d, limit %d): %v", after, limit, err)
			}
			if len(page) == 0 {
				break
			}
			if len(page) > limit || pages > len(full) {
				t.Fatalf("ReadAll(after %d, limit %d) returned %d events (page %d)", after, limit, len(page), pages)
			}
			got = append(got, page...)
			after = page[len(page)-1].Position
		}
		checkSame(t, fmt.Sprintf("paging with limit %d", limit), got, full)
	}

	afters := []uint64{0, 1, head - 1, head, head + 1, head + 1<<20, math.MaxUint64}
	for _, e := range full[:5] {
		afters = append(afters, e.Position-1, e.Position, e.Position+1)
	}
	for _, after := range afters {
		var want []eventstore.Event
		for _, e := range full {
			if e.Position > after {
				want = append(want, e)
			}
		}
		got, err := s.ReadAll(ctx, after, 3)
		if err != nil {
			t.Errorf("ReadAll(after %d, limit 3): %v", after, err)
			continue
		}
		checkSame(t, fmt.Sprintf("ReadAll(after %d, limit 3)", after), got, want[:min(3, len(want))])
	}
}
