package sqlite

import (
	"sync"
	"testing"
	"time"

	"github.com/haixi-hrss/fundledger/eventstore"
)

// steppedClock returns the given times in turn, then repeats the last.
type steppedClock struct {
	mu    sync.Mutex
	times []time.Time
}

func (c *steppedClock) now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	t := c.times[0]
	if len(c.times) > 1 {
		c.times = c.times[1:]
	}
	return t
}

// TestRecordedAtIsUTCMicrosecondsAndNeverDecreases feeds the writer a clock
// in another zone with nanoseconds, that then steps back, and checks the
// stored times: UTC, truncated to microseconds, clamped to the previous one
// (also across a restart), with hashes that still verify.
func TestRecordedAtIsUTCMicrosecondsAndNeverDecreases(t *testing.T) {
	shanghai := time.FixedZone("CST", 8*3600)
	t0 := time.Date(2025, 6, 30, 17, 4, 5, 123456789, shanghai)
	clock := &steppedClock{times: []time.Time{t0, t0.Add(-time.Hour), t0.Add(time.Second)}}
	dir := t.TempDir()
	s := openStore(t, dir, WithClock(clock.now))
	for i := range 3 {
		mustAppend(t, s, "claim-1", eventstore.Any, newEvent(i))
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	s = openStore(t, dir, WithClock(func() time.Time { return t0.Add(-24 * time.Hour) }))
	mustAppend(t, s, "claim-1", eventstore.Any, newEvent(3))

	want := []time.Time{
		time.Date(2025, 6, 30, 9, 4, 5, 123456000, time.UTC),
		time.Date(2025, 6, 30, 9, 4, 5, 123456000, time.UTC), // clock stepped back: clamped
		time.Date(2025, 6, 30, 9, 4, 6, 123456000, time.UTC),
		time.Date(2025, 6, 30, 9, 4, 6, 123456000, time.UTC), // after restart, clock a day behind: clamped
	}
	log := readLog(t, s)
	if len(log) != len(want) {
		t.Fatalf("log has %d events, want %d", len(log), len(want))
	}
	for i, e := range log {
		if !e.RecordedAt.Equal(want[i]) || e.RecordedAt.Location() != time.UTC {
			t.Errorf("event %d recorded at %v, want %v in UTC", i, e.RecordedAt, want[i])
		}
	}
	verifyLog(t, log)
}
