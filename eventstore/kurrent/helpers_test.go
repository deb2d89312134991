package kurrent

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/haixi-hrss/fundledger/eventstore"
)

// quiet discards logs: the client logs from goroutines that may outlive a
// test, and testing.T must not be written to after it ends.
var quiet = slog.New(slog.NewTextHandler(io.Discard, nil))

// openFake opens a Store on f with short timeouts and backoffs.
func openFake(t testing.TB, f *fakeServer, opts ...Option) *Store {
	t.Helper()
	opts = append([]Option{WithLogger(quiet), WithTimeout(5 * time.Second), WithBackoff(5*time.Millisecond, 100*time.Millisecond)}, opts...)
	s, err := Open(context.Background(), f.connString(), opts...)
	if err != nil {
		t.Fatalf("Open(%s): %v", f.connString(), err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

// events returns n valid events with fresh IDs.
func events(n int) []eventstore.EventData {
	out := make([]eventstore.EventData, n)
	for i := range out {
		out[i] = eventstore.EventData{
			ID:            uuid.New(),
			Type:          "FundsReceived",
			SchemaVersion: 1,
			Data:          fmt.Appendf(nil, `{"amount":"%d.50","n":%d}`, 100+i, i),
			Metadata:      eventstore.Metadata{Actor: "clerk-1", Role: "clerk"},
		}
	}
	return out
}

func mustAppend(t testing.TB, s *Store, stream string, expected eventstore.ExpectedVersion, evs ...eventstore.EventData) eventstore.AppendResult {
	t.Helper()
	res, err := s.Append(context.Background(), stream, expected, evs...)
	if err != nil {
		t.Fatalf("Append(%q, %s): %v", stream, expected, err)
	}
	return res
}

func mustReadStream(t testing.TB, s *Store, stream string) []eventstore.Event {
	t.Helper()
	got, err := s.ReadStream(context.Background(), stream, 0, 0)
	if err != nil {
		t.Fatalf("ReadStream(%q): %v", stream, err)
	}
	return got
}

// collect reads n events from a subscription, failing the test after
// patience.
func collect(t testing.TB, ctx context.Context, s *Store, after uint64, n int) []eventstore.Event {
	t.Helper()
	ctx, cancel := context.WithTimeout(ctx, 20*time.Second)
	defer cancel()
	var out []eventstore.Event
	for e, err := range s.Subscribe(ctx, after) {
		if err != nil {
			t.Fatalf("Subscribe(after %d) after %d events: %v", after, len(out), err)
		}
		out = append(out, e)
		if len(out) == n {
			break
		}
	}
	return out
}

// checkChain checks versions 0.. and the hash chain of one stream's events.
func checkChain(t testing.TB, evs []eventstore.Event) {
	t.Helper()
	var prev eventstore.Hash
	for i := range evs {
		e := &evs[i]
		if e.Version != uint64(i) {
			t.Fatalf("event %d has version %d", i, e.Version)
		}
		if e.PrevHash != prev {
			t.Fatalf("event %d: prevHash %s, want %s", i, e.PrevHash, prev)
		}
		if h := eventstore.ComputeHash(prev, e); h != e.Hash {
			t.Fatalf("event %d: stored hash %s, recomputed %s", i, e.Hash, h)
		}
		prev = e.Hash
	}
}

// rawMeta returns the user metadata the fake server stored for the event of
// stream at revision rev, decoded as a JSON object.
func rawMeta(t testing.TB, f *fakeServer, stream string, rev int) (map[string]any, *fakeRecord) {
	t.Helper()
	f.log.mu.Lock()
	r := f.log.streams[stream][rev]
	f.log.mu.Unlock()
	var m map[string]any
	if err := json.Unmarshal(r.meta, &m); err != nil {
		t.Fatalf("stored metadata of %s@%d is not JSON: %v", stream, rev, err)
	}
	return m, r
}
