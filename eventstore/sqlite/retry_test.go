package sqlite

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/haixi-hrss/fundledger/eventstore"
)

// TestRetryReturnsTheOriginalResult re-sends committed appends under every
// kind of expected version, after the stream moved on, and checks each gets
// its original result while the log stays exactly as it was.
func TestRetryReturnsTheOriginalResult(t *testing.T) {
	s := openStore(t, t.TempDir())
	created := []eventstore.EventData{newEvent(1), newEvent(2)}
	exact := []eventstore.EventData{newEvent(3)}
	anyVer := []eventstore.EventData{newEvent(4), newEvent(5)}
	exists := []eventstore.EventData{newEvent(6)}
	results := []eventstore.AppendResult{
		mustAppend(t, s, "claim-1", eventstore.NoStream, created...),
		mustAppend(t, s, "claim-1", eventstore.Exact(1), exact...),
		mustAppend(t, s, "claim-1", eventstore.Any, anyVer...),
		mustAppend(t, s, "claim-1", eventstore.StreamExists, exists...),
	}
	mustAppend(t, s, "claim-1", eventstore.Exact(5), newEvent(7))
	before := readLog(t, s)

	for i, r := range []struct {
		expected eventstore.ExpectedVersion
		events   []eventstore.EventData
	}{
		{eventstore.NoStream, created},
		{eventstore.Exact(1), exact},
		{eventstore.Any, anyVer},
		{eventstore.StreamExists, exists},
	} {
		got, err := s.Append(context.Background(), "claim-1", r.expected, r.events...)
		if err != nil || got != results[i] {
			t.Errorf("retry %d (%s): %+v, %v; want the original %+v", i, r.expected, got, err, results[i])
		}
	}
	after := readLog(t, s)
	if len(after) != len(before) {
		t.Errorf("retries changed the log from %d to %d events", len(before), len(after))
	}
}

// TestNotARetry covers requests that share IDs with committed events but
// are not exact retries of them.
func TestNotARetry(t *testing.T) {
	s := openStore(t, t.TempDir())
	ctx := context.Background()
	e1, e2 := newEvent(1), newEvent(2)
	mustAppend(t, s, "claim-1", eventstore.NoStream, e1, e2)
	before := readLog(t, s)

	t.Run("other stream", func(t *testing.T) {
		_, err := s.Append(ctx, "claim-2", eventstore.Any, e1)
		if !errors.Is(err, ErrEventIDReused) || !errors.Is(err, eventstore.ErrInvalidAppend) ||
			!strings.Contains(err.Error(), `"claim-1" version 0`) {
			t.Errorf("got %v; want an invalid append matching ErrEventIDReused that names claim-1 version 0", err)
		}
	})
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
		_, err := s.Append(ctx, "claim-1", eventstore.Any, e1, e2, newEvent(3))
		if !errors.Is(err, ErrEventIDReused) {
			t.Errorf("got %v; want ErrEventIDReused", err)
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
