package sqlite

import (
	"context"
	"database/sql/driver"
	"errors"
	"fmt"
	"io"
	"maps"
	"time"

	"github.com/google/uuid"
	"github.com/mattn/go-sqlite3"

	"github.com/haixi-hrss/fundledger/eventstore"
)

// writer owns the only write connection. Only the writer goroutine uses it.
type writer struct {
	c     *sqlite3.SQLiteConn
	clock func() time.Time

	begin, commit, rollback stmt
	head, newStream, insert stmt
	versions, version       stmt

	lastPos  uint64    // position of the last committed event
	lastTime time.Time // RecordedAt of the last committed event
	// failed is set when a commit fails; from then on every append gets it.
	failed error
	// redecided counts batches decided ahead and then again because
	// another connection had committed (tests read it).
	redecided int

	// cache holds committed stream heads, so most appends skip a query.
	// It is emptied when another connection has committed (data_version
	// moved), and when it outgrows maxCachedHeads.
	cache       map[string]streamHead
	dataVersion int64
	args        []driver.NamedValue
	row         []driver.Value
}

// streamHead is a stream's row in streams (id 0 for none yet), its last
// version (-1 for none), and that event's hash and ID.
type streamHead struct {
	id      int64
	version int64
	hash    eventstore.Hash
	lastID  uuid.UUID
}

func newWriter(c *sqlite3.SQLiteConn, clock func() time.Time) (*writer, error) {
	w := &writer{c: c, clock: clock, cache: make(map[string]streamHead),
		row: make([]driver.Value, 4)}
	for _, p := range []struct {
		s     *stmt
		query string
	}{
		{&w.begin, "BEGIN IMMEDIATE"},
		{&w.commit, "COMMIT"},
		{&w.rollback, "ROLLBACK"},
		{&w.head, `SELECT streams.id, version, hash, event_id FROM streams
			LEFT JOIN events ON events.stream_id = streams.id
			WHERE streams.name = ? ORDER BY version DESC LIMIT 1`},
		{&w.newStream, "INSERT INTO streams (name) VALUES (?) RETURNING id"},
		{&w.insert, `INSERT INTO events (position, stream, stream_id, version, event_id, type, schema_version, data,
			actor, role, correlation_id, causation_id, idempotency_key, effective_date, policy_version,
			recorded_at, prev_hash, hash) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`},
		{&w.versions, "SELECT event_id, position FROM events WHERE stream_id = ? AND version >= ? ORDER BY version LIMIT ?"},
		{&w.version, "PRAGMA data_version"},
	} {
		var err error
		if *p.s, err = prepare(c, p.query); err != nil {
			w.close()
			return nil, err
		}
	}
	if err := w.loadTail(); err != nil {
		w.close()
		return nil, err
	}
	return w, nil
}

// loadTail reads where the log ends, so positions continue and RecordedAt
// never goes back across restarts.
func (w *writer) loadTail() error {
	rows, err := w.c.QueryContext(context.Background(), "SELECT position, recorded_at FROM events ORDER BY position DESC LIMIT 1", nil)
	if err != nil {
		return err
	}
	defer rows.Close()
	switch err := rows.Next(w.row[:2]); {
	case errors.Is(err, io.EOF):
		return nil
	case err != nil:
		return err
	}
	w.lastPos = uint64(w.row[0].(int64))
	w.lastTime = time.UnixMicro(w.row[1].(int64)).UTC()
	return nil
}

func (w *writer) close() {
	for _, s := range []stmt{w.begin, w.commit, w.rollback, w.head, w.newStream, w.insert, w.versions, w.version} {
		s.close()
	}
}

