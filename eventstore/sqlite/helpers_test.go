package sqlite

import (
	"context"
	"database/sql/driver"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/haixi-hrss/fundledger/eventstore"
)

func openStore(t testing.TB, dir string, opts ...Option) *Store {
	t.Helper()
	s, err := Open(dir, opts...)
	if err != nil {
		t.Fatalf("Open(%s): %v", dir, err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

// withTail sets the tail's bounds; withTail(0, 0) turns it off, so that
// every read goes to SQLite.
func withTail(events, bytes int) Option {
	return func(s *Store) { s.tailEvents, s.tailBytes = events, bytes }
}

// newEvent returns an event with a fresh ID whose data names n.
func newEvent(n int) eventstore.EventData {
	return eventstore.EventData{
		ID:            uuid.New(),
		Type:          "ThingHappened",
		SchemaVersion: 1,
		Data:          fmt.Appendf(nil, `{"n":%d,"amount":"12.50"}`, n),
		Metadata:      eventstore.Metadata{Actor: "clerk-1", Role: "clerk", EffectiveDate: "2025-03-01"},
	}
}

func mustAppend(t testing.TB, s *Store, stream string, expected eventstore.ExpectedVersion, evs ...eventstore.EventData) eventstore.AppendResult {
	t.Helper()
	res, err := s.Append(context.Background(), stream, expected, evs...)
	if err != nil {
		t.Fatalf("Append(%q, %s): %v", stream, expected, err)
	}
	return res
}

func readLog(t testing.TB, s *Store) []eventstore.Event {
	t.Helper()
	log, err := s.ReadAll(context.Background(), 0, 0)
	if err != nil {
		t.Fatalf("ReadAll: %v", err)
	}
	return log
}

// verifyLog checks the global log end to end: positions 1..n with no hole,
// gapless stream versions, a hash chain that recomputes, and recorded-at
// never decreasing.
func verifyLog(t testing.TB, log []eventstore.Event) {
	t.Helper()
	heads := make(map[string]eventstore.Event)
	for i, e := range log {
		if e.Position != uint64(i+1) {
			t.Fatalf("log entry %d has position %d, want %d", i, e.Position, i+1)
		}
		if i > 0 && e.RecordedAt.Before(log[i-1].RecordedAt) {
			t.Fatalf("position %d: recorded-at %v before %v", e.Position, e.RecordedAt, log[i-1].RecordedAt)
		}
		prev, seen := heads[e.Stream]
		wantVersion, wantPrev := uint64(0), eventstore.Hash{}
		if seen {
			wantVersion, wantPrev = prev.Version+1, prev.Hash
		}
		if e.Version != wantVersion || e.PrevHash != wantPrev {
			t.Fatalf("position %d: %s version %d prev %s, want version %d prev %s", e.Position, e.Stream, e.Version, e.PrevHash, wantVersion, wantPrev)
		}
		if h := eventstore.ComputeHash(e.PrevHash, &e); h != e.Hash {
			t.Fatalf("position %d: stored hash %s, recomputed %s", e.Position, e.Hash, h)
		}
		heads[e.Stream] = e
	}
}

// queryText returns the single text value a query yields.
func queryText(c driver.Conn, query string) (string, error) {
	rows, err := c.(driver.QueryerContext).QueryContext(context.Background(), query, nil)
	if err != nil {
		return "", err
	}
	defer rows.Close()
	dest := make([]driver.Value, 1)
	if err := rows.Next(dest); err != nil {
		return "", err
	}
	v, _ := dest[0].(string)
	return v, nil
}

// gate is a clock that holds the writer inside its first batch until
// released: requests sent meanwhile queue up and form the next batch.
type gate struct {
	entered, release chan struct{}
	once             sync.Once
}

func newGate() *gate { return &gate{entered: make(chan struct{}), release: make(chan struct{})} }

func (g *gate) now() time.Time {
	g.once.Do(func() {
		close(g.entered)
		<-g.release
	})
	return time.Now()
}

// waitQueued waits until n requests are queued for the writer.
func waitQueued(t *testing.T, s *Store, n int) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for len(s.queue) < n {
		if time.Now().After(deadline) {
			t.Fatalf("%d requests queued after 10s, want %d", len(s.queue), n)
		}
		time.Sleep(time.Millisecond)
	}
}

type appendOutcome struct {
	res eventstore.AppendResult
	err error
}

// appendAsync starts an Append and returns where its outcome will arrive.
func appendAsync(ctx context.Context, s *Store, stream string, expected eventstore.ExpectedVersion, evs ...eventstore.EventData) <-chan appendOutcome {
	ch := make(chan appendOutcome, 1)
	go func() {
		res, err := s.Append(ctx, stream, expected, evs...)
		ch <- appendOutcome{res, err}
	}()
	return ch
}
