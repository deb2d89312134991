package kurrent

import (
	"context"
	"fmt"
	"time"

	"github.com/EventStore/EventStore-Client-Go/v4/esdb"

	"github.com/haixi-hrss/fundledger/eventstore"
)

// Append appends events to stream if expected holds.
//
// The hash chain needs the previous event, so Append reads the stream's last
// event, checks expected against it, seals the new events after it and sends
// them with the exact revision it read (appends to one stream through one
// Store take turns). The server rejects the append if anyone wrote in
// between: for an Exact or NoStream caller that is a
// *eventstore.ConcurrencyError; for Any or StreamExists Append reads again
// and retries, a bounded number of times.
//
// An append whose events are already in the stream with the same IDs at the
// versions expected gives (a retry after a lost acknowledgement) returns the
// original result and writes nothing. For Any and StreamExists, "the
// versions expected gives" means the stream's last len(events) events.
func (s *Store) Append(ctx context.Context, stream string, expected eventstore.ExpectedVersion, events ...eventstore.EventData) (eventstore.AppendResult, error) {
	if err := s.checkOpen(); err != nil {
		return eventstore.AppendResult{}, err
	}
	// The 1 MiB limit is enforced here, before anything is sent.
	if err := eventstore.ValidateAppend(stream, events); err != nil {
		return eventstore.AppendResult{}, err
	}
	unlock, err := s.lockStream(ctx, stream)
	if err != nil {
		return eventstore.AppendResult{}, err
	}
	defer unlock()
	for attempt := 0; ; attempt++ {
		last, err := s.last(ctx, stream)
		if err != nil {
			return eventstore.AppendResult{}, err
		}
		current := int64(-1)
		if last != nil {
			current = int64(last.Version)
		}
		if res, ok, err := s.alreadyAppended(ctx, stream, expected, current, events); err != nil || ok {
			return res, err
		}
		if !expected.Allows(current) {
			return eventstore.AppendResult{}, &eventstore.ConcurrencyError{Stream: stream, Expected: expected, Actual: current}
		}
		res, err := s.send(ctx, stream, last, events)
		if err == nil {
			return res, nil
		}
		// A concurrent writer, or a failure after which we cannot tell
		// whether the append landed (io.EOF: the server ended the call
		// while the request was being sent, and the client cannot say
		// why): read again. The idempotency check at the top recognises
		// our own events if they did land, and the expected-version check
		// turns a real conflict into a ConcurrencyError for Exact and
		// NoStream callers.
		if !wrongExpectedVersion(err) && !transient(err) && !isEOF(err) {
			return eventstore.AppendResult{}, fmt.Errorf("kurrent: append to %q: %w", stream, err)
		}
		if ctx.Err() != nil {
			return eventstore.AppendResult{}, ctx.Err()
		}
		if attempt >= s.opts.retries {
			if wrongExpectedVersion(err) {
				actual, rerr := s.version(ctx, stream)
				if rerr != nil {
					return eventstore.AppendResult{}, rerr
				}
				return eventstore.AppendResult{}, &eventstore.ConcurrencyError{Stream: stream, Expected: expected, Actual: actual}
			}
			return eventstore.AppendResult{}, fmt.Errorf("kurrent: append to %q: gave up after %d attempts: %w", stream, attempt+1, err)
		}
		// Another process wrote (this one's writers queue on the stream
		// lock) or the node is unwell: back off before reading again.
		s.log.Debug("append raced or failed; reading the stream again", "stream", stream, "attempt", attempt+1, "err", err)
		if werr := s.sleep(ctx, attempt); werr != nil {
			return eventstore.AppendResult{}, werr
		}
	}
}

