package sqlite

import (
	"context"
	"errors"
	"io"

	"github.com/google/uuid"

	"github.com/haixi-hrss/fundledger/eventstore"
)

// Retries are recognised through the stream index alone, with no index on
// event_id (which cost every append a rewritten page at a random place): a
// retry's events can only be at the versions its expected version gives,
// so the writer reads those versions and compares the IDs.
//
// An expected version that names the first version (Exact, NoStream) fails
// its precondition on a retry, and retryAt then looks where the original
// landed, however far the stream has moved on. Any and StreamExists name no
// version: their retry is recognised while the original's events are still
// the last of the stream (tailRetry); after that a retry is appended again.
// The ledger appends with Exact or NoStream only.

// retryAt reports whether r's events are recorded, in order, in r's stream
// (whose head is h) from version first on; res is then the original
// append's result.
func (w *writer) retryAt(r *request, h streamHead, first int64) (res eventstore.AppendResult, found bool, err error) {
	if first < 0 || h.id == 0 {
		return res, false, nil
	}
	rows, err := w.versions.query(context.Background(), namedArgs(w.args, h.id, first, int64(len(r.events))))
	if err != nil {
		return res, false, err
	}
	defer rows.Close()
	var pos int64
	for i := range r.events {
		switch err := rows.Next(w.row[:2]); {
		case errors.Is(err, io.EOF):
			return res, false, nil
		case err != nil:
			return res, false, err
		}
		id, err := uuid.Parse(w.row[0].(string))
		if err != nil || id != r.events[i].ID {
			return res, false, nil
		}
		pos = w.row[1].(int64)
	}
	n := uint64(len(r.events))
	return eventstore.AppendResult{FirstVersion: uint64(first), LastVersion: uint64(first) + n - 1, Position: uint64(pos), Repeated: true}, true, nil
}

// retryFirst is where the original of r, a request whose precondition
// failed, would have put its first event; -1 if r names no version.
func retryFirst(r *request) int64 {
	if v, exact := r.expected.Version(); exact {
		return int64(v) + 1
	}
	if r.expected.IsNoStream() {
		return 0
	}
	return -1
}

// tailRetry checks whether r, whose precondition holds against head, is a
// retry whose events are the last ones of the stream. Comparing the last
// ID with the cached head first keeps the usual append free of queries.
func (w *writer) tailRetry(r *request, h streamHead) (res eventstore.AppendResult, found bool, err error) {
	n := int64(len(r.events))
	if h.version < 0 || h.lastID != r.events[n-1].ID {
		return res, false, nil
	}
	if _, exact := r.expected.Version(); exact || r.expected.IsNoStream() {
		return res, false, nil
	}
	return w.retryAt(r, h, h.version+1-n)
}
