package sqlite

import (
	"context"
	"errors"
	"fmt"
	"sync/atomic"

	"github.com/google/uuid"

	"github.com/haixi-hrss/fundledger/eventstore"
)

// ErrEventIDReused matches the *eventstore.InvalidAppendError returned for
// an event ID that appears twice in one request.
var ErrEventIDReused = errors.New("event ID already used")

// Request states: the writer moves a request from pending to taken, Append
// from pending to withdrawn when its context ends first. Whoever wins the
// swap decides, so a withdrawn request is never written.
const (
	pending int32 = iota
	taken
	withdrawn
)

// request is one Append call queued for the writer, or one AppendMulti
// call: then parts holds a request per stream (whose state and done are
// unused) and the outcome's results are theirs.
type request struct {
	stream   string
	expected eventstore.ExpectedVersion
	events   []eventstore.EventData
	parts    []*request
	state    atomic.Int32
	done     chan outcome
}

// size is the number of events r appends.
func (r *request) size() int {
	n := len(r.events)
	for _, p := range r.parts {
		n += len(p.events)
	}
	return n
}

type outcome struct {
	res   eventstore.AppendResult
	parts []eventstore.AppendResult
	err   error
}

// Append implements eventstore.Store; see the package documentation for
// group commit, cancellation and retries.
func (s *Store) Append(ctx context.Context, stream string, expected eventstore.ExpectedVersion, events ...eventstore.EventData) (eventstore.AppendResult, error) {
	if err := eventstore.ValidateAppend(stream, events); err != nil {
		return eventstore.AppendResult{}, err
	}
	if err := uniqueIDs(stream, events); err != nil {
		return eventstore.AppendResult{}, err
	}
	if err := ctx.Err(); err != nil {
		return eventstore.AppendResult{}, err
	}
	o := s.submit(ctx, &request{stream: stream, expected: expected, events: events, done: make(chan outcome, 1)})
	return o.res, o.err
}

// AppendMulti implements eventstore.MultiAppender: the parts are one
// request to the writer, which checks every part's precondition before it
// writes any (see appendGroup).
func (s *Store) AppendMulti(ctx context.Context, parts ...eventstore.StreamAppend) ([]eventstore.AppendResult, error) {
	if err := eventstore.ValidateAppendMulti(parts); err != nil {
		return nil, err
	}
	r := &request{parts: make([]*request, len(parts)), done: make(chan outcome, 1)}
	for i, p := range parts {
		if err := uniqueIDs(p.Stream, p.Events); err != nil {
			return nil, err
		}
		r.parts[i] = &request{stream: p.Stream, expected: p.Expected, events: p.Events}
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	o := s.submit(ctx, r)
	return o.parts, o.err
}

// submit queues r for the writer and waits for its outcome, or withdraws
// it when ctx ends before the writer took it.
func (s *Store) submit(ctx context.Context, r *request) outcome {
	if err := s.enqueue(ctx, r); err != nil {
		return outcome{err: err}
	}
	select {
	case o := <-r.done:
		return o
	case <-ctx.Done():
		if r.state.CompareAndSwap(pending, withdrawn) {
			return outcome{err: ctx.Err()}
		}
		return <-r.done
	}
}

func (s *Store) enqueue(ctx context.Context, r *request) error {
	s.mu.RLock()
	defer s.mu.RUnlock()
	if s.closed {
		return eventstore.ErrClosed
	}
	select {
	case s.queue <- r:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// uniqueIDs refuses a request that carries one event ID twice: it could
// never be committed, and would otherwise look like a partial retry.
func uniqueIDs(stream string, events []eventstore.EventData) error {
	if len(events) < 2 {
		return nil
	}
	seen := make(map[uuid.UUID]int, len(events))
	for i := range events {
		if j, dup := seen[events[i].ID]; dup {
			return &eventstore.InvalidAppendError{Stream: stream, Index: i, Field: "id",
				Err: fmt.Errorf("%w: %s is also event %d of this request", ErrEventIDReused, events[i].ID, j)}
		}
		seen[events[i].ID] = i
	}
	return nil
}
