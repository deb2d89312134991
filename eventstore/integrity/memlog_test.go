package integrity_test

import (
	"context"
	"crypto/sha256"
	"fmt"
	"slices"
	"time"

	"github.com/google/uuid"
	"github.com/haixi-hrss/fundledger/eventstore"
)

func sha(b []byte) eventstore.Hash { return sha256.Sum256(b) }

// memLog is a Reader over a slice. It pages like a store, resuming after the
// event at the given position, but returns the slice in its own order, so
// tests can feed Verify a log a buggy or tampered store might return.
type memLog struct {
	events []eventstore.Event
	reads  int
	err    error
}

func (m *memLog) ReadAll(ctx context.Context, after uint64, limit int) ([]eventstore.Event, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	m.reads++
	if m.err != nil {
		return nil, m.err
	}
	// Resume after the event at position after, as a store would, even if
	// the slice is not in position order.
	i := 0
	if after > 0 {
		i = slices.IndexFunc(m.events, func(e eventstore.Event) bool { return e.Position == after }) + 1
		if i == 0 {
			i = slices.IndexFunc(m.events, func(e eventstore.Event) bool { return e.Position > after })
		}
	}
	if i < 0 || i >= len(m.events) {
		return nil, nil
	}
	end := min(len(m.events), i+limit)
	out := slices.Clone(m.events[i:end])
	for j := range out {
		out[j].Data = slices.Clone(out[j].Data)
	}
	return out, nil
}

// spec is one event of a test log: its stream and payload.
type spec struct {
	stream string
	data   string
}

// sealed builds a correctly chained log from specs: versions per stream from
// 0, positions 10, 20, 30, ... (sparse, as on KurrentDB), recorded-at one
// second apart.
func sealed(specs ...spec) *memLog {
	base := time.Date(2025, 3, 31, 8, 0, 0, 0, time.UTC)
	next := map[string]uint64{}
	prev := map[string]eventstore.Hash{}
	log := &memLog{}
	for i, s := range specs {
		e := eventstore.Event{
			ID:            uuid.NewSHA1(uuid.NameSpaceURL, fmt.Appendf(nil, "test/%d", i)),
			Stream:        s.stream,
			Version:       next[s.stream],
			Position:      uint64(i+1) * 10,
			Type:          "Recorded",
			SchemaVersion: 1,
			Data:          []byte(s.data),
			Metadata:      eventstore.Metadata{Actor: "clerk-7", Role: "clerk"},
			RecordedAt:    base.Add(time.Duration(i) * time.Second),
		}
		eventstore.Seal(&e, prev[s.stream])
		prev[s.stream] = e.Hash
		next[s.stream]++
		log.events = append(log.events, e)
	}
	return log
}

// reseal recomputes the hash chain of every event from index i on, as a
// forger who knows the layout would after rewriting history.
func (m *memLog) reseal(i int) {
	prev := map[string]eventstore.Hash{}
	for j := range m.events {
		e := &m.events[j]
		if j >= i {
			eventstore.Seal(e, prev[e.Stream])
		}
		prev[e.Stream] = e.Hash
	}
}
