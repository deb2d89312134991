package sqlite

import (
	"context"
	"database/sql/driver"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"maps"
	"time"
	"unsafe"

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
	// A group's streams are created as its parts are checked, inside a
	// savepoint that a refused group rolls back.
	savepoint, rollbackTo, release stmt

	lastPos  uint64    // position of the last committed event
	lastTime time.Time // RecordedAt of the last committed event
	// failed is set when a commit fails; from then on every append gets it.
	failed error

	heads map[string]streamHead // stream heads touched by the current batch
	// cache holds committed stream heads, so most appends skip a query.
	// It is emptied when another connection has committed (data_version
	// moved), and when it outgrows maxCachedHeads.
	cache       map[string]streamHead
	dataVersion int64
	args        []driver.NamedValue
	row         []driver.Value
	text        []byte // insertEvent's hex and UUID text

	// tail receives each batch's events, pending, once it is committed.
	tail    *tail
	pending []eventstore.Event
	// committed, when set (by tests), runs between a commit and publish.
	committed func()
	// ownHdr is the wal-index header the writer's last commit left, if
	// ownHdrOK: while it is unchanged nobody else has committed.
	ownHdr   walHeader
	ownHdrOK bool
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
	w := &writer{c: c, clock: clock, heads: make(map[string]streamHead), cache: make(map[string]streamHead),
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
		{&w.newStream, "INSERT INTO streams (name) VALUES (?) ON CONFLICT (name) DO NOTHING"},
		{&w.insert, `INSERT INTO events (position, stream, stream_id, version, event_id, type, schema_version, data,
			actor, role, correlation_id, causation_id, idempotency_key, effective_date, policy_version,
			recorded_at, prev_hash, hash) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`},
		{&w.versions, "SELECT event_id, position FROM events WHERE stream_id = ? AND version >= ? ORDER BY version LIMIT ?"},
		{&w.version, "PRAGMA data_version"},
		{&w.savepoint, "SAVEPOINT part"},
		{&w.rollbackTo, "ROLLBACK TO part"},
		{&w.release, "RELEASE part"},
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
	for _, s := range []stmt{w.begin, w.commit, w.rollback, w.head, w.newStream, w.insert, w.versions, w.version,
		w.savepoint, w.rollbackTo, w.release} {
		s.close()
	}
}

// write is the writer goroutine: it commits every request waiting at that
// moment as one batch (after a pause, with a commit pace; see pace.go),
// until Close closes quit and the queue is drained.
func (s *Store) write() {
	defer close(s.writerDone)
	var (
		batch []*request
		last  lastBatch
	)
	for {
		select {
		case r := <-s.queue:
			batch = s.collect(append(batch[:0], r), 0)
			batch = s.gather(batch, last)
		case <-s.quit:
			// Close marked the store closed under the exclusive lock, which
			// every enqueuer holds shared while it queues: what is in the
			// queue now is all there will ever be.
			for len(s.queue) > 0 {
				s.w.commitBatch(s.collect(batch[:0], 0), s.committed)
			}
			return
		}
		start := time.Now()
		s.queuedAtCommit = false // committed sets it; a failed batch does not
		s.w.commitBatch(batch, s.committed)
		last = lastBatch{start: start, requests: len(batch), queued: s.queuedAtCommit}
	}
}

// committed wakes the subscriptions and the checkpointer after a commit,
// and notes whether requests arrived while it ran (before its appenders
// are answered and can append again).
func (s *Store) committed() {
	s.queuedAtCommit = len(s.queue) > 0
	s.commits.broadcast()
	s.ckpt.poke()
}

// collect adds the requests waiting in the queue to batch, up to maxBatch
// events, and marks batch[fresh:] taken (those before are taken already);
// requests withdrawn by their caller are dropped.
func (s *Store) collect(batch []*request, fresh int) []*request {
	n := 0
	for _, r := range batch {
		n += r.size()
	}
drain:
	for n < s.maxBatch {
		select {
		case r := <-s.queue:
			batch = append(batch, r)
			n += r.size()
		default:
			break drain
		}
	}
	kept := batch[:fresh]
	for _, r := range batch[fresh:] {
		if r.state.CompareAndSwap(pending, taken) {
			kept = append(kept, r)
		}
	}
	return kept
}

// commitBatch applies every request of batch in one transaction, commits
// once, calls committed, then answers each caller.
func (w *writer) commitBatch(batch []*request, committed func()) {
	if len(batch) == 0 {
		return
	}
	results := make([]outcome, len(batch))
	if err := w.apply(batch, results); err != nil {
		for i := range results {
			results[i] = outcome{err: err}
		}
	} else {
		committed()
	}
	for i, r := range batch {
		r.done <- results[i]
	}
}

// apply runs the batch's transaction. It returns an error when the batch
// as a whole failed; a request refused on its own gets its error in
// results and the others still commit.
func (w *writer) apply(batch []*request, results []outcome) error {
	if w.failed != nil {
		return w.failed
	}
	ctx := context.Background()
	if err := w.begin.exec(ctx, nil); err != nil {
		return fmt.Errorf("eventstore/sqlite: begin: %w", err)
	}
	if err := w.checkCache(); err != nil {
		w.rollback.exec(ctx, nil)
		return fmt.Errorf("eventstore/sqlite: %w", err)
	}
	now := eventstore.TruncateTime(w.clock())
	if now.Before(w.lastTime) {
		now = w.lastTime
	}
	clear(w.heads)
	clear(w.pending)
	w.pending = w.pending[:0]
	pos := w.lastPos
	for i, r := range batch {
		if r.parts != nil {
			res, err, fatal := w.appendGroup(r.parts, &pos, now)
			if fatal != nil {
				w.rollback.exec(ctx, nil)
				return fmt.Errorf("eventstore/sqlite: append to %d streams: %w", len(r.parts), fatal)
			}
			results[i] = outcome{parts: res, err: err}
			continue
		}
		res, err, fatal := w.appendOne(r, &pos, now)
		if fatal != nil {
			w.rollback.exec(ctx, nil)
			return fmt.Errorf("eventstore/sqlite: append to %q: %w", r.stream, fatal)
		}
		results[i] = outcome{res: res, err: err}
	}
	if err := w.commit.exec(ctx, nil); err != nil {
		w.rollback.exec(ctx, nil)
		w.tail.reset()
		w.failed = fmt.Errorf("eventstore/sqlite: commit failed; close and reopen the store: %w", err)
		return w.failed
	}
	w.lastPos, w.lastTime = pos, now
	w.publish()
	if len(w.cache)+len(w.heads) > maxCachedHeads {
		clear(w.cache)
	}
	maps.Copy(w.cache, w.heads)
	return nil
}

// maxCachedHeads bounds the head cache to a few megabytes.
const maxCachedHeads = 100_000

// publish hands the batch just committed to the tail, with the wal-index
// header the commit left. It first makes sure that header is this
// commit's: another writer could have committed between the COMMIT and
// the look at the header, and the writer's data_version, unchanged since
// the batch began, proves it did not. Otherwise the tail is emptied, and
// the next batch's checkCache catches up with the other writer.
func (w *writer) publish() {
	if w.committed != nil {
		w.committed()
	}
	hdr, steady := w.tail.watch.header()
	v, err := w.readDataVersion()
	if err != nil || !steady || v != w.dataVersion {
		w.ownHdrOK = false
		w.tail.reset()
		return
	}
	w.ownHdr, w.ownHdrOK = hdr, true
	w.tail.publish(w.pending, hdr)
}

// checkCache empties the head cache and the tail and rereads the end of
// the log if another connection has committed since the writer last
// looked: what it remembers may be stale. The single-writer design means
// this only happens if a second Store or process opened the ledger.
func (w *writer) checkCache() error {
	if hdr, steady := w.tail.watch.header(); w.ownHdrOK && steady && hdr == w.ownHdr {
		return nil // the header the last commit left: nobody has committed since
	}
	v, err := w.readDataVersion()
	if err != nil {
		return err
	}
	if v == w.dataVersion {
		return nil
	}
	clear(w.cache)
	w.tail.reset()
	w.ownHdrOK = false
	w.dataVersion = v
	return w.loadTail()
}

// readDataVersion returns the write connection's PRAGMA data_version,
// which changes when another connection commits.
func (w *writer) readDataVersion() (int64, error) {
	rows, err := w.version.query(context.Background(), nil)
	if err != nil {
		return 0, err
	}
	err = rows.Next(w.row[:1])
	rows.Close()
	if err != nil {
		return 0, fmt.Errorf("data_version: %w", err)
	}
	return w.row[0].(int64), nil
}

// appendOne checks one request's precondition and inserts its events at
// positions after *pos. err refuses this request only (nothing of it is
// left in the transaction); fatal aborts the whole batch.
func (w *writer) appendOne(r *request, pos *uint64, now time.Time) (res eventstore.AppendResult, err, fatal error) {
	h, res, found, err, fatal := w.check(r)
	if found || err != nil || fatal != nil {
		return res, err, fatal
	}
	res, fatal = w.write(r, h, pos, now)
	return res, nil, fatal
}

// appendGroup appends every part or none: it checks each part's
// precondition (and recognises each retry) before it writes any part, so
// a refusal leaves nothing of the group in the transaction. The parts name
// distinct streams, so no part's write changes another's check. A part
// that may create its stream creates it while it is checked, as appendOne
// does, so a new stream costs one insert rather than a head query and an
// insert; the savepoint takes those rows back when the group is refused.
func (w *writer) appendGroup(parts []*request, pos *uint64, now time.Time) (res []eventstore.AppendResult, err, fatal error) {
	ctx := context.Background()
	if fatal = w.savepoint.exec(ctx, nil); fatal != nil {
		return nil, nil, fatal
	}
	res = make([]eventstore.AppendResult, len(parts))
	heads := make([]streamHead, len(parts))
	repeated := make([]bool, len(parts))
	for i, r := range parts {
		heads[i], res[i], repeated[i], err, fatal = w.check(r)
		if err != nil || fatal != nil {
			if fatal == nil {
				fatal = w.rollbackTo.exec(ctx, nil)
			}
			if fatal == nil {
				fatal = w.release.exec(ctx, nil)
			}
			return nil, err, fatal
		}
	}
	for i, r := range parts {
		if !repeated[i] {
			if res[i], fatal = w.write(r, heads[i], pos, now); fatal != nil {
				return nil, nil, fatal
			}
		}
	}
	return res, nil, w.release.exec(ctx, nil)
}

// check returns the head of r's stream as of this point in the batch and
// whether r may be written there. A request that may create the stream
// creates it first if it does not exist (see headOf): most such streams
// are new (a claim, an idempotency key, a uniqueness reservation), and
// the insert then answers the head query too, so h always has the
// stream's id when r may be written. found says r retries an append
// already committed, whose result res is; err refuses r; fatal aborts
// the batch.
func (w *writer) check(r *request) (h streamHead, res eventstore.AppendResult, found bool, err, fatal error) {
	if h, fatal = w.headOf(r.stream, r.expected.Allows(-1)); fatal != nil {
		return h, res, false, nil, fatal
	}
	if !r.expected.Allows(h.version) {
		// A retry of a committed append fails its precondition, since the
		// stream has moved on; anything else that fails it, even with
		// some known IDs, is a plain concurrency conflict.
		res, found, fatal = w.retryAt(r, h, retryFirst(r))
		if fatal != nil || found {
			return h, res, found, nil, fatal
		}
		return h, res, false, &eventstore.ConcurrencyError{Stream: r.stream, Expected: r.expected, Actual: h.version}, nil
	}
	res, found, fatal = w.tailRetry(r, h)
	return h, res, found, nil, fatal
}

// write inserts r's events after head h (whose stream id check found or
// made) at positions after *pos.
func (w *writer) write(r *request, h streamHead, pos *uint64, now time.Time) (res eventstore.AppendResult, fatal error) {
	start, first := *pos, uint64(h.version+1)
	prev := h.hash
	data := ownData(r.events)
	for i := range r.events {
		d := &r.events[i]
		e := eventstore.Event{ID: d.ID, Stream: r.stream, Version: first + uint64(i), Position: start + 1 + uint64(i),
			Type: d.Type, SchemaVersion: d.SchemaVersion, Data: data[i], Metadata: d.Metadata, RecordedAt: now}
		eventstore.Seal(&e, prev)
		if err := w.insertEvent(h.id, &e); err != nil {
			return res, err
		}
		w.pending = append(w.pending, e)
		prev = e.Hash
	}
	last := first + uint64(len(r.events)) - 1
	*pos = start + uint64(len(r.events))
	w.heads[r.stream] = streamHead{id: h.id, version: int64(last), hash: prev, lastID: r.events[len(r.events)-1].ID}
	return eventstore.AppendResult{FirstVersion: first, LastVersion: last, Position: *pos}, nil
}

// headOf returns the stream's head as of this point in the batch. When
// it is not known and create is set, it creates the stream if it does not
// exist, and only queries the head of one that does.
func (w *writer) headOf(stream string, create bool) (streamHead, error) {
	if h, ok := w.heads[stream]; ok {
		return h, nil
	}
	if h, ok := w.cache[stream]; ok {
		return h, nil
	}
	h := streamHead{version: -1}
	if create {
		id, created, err := w.createStream(stream)
		if err != nil || created {
			h.id = id
			return h, err
		}
	}
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

// createStream adds stream's row to streams and returns its id, or
// created false if the row exists. A batch that is rolled back takes the
// row with it; only committed heads, with their ids, reach the cache. It
// is a plain insert read back through the driver's result: with
// RETURNING id, which SQLite answers from a buffer of output rows, the
// step cost twice as much CPU (BenchmarkAppendNewStreams64Writers'
// profile: 6.5 against 3.3 µs a call).
func (w *writer) createStream(stream string) (id int64, created bool, err error) {
	res, err := w.newStream.result(context.Background(), namedArgs(w.args, stream))
	if err != nil {
		return 0, false, fmt.Errorf("new stream %q: %w", stream, err)
	}
	n, err := res.RowsAffected()
	if err != nil || n == 0 {
		return 0, false, err
	}
	id, err = res.LastInsertId()
	return id, err == nil, err
}

// ownData copies the data of events into one allocation of the writer's
// own: the caller may reuse its buffers once Append returns, and the tail
// keeps these. Nothing writes to them afterwards.
func ownData(events []eventstore.EventData) [][]byte {
	c := copier{}
	for i := range events {
		c.size += len(events[i].Data)
	}
	out := make([][]byte, len(events))
	for i := range events {
		out[i] = c.bytes(events[i].Data)
	}
	return out
}

// insertEvent inserts e. Its text columns are bound as strings that alias
// memory the writer owns rather than as fresh copies: the driver copies
// every argument into a buffer of its own before it returns, ownData's
// bytes never change, and w.text is rewritten only by the next call.
func (w *writer) insertEvent(streamID int64, e *eventstore.Event) error {
	m := &e.Metadata
	data := unsafe.String(unsafe.SliceData(e.Data), len(e.Data))
	b := appendUUID(w.text[:0], e.ID)
	b = hex.AppendEncode(b, e.PrevHash[:])
	b = hex.AppendEncode(b, e.Hash[:])
	w.text = b
	const idLen, hashLen = 36, 2 * len(eventstore.Hash{})
	id := unsafe.String(&b[0], idLen)
	prev := unsafe.String(&b[idLen], hashLen)
	hash := unsafe.String(&b[idLen+hashLen], hashLen)
	w.args = namedArgs(w.args, int64(e.Position), e.Stream, streamID, int64(e.Version), id, e.Type,
		int64(e.SchemaVersion), data, m.Actor, m.Role, m.CorrelationID, m.CausationID,
		m.IdempotencyKey, m.EffectiveDate, m.PolicyVersion, e.RecordedAt.UnixMicro(), prev, hash)
	return w.insert.exec(context.Background(), w.args)
}

// appendUUID appends id in the form uuid.UUID.String gives it:
// lower-case hex in groups of 8-4-4-4-12.
func appendUUID(b []byte, id uuid.UUID) []byte {
	b = hex.AppendEncode(b, id[:4])
	for _, g := range [][]byte{id[4:6], id[6:8], id[8:10], id[10:]} {
		b = hex.AppendEncode(append(b, '-'), g)
	}
	return b
}
