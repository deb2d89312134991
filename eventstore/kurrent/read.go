package kurrent

import (
	"context"
	"errors"
	"fmt"
	"io"

	"github.com/EventStore/EventStore-Client-Go/v4/esdb"

	"github.com/haixi-hrss/fundledger/eventstore"
)

// ReadStream returns up to limit events of stream from version from on,
// oldest first; limit <= 0 means all of them. Servers before 24.x do not
// report global positions on stream reads; Position is 0 there.
func (s *Store) ReadStream(ctx context.Context, stream string, from uint64, limit int) ([]eventstore.Event, error) {
	var out []eventstore.Event
	for {
		n := s.opts.readPage
		if limit > 0 {
			n = min(n, uint64(limit-len(out)))
		}
		page, err := s.readStream(ctx, stream, esdb.Forwards, esdb.Revision(from), n)
		if err != nil {
			return nil, err
		}
		out = append(out, page...)
		if uint64(len(page)) < n || (limit > 0 && len(out) >= limit) {
			if out == nil {
				out = []eventstore.Event{}
			}
			return out, nil
		}
		from = page[len(page)-1].Version + 1
	}
}

// ReadStreamBackward returns the last n events of stream, newest first.
func (s *Store) ReadStreamBackward(ctx context.Context, stream string, n int) ([]eventstore.Event, error) {
	if n <= 0 {
		if err := s.checkOpen(); err != nil {
			return nil, err
		}
		return []eventstore.Event{}, nil
	}
	out := make([]eventstore.Event, 0, min(n, int(s.opts.readPage)))
	var from esdb.StreamPosition = esdb.End{}
	for len(out) < n {
		want := min(s.opts.readPage, uint64(n-len(out)))
		page, err := s.readStream(ctx, stream, esdb.Backwards, from, want)
		if err != nil {
			return nil, err
		}
		out = append(out, page...)
		if uint64(len(page)) < want || page[len(page)-1].Version == 0 {
			break
		}
		from = esdb.Revision(page[len(page)-1].Version - 1)
	}
	return out, nil
}

// last returns the newest event of stream, or nil if it has none.
func (s *Store) last(ctx context.Context, stream string) (*eventstore.Event, error) {
	page, err := s.readStream(ctx, stream, esdb.Backwards, esdb.End{}, 1)
	if err != nil || len(page) == 0 {
		return nil, err
	}
	return &page[0], nil
}

// readStream reads one page of a stream; a stream that does not exist is
// an empty page.
func (s *Store) readStream(ctx context.Context, stream string, dir esdb.Direction, from esdb.StreamPosition, count uint64) ([]eventstore.Event, error) {
	if err := eventstore.ValidateStreamName(stream); err != nil {
		return nil, fmt.Errorf("kurrent: stream %q: %w", stream, err)
	}
	out, err := retry(ctx, s, "read stream", func(ctx context.Context, c *esdb.Client) ([]eventstore.Event, error) {
		rs, err := c.ReadStream(ctx, s.opts.prefix+stream, esdb.ReadStreamOptions{Direction: dir, From: from, Deadline: &s.opts.timeout}, count)
		if err != nil {
			return nil, err
		}
		defer rs.Close()
		var out []eventstore.Event
		for {
			re, err := rs.Recv()
			if isEOF(err) || streamNotFound(err) {
				return out, nil
			}
			if err != nil {
				return nil, err
			}
			e, err := fromRecorded(stream, re.OriginalEvent())
			if err != nil {
				return nil, err
			}
			out = append(out, e)
		}
	})
	if err != nil {
		return nil, fmt.Errorf("kurrent: read stream %q: %w", stream, err)
	}
	return out, nil
}

// ReadAll returns up to limit ledger events with position greater than
// after, in commit order; after = 0 reads from the start and limit <= 0
// means no limit. System events are skipped (the client has no server-side
// filter for reads, only for subscriptions).
func (s *Store) ReadAll(ctx context.Context, after uint64, limit int) ([]eventstore.Event, error) {
	out := []eventstore.Event{}
	var from esdb.AllPosition = esdb.Start{}
	if after > 0 {
		from = at(after)
	}
	seen := after // reads are inclusive of their start: skip what was already seen
	fellBack := false
	for {
		// One more than still wanted: the read starts with the event at
		// from, which was already seen.
		count := s.opts.readPage
		if limit > 0 {
			count = min(count, uint64(limit-len(out))+1)
		}
		page, err := s.readAllRaw(ctx, from, count)
		if err != nil && invalidPosition(err) && after > 0 && !fellBack {
			// after is not the start of a record (e.g. Position-1): find
			// the record boundary at or before it and read on from there.
			fellBack = true
			if from, err = s.boundaryAtOrBefore(ctx, after); err == nil {
				continue
			}
		}
		if err != nil {
			return nil, err
		}
		for _, r := range page {
			if r.Position.Commit <= seen && (seen > 0 || after > 0) {
				continue
			}
			seen, from = r.Position.Commit, r.Position
			name, ok := s.ledgerStream(r)
			if !ok {
				continue
			}
			e, err := fromRecorded(name, r)
			if err != nil {
				return nil, err
			}
			out = append(out, e)
			if limit > 0 && len(out) == limit {
				return out, nil
			}
		}
		if uint64(len(page)) < count {
			return out, nil
		}
	}
}

// at is the $all position of the event whose commit position is p: the
// events this package writes are self-committed, so their prepare position
// equals their commit position. Where the real pair is at hand it is used
// instead.
func at(p uint64) esdb.Position { return esdb.Position{Commit: p, Prepare: p} }

// readAllRaw reads one page of $all from from (inclusive), system events
// included.
func (s *Store) readAllRaw(ctx context.Context, from esdb.AllPosition, count uint64) ([]*esdb.RecordedEvent, error) {
	out, err := retry(ctx, s, "read $all", func(ctx context.Context, c *esdb.Client) ([]*esdb.RecordedEvent, error) {
		rs, err := c.ReadAll(ctx, esdb.ReadAllOptions{From: from, Deadline: &s.opts.timeout}, count)
		if err != nil {
			return nil, err
		}
		defer rs.Close()
		var out []*esdb.RecordedEvent
		for {
			re, err := rs.Recv()
			if isEOF(err) {
				return out, nil
			}
			if err != nil {
				return nil, err
			}
			out = append(out, re.OriginalEvent())
		}
	})
	if err != nil {
		return nil, fmt.Errorf("kurrent: read $all: %w", err)
	}
	return out, nil
}

// boundaryAtOrBefore scans $all from the start for the last record at or
// before p and returns its position, or Start if there is none. It is the
// slow path for positions the server rejects; positions this package hands
// out never take it.
func (s *Store) boundaryAtOrBefore(ctx context.Context, p uint64) (esdb.AllPosition, error) {
	s.log.Warn("scanning $all for a record boundary: the position is not the start of a record", "position", p)
	var best esdb.AllPosition = esdb.Start{}
	var from esdb.AllPosition = esdb.Start{}
	var seen uint64
	for first := true; ; first = false {
		page, err := s.readAllRaw(ctx, from, s.opts.readPage)
		if err != nil {
			return nil, err
		}
		for _, r := range page {
			if !first && r.Position.Commit <= seen {
				continue
			}
			if r.Position.Commit > p {
				return best, nil
			}
			seen, best = r.Position.Commit, r.Position
		}
		if uint64(len(page)) < s.opts.readPage {
			return best, nil
		}
		from = best
	}
}

func isEOF(err error) bool { return errors.Is(err, io.EOF) }
