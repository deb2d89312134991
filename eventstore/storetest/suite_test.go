package storetest_test

import (
	"context"
	"iter"
	"slices"
	"sort"
	"sync"
	"testing"
	"time"

	"github.com/haixi-hrss/fundledger/eventstore"
	"github.com/haixi-hrss/fundledger/eventstore/storetest"
)

// TestRun runs the suite on memStore, a minimal reference store, so the
// suite itself is exercised on every run even where no backend is built.
func TestRun(t *testing.T) {
	storetest.Run(t, func(t *testing.T) eventstore.Store {
		s := newMemStore()
		t.Cleanup(func() { _ = s.Close() })
		return s
	})
}

// memStore keeps the log in memory behind one mutex. Its positions grow by
// more than one per event, like KurrentDB's byte offsets, so the suite is
// checked not to assume dense positions.
type memStore struct {
	mu      sync.Mutex
	closed  bool
	log     []eventstore.Event
	streams map[string][]int // indexes into log, by version
	// changed is closed and replaced on every commit and on Close, waking
	// subscribers.
	changed chan struct{}
}

func newMemStore() *memStore {
	return &memStore{streams: make(map[string][]int), changed: make(chan struct{})}
}

func (m *memStore) Append(ctx context.Context, stream string, expected eventstore.ExpectedVersion, events ...eventstore.EventData) (eventstore.AppendResult, error) {
	if err := ctx.Err(); err != nil {
		return eventstore.AppendResult{}, err
	}
	if err := eventstore.ValidateAppend(stream, events); err != nil {
		return eventstore.AppendResult{}, err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.closed {
		return eventstore.AppendResult{}, eventstore.ErrClosed
	}
	idx := m.streams[stream]
	if res, ok := m.retried(idx, expected, events); ok {
		return res, nil
	}
	current := int64(len(idx)) - 1
	if !expected.Allows(current) {
		return eventstore.AppendResult{}, &eventstore.ConcurrencyError{Stream: stream, Expected: expected, Actual: current}
	}
	var prev eventstore.Hash
	if len(idx) > 0 {
		prev = m.log[idx[len(idx)-1]].Hash
	}
	now := eventstore.TruncateTime(time.Now())
	if n := len(m.log); n > 0 && now.Before(m.log[n-1].RecordedAt) {
		now = m.log[n-1].RecordedAt
	}
	for _, d := range events {
		var pos uint64 = 1
		if n := len(m.log); n > 0 {
			pos = m.log[n-1].Position + 100 + uint64(len(d.Data))
		}
		e := eventstore.Event{
			ID: d.ID, Stream: stream, Version: uint64(len(idx)), Position: pos, Type: d.Type,
			SchemaVersion: d.SchemaVersion, Data: slices.Clone(d.Data), Metadata: d.Metadata, RecordedAt: now,
		}
		eventstore.Seal(&e, prev)
		prev = e.Hash
		idx = append(idx, len(m.log))
		m.log = append(m.log, e)
	}
	m.streams[stream] = idx
	close(m.changed)
	m.changed = make(chan struct{})
	last := m.log[len(m.log)-1]
	return eventstore.AppendResult{FirstVersion: last.Version + 1 - uint64(len(events)), LastVersion: last.Version, Position: last.Position}, nil
}

// retried reports whether events are already in the stream at the versions
// expected gives, and if so the original result.
func (m *memStore) retried(idx []int, expected eventstore.ExpectedVersion, events []eventstore.EventData) (eventstore.AppendResult, bool) {
	var first uint64
	switch v, exact := expected.Version(); {
	case exact:
		first = v + 1
	case expected.IsNoStream():
		first = 0
	default:
		return eventstore.AppendResult{}, false
	}
	if first+uint64(len(events)) > uint64(len(idx)) {
		return eventstore.AppendResult{}, false
	}
	for i, d := range events {
		if m.log[idx[first+uint64(i)]].ID != d.ID {
			return eventstore.AppendResult{}, false
		}
	}
	last := m.log[idx[first+uint64(len(events))-1]]
	return eventstore.AppendResult{FirstVersion: first, LastVersion: last.Version, Position: last.Position, Repeated: true}, true
}

// read runs f under the lock after the checks every read shares.
func (m *memStore) read(ctx context.Context, f func() []eventstore.Event) ([]eventstore.Event, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.closed {
		return nil, eventstore.ErrClosed
	}
	out := f()
	for i := range out {
		out[i].Data = slices.Clone(out[i].Data)
	}
	return out, nil
}

func (m *memStore) ReadStream(ctx context.Context, stream string, from uint64, limit int) ([]eventstore.Event, error) {
	return m.read(ctx, func() []eventstore.Event {
		out := []eventstore.Event{}
		idx := m.streams[stream]
		for v := from; v < uint64(len(idx)) && (limit <= 0 || len(out) < limit); v++ {
			out = append(out, m.log[idx[v]])
		}
		return out
	})
}

func (m *memStore) ReadStreamBackward(ctx context.Context, stream string, n int) ([]eventstore.Event, error) {
	return m.read(ctx, func() []eventstore.Event {
		out := []eventstore.Event{}
		idx := m.streams[stream]
		for i := len(idx) - 1; i >= 0 && len(out) < n; i-- {
			out = append(out, m.log[idx[i]])
		}
		return out
	})
}

func (m *memStore) ReadAll(ctx context.Context, after uint64, limit int) ([]eventstore.Event, error) {
	return m.read(ctx, func() []eventstore.Event { return m.after(after, limit) })
}

// after returns up to limit events with position > after; m.mu is held.
func (m *memStore) after(after uint64, limit int) []eventstore.Event {
	i := sort.Search(len(m.log), func(i int) bool { return m.log[i].Position > after })
	j := len(m.log)
	if limit > 0 {
		j = min(j, i+limit)
	}
	return slices.Clone(m.log[i:j])
}

func (m *memStore) Subscribe(ctx context.Context, after uint64) iter.Seq2[eventstore.Event, error] {
	return func(yield func(eventstore.Event, error) bool) {
		for {
			var batch []eventstore.Event
			var changed chan struct{}
			_, err := m.read(ctx, func() []eventstore.Event {
				batch, changed = m.after(after, 100), m.changed
				return nil
			})
			if err != nil {
				yield(eventstore.Event{}, err)
				return
			}
			for _, e := range batch {
				e.Data = slices.Clone(e.Data)
				if !yield(e, nil) {
					return
				}
				after = e.Position
			}
			if len(batch) == 0 {
				select {
				case <-ctx.Done():
				case <-changed:
				}
			}
		}
	}
}

func (m *memStore) Close() error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if !m.closed {
		m.closed = true
		close(m.changed)
	}
	return nil
}