// send seals events after last (nil for a new stream) and appends them with
// the exact expected revision that last implies.
func (s *Store) send(ctx context.Context, stream string, last *eventstore.Event, events []eventstore.EventData) (eventstore.AppendResult, error) {
	var (
		prev     eventstore.Hash
		next     uint64
		expected esdb.ExpectedRevision = esdb.NoStream{}
		floor                          = eventstore.TruncateTime(s.opts.now())
	)
	if last != nil {
		prev, next, expected = last.Hash, last.Version+1, esdb.Revision(last.Version)
		floor = later(floor, last.RecordedAt)
	}

	// Stamping and sending happen under appendMu so that, for the events
	// written through this Store, recorded-at never decreases along the
	// global log: an event stamped later is also committed later. Writers
	// in other processes can only be held to per-stream order (their
	// clocks may differ); that is recorded in docs/operations.md.
	s.appendMu.Lock()
	defer s.appendMu.Unlock()
	stamp := later(floor, s.lastStamp)
	// Raised even if the send fails: an append whose answer was lost may
	// still commit, and nothing after it may be stamped earlier.
	s.lastStamp = stamp

	data := make([]esdb.EventData, len(events))
	for i := range events {
		e := eventstore.Event{
			ID:            events[i].ID,
			Stream:        stream,
			Version:       next + uint64(i),
			Type:          events[i].Type,
			SchemaVersion: events[i].SchemaVersion,
			Data:          events[i].Data,
			Metadata:      events[i].Metadata,
			RecordedAt:    stamp,
		}
		eventstore.Seal(&e, prev)
		prev = e.Hash
		d, err := toEventData(&e)
		if err != nil {
			return eventstore.AppendResult{}, err
		}
		data[i] = d
	}

	wr, gen, err := call(ctx, s, func(ctx context.Context, c *esdb.Client) (*esdb.WriteResult, error) {
		return c.AppendToStream(ctx, s.opts.prefix+stream, esdb.AppendToStreamOptions{ExpectedRevision: expected, Deadline: &s.opts.timeout}, data...)
	})
	if connectionClosed(err) {
		if rerr := s.rebuild(gen); rerr != nil {
			return eventstore.AppendResult{}, rerr
		}
	}
	if err != nil {
		return eventstore.AppendResult{}, err
	}
	return eventstore.AppendResult{
		FirstVersion: next,
		LastVersion:  next + uint64(len(events)) - 1,
		Position:     wr.CommitPosition,
	}, nil
}

// alreadyAppended reports whether events are already in stream at the
// versions expected gives, with the same IDs in the same order, and if so
// returns the result of that earlier append. A stream that only partly
// matches is not a retry; the caller's expected-version check rejects it.
func (s *Store) alreadyAppended(ctx context.Context, stream string, expected eventstore.ExpectedVersion, current int64, events []eventstore.EventData) (eventstore.AppendResult, bool, error) {
	n := int64(len(events))
	var first int64
	switch v, exact := expected.Version(); {
	case exact:
		first = int64(v) + 1
	case expected.IsNoStream():
		first = 0
	default:
		first = current - n + 1
	}
	if first < 0 || current < first+n-1 {
		return eventstore.AppendResult{}, false, nil
	}
	got, err := s.ReadStream(ctx, stream, uint64(first), int(n))
	if err != nil {
		return eventstore.AppendResult{}, false, err
	}
	if int64(len(got)) != n {
		return eventstore.AppendResult{}, false, nil
	}
	for i := range got {
		if got[i].ID != events[i].ID {
			return eventstore.AppendResult{}, false, nil
		}
	}
	return eventstore.AppendResult{
		FirstVersion: got[0].Version,
		LastVersion:  got[n-1].Version,
		Position:     got[n-1].Position,
		Repeated:     true,
	}, true, nil
}

// version returns the stream's current version, or -1 if it has no events.
func (s *Store) version(ctx context.Context, stream string) (int64, error) {
	last, err := s.last(ctx, stream)
	if err != nil || last == nil {
		return -1, err
	}
	return int64(last.Version), nil
}

// later returns the later of a and b.
func later(a, b time.Time) time.Time {
	if b.After(a) {
		return b
	}
	return a
}
