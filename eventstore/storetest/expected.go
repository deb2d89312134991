package storetest

import (
	"context"
	"errors"
	"fmt"
	"testing"

	"github.com/haixi-hrss/fundledger/eventstore"
)

// testExpectedVersion checks every expected-version rule against a missing
// stream and a stream with events: an append that holds lands right after
// the current version; one that fails returns a *ConcurrencyError naming the
// actual version and writes nothing.
func testExpectedVersion(t *testing.T, s eventstore.Store) {
	cases := []struct {
		name     string
		existing int // events in the stream before the append; 0 = missing
		expected eventstore.ExpectedVersion
		ok       bool
	}{
		{"any_on_missing", 0, eventstore.Any, true},
		{"any_on_existing", 3, eventstore.Any, true},
		{"no_stream_on_missing", 0, eventstore.NoStream, true},
		{"no_stream_on_existing", 3, eventstore.NoStream, false},
		{"stream_exists_on_missing", 0, eventstore.StreamExists, false},
		{"stream_exists_on_existing", 3, eventstore.StreamExists, true},
		{"exact_right", 3, eventstore.Exact(2), true},
		{"exact_zero_on_one_event", 1, eventstore.Exact(0), true},
		{"exact_too_low", 3, eventstore.Exact(1), false},
		{"exact_too_high", 3, eventstore.Exact(3), false},
		{"exact_far_too_high", 3, eventstore.Exact(1 << 40), false},
		{"exact_on_missing", 0, eventstore.Exact(0), false},
	}
	for i, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			stream := fmt.Sprintf("budget-%02d", i)
			if c.existing > 0 {
				mustAppend(t, s, stream, eventstore.NoStream, Events(c.existing)...)
			}
			before := readAll(t, s)
			evs := Events(2)
			res, err := s.Append(context.Background(), stream, c.expected, evs...)
			if c.ok {
				if err != nil {
					t.Fatalf("Append with %s on a stream of %d events: %v", c.expected, c.existing, err)
				}
				got := readStream(t, s, stream)
				if len(got) != c.existing+2 {
					t.Fatalf("stream has %d events, want %d", len(got), c.existing+2)
				}
				checkData(t, got, uint64(c.existing), evs)
				checkStream(t, stream, got)
				checkResult(t, "append", res, uint64(c.existing), uint64(c.existing+1), got[len(got)-1].Position)
				checkLog(t, readAll(t, s))
				return
			}
			checkConcurrencyError(t, err, stream, c.expected, int64(c.existing)-1)
			checkUnchanged(t, s, before)
		})
	}
}

// checkConcurrencyError checks that err is a *ConcurrencyError for stream
// reporting actual as the stream's version.
func checkConcurrencyError(t testing.TB, err error, stream string, expected eventstore.ExpectedVersion, actual int64) {
	t.Helper()
	if !errors.Is(err, eventstore.ErrConcurrency) {
		t.Errorf("append with %s: got %v, want an error matching ErrConcurrency", expected, err)
		return
	}
	var ce *eventstore.ConcurrencyError
	if !errors.As(err, &ce) {
		t.Errorf("append with %s: %v matches ErrConcurrency but is not a *ConcurrencyError", expected, err)
		return
	}
	if ce.Stream != stream || ce.Expected != expected || ce.Actual != actual {
		t.Errorf("append with %s: got %+v, want Stream %q, Expected %s, Actual %d", expected, *ce, stream, expected, actual)
	}
}
