package sqlite

import (
	"context"
	"fmt"
	"runtime"
	"sync"

	"github.com/haixi-hrss/fundledger/eventstore"
)

// minPart is the smallest share of a ReadAll worth a connection of its own.
const minPart = 256

// ReadAll implements eventstore.Store.
//
// Decoding rows is what bounds a replay, so a large page is split into
// consecutive position ranges read in parallel, one connection and one CPU
// each. This relies on positions being dense (1, 2, 3, ... with no gap:
// the writer assigns them so and never leaves a hole), so part k starts
// exactly at after + k*size. Each part sees a committed prefix of the log;
// parts are joined in order and the join stops at the first part that
// came back short, so the result is still a prefix: a later part, read
// from a later snapshot, can only add events that follow a full part.
//
// Positions being dense, the log's head also says how many events there
// are to read, so a page asked for 1,000 events when a few are new
// allocates for those few.
func (s *Store) ReadAll(ctx context.Context, after uint64, limit int) ([]eventstore.Event, error) {
	return s.ReadAllInto(ctx, nil, after, limit)
}

// ReadAllInto is ReadAll reading into dst's array when it is large enough,
// so that a replay can reuse a few arrays for its pages rather than
// allocate (and collect) one per page: at a million events, 300 MB. The
// caller must not use what dst held before.
func (s *Store) ReadAllInto(ctx context.Context, dst []eventstore.Event, after uint64, limit int) ([]eventstore.Event, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	s.mu.RLock()
	defer s.mu.RUnlock()
	if s.closed {
		return nil, eventstore.ErrClosed
	}
	if s.tail != nil {
		if events, ok := s.tail.readAll(dst, after, limit); ok {
			return events, nil
		}
	}
	head, err := s.queryHead(ctx)
	if err != nil {
		return nil, err
	}
	if head <= after {
		return []eventstore.Event{}, nil
	}
	// n bounds the events to read even were the log not dense: none
	// after head is committed in the snapshot head came from, and a later
	// read is left to the next call.
	want := head - after
	if limit > 0 {
		want = min(want, uint64(limit))
	}
	if want > maxPrealloc {
		return s.scan(ctx, dst[:0], sqlInt(after), sqlLimit(limit))
	}
	limit = int(want)
	parts := min(runtime.GOMAXPROCS(0), limit/minPart)
	events := dst[:0]
	if cap(events) < limit {
		events = make([]eventstore.Event, 0, limit)
	}
	events = events[:limit]
	if parts < 2 {
		return s.scan(ctx, events[:0], sqlInt(after), int64(limit))
	}
	got := make([][]eventstore.Event, parts)
	errs := make([]error, parts)
	size := limit / parts
	var wg sync.WaitGroup
	for k := range parts {
		start, end := k*size, (k+1)*size
		if k == parts-1 {
			end = limit
		}
		wg.Go(func() {
			// Each part decodes in place into its own slice of events.
			got[k], errs[k] = s.scan(ctx, events[start:start:end], int64(after)+int64(start), int64(end-start))
		})
	}
	wg.Wait()
	n := 0
	for k := range parts {
		if errs[k] != nil {
			return nil, errs[k]
		}
		first := uint64(n) + after + 1
		if len(got[k]) > 0 && got[k][0].Position != first {
			break // not dense after all: stop at what is known to be a prefix
		}
		n += len(got[k])
		if len(got[k]) < cap(got[k]) {
			break
		}
	}
	return events[:n], nil
}

// scan appends to dst the events after position after, at most limit of
// them (every one when limit is negative), read with a pooled reader's
// scanner. The caller holds s.mu shared.
func (s *Store) scan(ctx context.Context, dst []eventstore.Event, after, limit int64) ([]eventstore.Event, error) {
	r, err := s.readers.get(ctx)
	if err != nil {
		return nil, fmt.Errorf("eventstore/sqlite: read: %w", err)
	}
	defer s.readers.put(r)
	sc, err := r.scanner(s.readers.dsn)
	if err != nil {
		return nil, err
	}
	dst, err = sc.read(ctx, dst, after, limit)
	if sc.s.db == nil {
		r.scan = nil // recycling it failed: the next read opens another
	}
	return dst, err
}
