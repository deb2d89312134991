package sqlite

import (
	"database/sql/driver"
	"time"

	"github.com/haixi-hrss/fundledger/eventstore"
)

// Sealing a batch ahead. A commit spends most of its time writing the WAL
// and waiting for its fsync, with the writer's connection busy. Meanwhile a
// preparer goroutine takes the requests that arrive, decides them against
// the stream heads the committing batch leaves (it cannot fail without
// failing the store: see commitBatch), and computes their hash chains and
// rows, so that the next transaction only inserts them. A request it cannot
// decide from memory alone (a stream head not cached, a possible retry)
// and every request after it are left to the writer, which decides them
// with its connection in the same order. If another connection committed
// in between, the writer finds out under its write lock (data_version) and
// decides the whole batch again. Durability is unchanged: callers are
// answered only after their own batch's commit.

// insertColumns is the number of values in one row of the events insert.
const insertColumns = 18

// batch is one group commit in the making.
type batch struct {
	reqs    []*request
	events  int       // events in reqs, for maxBatch
	results []outcome // outcomes of reqs[:len(results)], the decided ones
	// heads are the stream heads after the decided requests.
	heads map[string]streamHead
	// rows holds insertColumns values per sealed event not yet inserted.
	rows []driver.Value
	pos  uint64 // position of the last event sealed, or before the batch
	// now is the RecordedAt of every event of the batch, set when the
	// first one is sealed and never before after.
	now, after time.Time
}

func newBatch() *batch { return &batch{heads: make(map[string]streamHead)} }

// reset empties b for a batch whose events come after position pos and
// time after.
func (b *batch) reset(pos uint64, after time.Time) {
	clear(b.reqs)
	b.reqs, b.events, b.results, b.rows = b.reqs[:0], 0, b.results[:0], b.rows[:0]
	clear(b.heads)
	b.pos, b.now, b.after = pos, time.Time{}, after
}

// undo forgets every decision, keeping the requests, for a batch whose
// events come after position pos.
func (b *batch) undo(pos uint64) {
	b.results, b.rows = b.results[:0], b.rows[:0]
	clear(b.heads)
	b.pos = pos
}

// clampedNow is the batch time for a clock reading t: t in UTC at
// microsecond precision, but never before after.
func (b *batch) clampedNow(t time.Time) time.Time {
	t = eventstore.TruncateTime(t)
	if t.Before(b.after) {
		return b.after
	}
	return t
}

// take adds r to b unless its caller has withdrawn it.
func (b *batch) take(r *request) {
	if r.state.CompareAndSwap(pending, taken) {
		b.reqs = append(b.reqs, r)
		b.events += len(r.events)
	}
}

// fail gives every request of b the outcome err.
func (b *batch) fail(err error) {
	b.results = b.results[:0]
	for range b.reqs {
		b.results = append(b.results, outcome{err: err})
	}
}

// answer sends each request its outcome.
func (b *batch) answer() {
	for i, r := range b.reqs {
		r.done <- b.results[i]
	}
}

// seal gives r's events the versions after head h and the positions after
// b's, computes their hash chain and queues their rows; r's precondition
// holds and h has a stream id.
func (b *batch) seal(r *request, h streamHead) outcome {
	start, first := b.pos, uint64(h.version+1)
	prev := h.hash
	for i := range r.events {
		d := &r.events[i]
		e := eventstore.Event{ID: d.ID, Stream: r.stream, Version: first + uint64(i), Position: start + 1 + uint64(i),
			Type: d.Type, SchemaVersion: d.SchemaVersion, Data: d.Data, Metadata: d.Metadata, RecordedAt: b.now}
		eventstore.Seal(&e, prev)
		b.rows = appendRow(b.rows, h.id, &e)
		prev = e.Hash
	}
	last := first + uint64(len(r.events)) - 1
	b.pos = start + uint64(len(r.events))
	b.heads[r.stream] = streamHead{id: h.id, version: int64(last), hash: prev, lastID: r.events[len(r.events)-1].ID}
	return outcome{res: eventstore.AppendResult{FirstVersion: first, LastVersion: last, Position: b.pos}}
}

// appendRow appends e's values in the order of the events insert.
func appendRow(rows []driver.Value, streamID int64, e *eventstore.Event) []driver.Value {
	m := &e.Metadata
	return append(rows, int64(e.Position), e.Stream, streamID, int64(e.Version), e.ID.String(), e.Type,
		int64(e.SchemaVersion), string(e.Data), m.Actor, m.Role, m.CorrelationID, m.CausationID,
		m.IdempotencyKey, m.EffectiveDate, m.PolicyVersion, e.RecordedAt.UnixMicro(),
		e.PrevHash.String(), e.Hash.String())
}

// decideAhead decides r from memory, as appendOne would: against the
// heads of b, then of prev (the batch being committed), then the writer's
// cache. It reports false, deciding nothing, when r needs the connection:
// its stream's head is not in memory, its precondition fails (it may be a
// retry), or it may be a retry of the stream's last append.
func (b *batch) decideAhead(r *request, prev, cache map[string]streamHead) bool {
	h, ok := b.heads[r.stream]
	if !ok {
		h, ok = prev[r.stream]
	}
	if !ok {
		h, ok = cache[r.stream]
	}
	if !ok || h.id == 0 || !r.expected.Allows(h.version) || mayBeTailRetry(r, h) {
		return false
	}
	b.results = append(b.results, b.seal(r, h))
	return true
}

// preparer fills a batch while the one before it commits.
type preparer struct {
	quit chan struct{}
	done chan struct{}
}

// startPreparer takes requests from the queue into next, up to maxBatch
// events, and decides what it can of them ahead (decideAhead), until stop.
// It reads prev's heads and the writer's cache, which nobody changes until
// stop returns.
func (s *Store) startPreparer(next, prev *batch) preparer {
	p := preparer{quit: make(chan struct{}), done: make(chan struct{})}
	go func() {
		defer close(p.done)
		ahead := true // false once a request was left to the writer
		for next.events < s.maxBatch {
			select {
			case r := <-s.queue:
				n := len(next.reqs)
				next.take(r)
				if !ahead || len(next.reqs) == n {
					continue
				}
				if next.now.IsZero() {
					next.now = next.clampedNow(s.w.clock())
				}
				ahead = next.decideAhead(r, prev.heads, s.w.cache)
			case <-p.quit:
				return
			}
		}
		<-p.quit
	}()
	return p
}

// stop ends the preparer and waits for it.
func (p preparer) stop() {
	close(p.quit)
	<-p.done
}
