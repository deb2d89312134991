package sqlite

import (
	"context"
	"errors"
	"testing"

	"github.com/haixi-hrss/fundledger/eventstore"
)

// TestRetryReturnsTheOriginalResult re-sends committed appends: those whose
// expected version names a version (NoStream, Exact) after the stream moved
// on, those that name none (Any, StreamExists) while their events are the
// stream's last. Each gets its original result and the log stays exactly as
// it was.
func TestRetryReturnsTheOriginalResult(t *testing.T) {
	s := openStore(t, t.TempDir())
	created := []eventstore.EventData{newEvent(1), newEvent(2)}
	exact := []eventstore.EventData{newEvent(3)}
	results := []eventstore.AppendResult{
		mustAppend(t, s, "claim-1", eventstore.NoStream, created...),
		mustAppend(t, s, "claim-1", eventstore.Exact(1), exact...),
	}
	mustAppend(t, s, "claim-1", eventstore.Exact(2), newEvent(4))
	anyVer := []eventstore.EventData{newEvent(5), newEvent(6)}
	results = append(results, mustAppend(t, s, "claim-1", eventstore.Any, anyVer...))
	exists, opened := []eventstore.EventData{newEvent(7)}, []eventstore.EventData{newEvent(8)}
	results = append(results, mustAppend(t, s, "claim-2", eventstore.NoStream, opened...),
		mustAppend(t, s, "claim-2", eventstore.StreamExists, exists...))
	before := readLog(t, s)

	for i, r := range []struct {
		stream   string
		expected eventstore.ExpectedVersion
		events   []eventstore.EventData
	}{
		{"claim-1", eventstore.NoStream, created},
		{"claim-1", eventstore.Exact(1), exact},
		{"claim-1", eventstore.Any, anyVer},
		{"claim-2", eventstore.NoStream, opened},
		{"claim-2", eventstore.StreamExists, exists},
	} {
		got, err := s.Append(context.Background(), r.stream, r.expected, r.events...)
		want := results[i]
		want.Repeated = true
		if err != nil || got != want {
			t.Errorf("retry %d (%s): %+v, %v; want the original, repeated: %+v", i, r.expected, got, err, want)
		}
	}
	after := readLog(t, s)
	if len(after) != len(before) {
		t.Errorf("retries changed the log from %d to %d events", len(before), len(after))
	}
}

// TestRetryWithoutVersionAfterTheStreamMovedOn pins the documented limit of
// retry detection without an event_id index: an Any append re-sent after
// later events is not recognised and is appended again.
func TestRetryWithoutVersionAfterTheStreamMovedOn(t *testing.T) {
	s := openStore(t, t.TempDir())
	e := newEvent(1)
	mustAppend(t, s, "claim-1", eventstore.Any, e)
	mustAppend(t, s, "claim-1", eventstore.Any, newEvent(2))
	got := mustAppend(t, s, "claim-1", eventstore.Any, e)
	if want := (eventstore.AppendResult{FirstVersion: 2, LastVersion: 2, Position: 3}); got != want {
		t.Errorf("late Any retry: %+v; want it appended as %+v", got, want)
	}
	verifyLog(t, readLog(t, s))
}

// TestNotARetry covers requests that share IDs with committed events but
// are not exact retries of them. Format version 1 also refused an ID
// recorded in another stream or elsewhere in the same stream; format 2 has
// no event_id index to find it (see retry.go), and the ledger derives event
// IDs from command, stream and index, so it never sends such a request.
func TestNotARetry(t *testing.T) {
	s := openStore(t, t.TempDir())
	ctx := context.Background()
	e1, e2 := newEvent(1), newEvent(2)
	mustAppend(t, s, "claim-1", eventstore.NoStream, e1, e2)
	before := readLog(t, s)

	t.Run("wrong expected version", func(t *testing.T) {
		// Exact(0) would have put e1 at version 1, not where it is.
		var ce *eventstore.ConcurrencyError
		if _, err := s.Append(ctx, "claim-1", eventstore.Exact(0), e1, e2); !errors.As(err, &ce) || ce.Actual != 1 {
			t.Errorf("got %v; want a *ConcurrencyError with Actual 1", err)
		}
	})
	t.Run("other order", func(t *testing.T) {
		var ce *eventstore.ConcurrencyError
		if _, err := s.Append(ctx, "claim-1", eventstore.NoStream, e2, e1); !errors.As(err, &ce) {
			t.Errorf("got %v; want a *ConcurrencyError", err)
		}
	})
	t.Run("extra event", func(t *testing.T) {
		var ce *eventstore.ConcurrencyError
		if _, err := s.Append(ctx, "claim-1", eventstore.NoStream, e1, e2, newEvent(3)); !errors.As(err, &ce) || ce.Actual != 1 {
			t.Errorf("got %v; want a *ConcurrencyError with Actual 1", err)
		}
	})
	t.Run("repeated within the request", func(t *testing.T) {
		e := newEvent(4)
		var inv *eventstore.InvalidAppendError
		if _, err := s.Append(ctx, "claim-3", eventstore.NoStream, e, e); !errors.Is(err, ErrEventIDReused) || !errors.As(err, &inv) || inv.Index != 1 {
			t.Errorf("got %v; want ErrEventIDReused on event 1", err)
		}
	})
	if after := readLog(t, s); len(after) != len(before) {
		t.Errorf("refused requests changed the log from %d to %d events", len(before), len(after))
	}
}