// write is the writer goroutine: it commits every request waiting at that
// moment as one batch, until Close closes quit and the queue is drained.
// While a batch commits, a preparer takes the requests arriving meanwhile
// and seals them into the next batch (see prepare.go).
func (s *Store) write() {
	defer close(s.writerDone)
	cur, spare := newBatch(), newBatch()
	for {
		if len(cur.reqs) == 0 {
			select {
			case r := <-s.queue:
				cur.take(r)
			case <-s.quit:
				// Close marked the store closed under the exclusive lock,
				// which every enqueuer holds shared while it queues: what
				// is in the queue now is all there will ever be.
				for len(s.queue) > 0 || len(cur.reqs) > 0 {
					s.collect(cur)
					cur, spare = s.commitBatch(cur, spare)
				}
				return
			}
		}
		s.collect(cur)
		cur, spare = s.commitBatch(cur, spare)
	}
}

// committed wakes the subscriptions and the checkpointer after a commit.
func (s *Store) committed() {
	s.commits.broadcast()
	s.ckpt.poke()
}

// collect adds the requests waiting in the queue to b, up to maxBatch
// events, and marks them taken; requests withdrawn by their caller are
// dropped.
func (s *Store) collect(b *batch) {
	for b.events < s.maxBatch {
		select {
		case r := <-s.queue:
			b.take(r)
		default:
			return
		}
	}
}

// commitBatch applies b in one transaction and commits it once; meanwhile
// a preparer fills next from the queue. It then answers b's callers and
// returns next, to be committed after it, and b, emptied for reuse.
func (s *Store) commitBatch(b, next *batch) (*batch, *batch) {
	w := s.w
	if err := w.apply(b); err != nil {
		b.fail(err)
		b.answer()
		next.reset(w.lastPos, time.Time{})
		b.reset(w.lastPos, time.Time{})
		return next, b
	}
	// Only after apply: a batch that fails before its commit leaves the
	// heads as they were, which the preparer would otherwise build on.
	next.reset(b.pos, b.now)
	p := s.startPreparer(next, b)
	if err := w.commit.exec(context.Background(), nil); err != nil {
		w.rollback.exec(context.Background(), nil)
		w.failed = fmt.Errorf("eventstore/sqlite: commit failed; close and reopen the store: %w", err)
		b.fail(w.failed)
	} else {
		w.lastPos, w.lastTime = b.pos, b.now
		s.committed()
	}
	b.answer()
	// The preparer reads the cache and b's heads until it stops.
	p.stop()
	if w.failed == nil {
		if len(w.cache)+len(b.heads) > maxCachedHeads {
			clear(w.cache)
		}
		maps.Copy(w.cache, b.heads)
	}
	b.reset(w.lastPos, time.Time{})
	return next, b
}

// apply runs b's transaction up to its commit: it inserts the events the
// preparer sealed, then decides and inserts the rest of b. It returns an
// error when the batch as a whole failed (and rolled back); a request
// refused on its own gets its error in b's results and the others still
// commit.
func (w *writer) apply(b *batch) error {
	if w.failed != nil {
		return w.failed
	}
	ctx := context.Background()
	if err := w.begin.exec(ctx, nil); err != nil {
		return fmt.Errorf("eventstore/sqlite: begin: %w", err)
	}
	changed, err := w.checkCache()
	if err != nil {
		w.rollback.exec(ctx, nil)
		return fmt.Errorf("eventstore/sqlite: %w", err)
	}
	if changed && len(b.results) > 0 {
		// Decided ahead against heads another connection may have moved
		// since: decide it all again.
		w.redecided++
	}
	if changed || len(b.results) == 0 {
		b.undo(w.lastPos)
	}
	b.after = w.lastTime
	if b.now.IsZero() {
		b.now = b.clampedNow(w.clock())
	} else {
		b.now = b.clampedNow(b.now)
	}
	if err := w.insertRows(b); err != nil {
		w.rollback.exec(ctx, nil)
		return fmt.Errorf("eventstore/sqlite: insert: %w", err)
	}
	for len(b.results) < len(b.reqs) {
		r := b.reqs[len(b.results)]
		o, fatal := w.appendOne(b, r)
		if fatal != nil {
			w.rollback.exec(ctx, nil)
			return fmt.Errorf("eventstore/sqlite: append to %q: %w", r.stream, fatal)
		}
		b.results = append(b.results, o)
	}
	return nil
}

// maxCachedHeads bounds the head cache to a few megabytes.
const maxCachedHeads = 100_000

