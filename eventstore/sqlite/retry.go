package sqlite

import (
	"context"
	"errors"
	"fmt"
	"io"

	"github.com/google/uuid"

	"github.com/haixi-hrss/fundledger/eventstore"
)

// location is where an event ID is recorded.
type location struct {
	stream   string
	version  uint64
	position uint64
}

// recorded looks up r's event IDs. found is true when r is an exact retry of
// an append already committed, and res is that append's result. err is an
// *eventstore.InvalidAppendError when some ID is recorded but r is not such
// a retry. No IDs recorded gives neither.
func (w *writer) recorded(r *request) (res eventstore.AppendResult, found bool, err error) {
	locs := make([]location, len(r.events))
	firstKnown, allKnown := -1, true
	for i := range r.events {
		var known bool
		if locs[i], known, err = w.locate(r.events[i].ID); err != nil {
			return res, false, err
		}
		if known && firstKnown < 0 {
			firstKnown = i
		}
		allKnown = allKnown && known
	}
	if firstKnown < 0 {
		return res, false, nil
	}
	if allKnown && isRetry(r, locs) {
		n := uint64(len(locs))
		return eventstore.AppendResult{FirstVersion: locs[0].version, LastVersion: locs[0].version + n - 1,
			Position: locs[n-1].position}, true, nil
	}
	l := locs[firstKnown]
	return res, false, &eventstore.InvalidAppendError{Stream: r.stream, Index: firstKnown, Field: "id",
		Err: fmt.Errorf("%w: %s is recorded at stream %q version %d (position %d); only an exact retry of that append may repeat it",
			ErrEventIDReused, r.events[firstKnown].ID, l.stream, l.version, l.position)}
}

// isRetry reports whether the recorded locations are r's events, in order,
// in r's stream, at the versions r's expected version would have given.
func isRetry(r *request, locs []location) bool {
	first := locs[0].version
	for i, l := range locs {
		if l.stream != r.stream || l.version != first+uint64(i) {
			return false
		}
	}
	switch v, exact := r.expected.Version(); {
	case exact:
		return first == v+1
	case r.expected.IsNoStream():
		return first == 0
	case r.expected.IsStreamExists():
		return first > 0
	}
	return true
}

func (w *writer) locate(id uuid.UUID) (location, bool, error) {
	var l location
	rows, err := w.lookup.query(context.Background(), namedArgs(w.args, id.String()))
	if err != nil {
		return l, false, err
	}
	defer rows.Close()
	switch err := rows.Next(w.row[:3]); {
	case errors.Is(err, io.EOF):
		return l, false, nil
	case err != nil:
		return l, false, err
	}
	l.stream = w.row[0].(string)
	l.version = uint64(w.row[1].(int64))
	l.position = uint64(w.row[2].(int64))
	return l, true, nil
}