// checkCache empties the head cache and rereads the end of the log if
// another connection has committed since the writer last looked: what it
// remembers may be stale, and reports whether it did. The single-writer
// design means this only happens if a second process opened the ledger.
func (w *writer) checkCache() (changed bool, err error) {
	rows, err := w.version.query(context.Background(), nil)
	if err != nil {
		return false, err
	}
	err = rows.Next(w.row[:1])
	rows.Close()
	if err != nil {
		return false, fmt.Errorf("data_version: %w", err)
	}
	v := w.row[0].(int64)
	if v == w.dataVersion {
		return false, nil
	}
	clear(w.cache)
	w.dataVersion = v
	return true, w.loadTail()
}

// appendOne decides one request of b with the connection at hand, and
// inserts its events at positions after b's. A refused request gets its
// error in the outcome and leaves nothing in the transaction; fatal aborts
// the whole batch.
func (w *writer) appendOne(b *batch, r *request) (o outcome, fatal error) {
	h, fatal := w.headOf(b, r.stream)
	if fatal != nil {
		return o, fatal
	}
	if !r.expected.Allows(h.version) {
		// A retry of a committed append fails its precondition, since the
		// stream has moved on; anything else that fails it, even with
		// some known IDs, is a plain concurrency conflict.
		res, found, err := w.retryAt(r, h, retryFirst(r))
		if err != nil || found {
			return outcome{res: res}, err
		}
		return outcome{err: &eventstore.ConcurrencyError{Stream: r.stream, Expected: r.expected, Actual: h.version}}, nil
	}
	if res, found, err := w.tailRetry(r, h); err != nil || found {
		return outcome{res: res}, err
	}
	if h.id == 0 {
		if h.id, fatal = w.createStream(r.stream); fatal != nil {
			return o, fatal
		}
	}
	o = b.seal(r, h)
	return o, w.insertRows(b)
}

// headOf returns the stream's head as of this point in b.
func (w *writer) headOf(b *batch, stream string) (streamHead, error) {
	if h, ok := b.heads[stream]; ok {
		return h, nil
	}
	if h, ok := w.cache[stream]; ok {
		return h, nil
	}
	h := streamHead{version: -1}
	rows, err := w.head.query(context.Background(), namedArgs(w.args, stream))
	if err != nil {
		return h, err
	}
	defer rows.Close()
	switch err := rows.Next(w.row[:4]); {
	case errors.Is(err, io.EOF):
		return h, nil
	case err != nil:
		return h, err
	}
	h.id = w.row[0].(int64)
	if w.row[1] == nil {
		return h, nil // a stream whose events were all deleted by hand
	}
	h.version = w.row[1].(int64)
	if h.hash, err = eventstore.ParseHash(w.row[2].(string)); err != nil {
		return h, fmt.Errorf("head of %q: %w", stream, err)
	}
	if h.lastID, err = uuid.Parse(w.row[3].(string)); err != nil {
		return h, fmt.Errorf("head of %q: event_id: %w", stream, err)
	}
	// Not yet touched by this batch, so this is the committed head.
	w.cache[stream] = h
	return h, nil
}

// createStream adds stream's row to streams and returns its id. A batch
// that is rolled back takes the row with it; only committed heads, with
// their ids, reach the cache.
func (w *writer) createStream(stream string) (int64, error) {
	rows, err := w.newStream.query(context.Background(), namedArgs(w.args, stream))
	if err != nil {
		return 0, err
	}
	defer rows.Close()
	if err := rows.Next(w.row[:1]); err != nil {
		return 0, fmt.Errorf("new stream %q: %w", stream, err)
	}
	return w.row[0].(int64), nil
}

// insertRows inserts the rows b has sealed and not yet inserted.
func (w *writer) insertRows(b *batch) error {
	for i := 0; i < len(b.rows); i += insertColumns {
		w.args = namedArgs(w.args, b.rows[i:i+insertColumns]...)
		if err := w.insert.exec(context.Background(), w.args); err != nil {
			return err
		}
	}
	b.rows = b.rows[:0]
	return nil
}
