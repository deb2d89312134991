package sqlite

import (
	"sync"
	"unsafe"

	"github.com/haixi-hrss/fundledger/eventstore"
)

// The tail is the end of the global log kept in memory: the events this
// store's writer committed last, in commit order, so that the reads that
// follow writes (the ledger rereading a claim it has just appended to, the
// projections catching up on the last commit) are answered without a
// SQLite read transaction, each of which, after a commit, starts with an
// empty page cache.
//
// It is exact, never merely recent. It holds every event of the log in
// positions (start, end], where end is the log's end as of the last
// commit; the writer adds a batch after its COMMIT succeeded and before
// any appender of it is answered, so an acknowledged append is already in
// it, and nothing rolled back ever is. A read may use it only while the
// log still ends at end, which it checks against SQLite's wal-index header
// (see walHeader): the writer records the header its own commit left, and
// any later commit, by a second Store or another process, rewrites it. A
// read that finds it changed goes to SQLite; the writer empties the tail
// when it notices another writer's commit, so that what that writer did
// (even an edit of old rows through the sqlite3 shell) is never hidden.
type tail struct {
	watch *walWatch
	// maxEvents and maxBytes bound what it holds; the oldest events are
	// dropped first. With maxEvents 0 it holds nothing.
	maxEvents, maxBytes int

	mu    sync.RWMutex
	valid bool      // false until the writer's first commit, and after a foreign one
	hdr   walHeader // the wal-index header right after the commit that ended at end
	// ring holds the event at position p at ring[p%len(ring)], for p in
	// (start, end]; positions from this store's writer are dense.
	ring       []eventstore.Event
	start, end uint64
	bytes      int
	streams    map[string]*tailStream
	// ends maps streams to a version that no event of theirs reaches as
	// of end: the next version, for those this writer appended to; a
	// version a read found nothing at or after, for others (0 for a
	// stream that does not exist). A read from there on is empty.
	ends map[string]uint64
	// gen counts publishes and resets, so that learn can tell whether
	// what a read saw is still the state the tail describes.
	gen uint64
}

// tailStream is where a stream's events in the tail are: the one at
// position pos[i] has version first+i. A stream's events after its oldest
// one in the tail are all in the tail.
type tailStream struct {
	first uint64
	pos   []uint64
}

// Default bounds of the tail: at the API benchmark's few thousand appends
// a second, a second or two of commits, longer than a command's reads of
// the streams it wrote to trail behind.
const (
	defaultTailEvents = 8192
	defaultTailBytes  = 8 << 20
)

// maxEnds bounds the stream ends the tail remembers (a few megabytes);
// past it they are forgotten all at once, like the writer's head cache.
const maxEnds = 65536

func newTail(watch *walWatch, maxEvents, maxBytes int) *tail {
	return &tail{watch: watch, maxEvents: maxEvents, maxBytes: maxBytes,
		streams: make(map[string]*tailStream), ends: make(map[string]uint64)}
}

// eventSize is what an event is counted as against maxBytes.
func eventSize(e *eventstore.Event) int {
	m := &e.Metadata
	return int(unsafe.Sizeof(*e)) + len(e.Data) + len(e.Stream) + len(e.Type) + len(m.Actor) + len(m.Role) +
		len(m.CorrelationID) + len(m.CausationID) + len(m.IdempotencyKey) + len(m.EffectiveDate) + len(m.PolicyVersion)
}

// reset empties the tail and stops reads from using it until the next
// publish. The writer calls it when another writer has committed, or
// when its own commit failed.
func (t *tail) reset() {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.valid = false
	t.gen++
	clear(t.ring)
	clear(t.streams)
	clear(t.ends)
	t.start, t.end, t.bytes = 0, 0, 0
}

// publish adds events, just committed by the writer in this order, whose
// commit left the wal-index header hdr. The writer has checked that no
// other connection committed in between. Their Data must never be
// written to again.
func (t *tail) publish(events []eventstore.Event, hdr walHeader) {
	if t.maxEvents <= 0 {
		return
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	if len(events) == 0 {
		// A batch whose every request was refused: the log is as the tail
		// describes it, whatever the header now says.
		if t.valid && t.hdr != hdr {
			t.gen++
			t.hdr = hdr
		}
		return
	}
	if t.ring == nil {
		t.ring = make([]eventstore.Event, t.maxEvents)
	}
	t.gen++
	if first := events[0].Position; !t.valid || first != t.end+1 {
		// Empty, or not contiguous with what it holds: start afresh.
		clear(t.ring)
		clear(t.streams)
		clear(t.ends)
		t.start, t.end, t.bytes = first-1, first-1, 0
	}
	for i := range events {
		e := &events[i]
		for t.end-t.start >= uint64(len(t.ring)) {
			t.evict()
		}
		t.ring[e.Position%uint64(len(t.ring))] = *e
		t.end = e.Position
		t.bytes += eventSize(e)
		st := t.streams[e.Stream]
		if st == nil {
			st = &tailStream{first: e.Version}
			t.streams[e.Stream] = st
		}
		st.pos = append(st.pos, e.Position)
		t.setEnd(e.Stream, e.Version+1)
	}
	for t.bytes > t.maxBytes && t.end > t.start {
		t.evict()
	}
	t.hdr, t.valid = hdr, true
}

// evict drops the oldest event.
func (t *tail) evict() {
	t.start++
	slot := &t.ring[t.start%uint64(len(t.ring))]
	t.bytes -= eventSize(slot)
	if st := t.streams[slot.Stream]; len(st.pos) <= 1 {
		delete(t.streams, slot.Stream)
	} else {
		st.first++
		st.pos = st.pos[1:]
	}
	*slot = eventstore.Event{}
}

// current reports whether reads may use the tail: the caller holds t.mu
// shared.
func (t *tail) current() bool {
	if !t.valid {
		return false
	}
	hdr, ok := t.watch.header()
	return ok && hdr == t.hdr
}

// head is Head answered from the tail.
func (t *tail) head() (uint64, bool) {
	t.mu.RLock()
	defer t.mu.RUnlock()
	return t.end, t.current()
}

// readAll is ReadAllInto answered from the tail; ok is false when it
// cannot be.
func (t *tail) readAll(dst []eventstore.Event, after uint64, limit int) (_ []eventstore.Event, ok bool) {
	t.mu.RLock()
	defer t.mu.RUnlock()
	if after < t.start || !t.current() {
		return nil, false
	}
	n := t.end - min(after, t.end)
	if limit > 0 {
		n = min(n, uint64(limit))
	}
	out := dst[:0]
	if n == 0 {
		if out == nil {
			out = []eventstore.Event{}
		}
		return out, true
	}
	var c copier
	for p := after + 1; p <= after+n; p++ {
		c.size += len(t.ring[p%uint64(len(t.ring))].Data)
	}
	if uint64(cap(out)) < n {
		out = make([]eventstore.Event, 0, n)
	}
	for p := after + 1; p <= after+n; p++ {
		out = append(out, c.copy(&t.ring[p%uint64(len(t.ring))]))
	}
	return out, true
}

// readStream answers q from the tail if it can: when every event of the
// stream that q asks for is in the ring (the stream's oldest event there
// is at or before q.from, or is the stream's first, or there are enough
// of them for q backward), or when ends shows there is none. When it
// cannot, seen is the tail's state as it looked, for learn.
func (t *tail) readStream(q streamRead) (_ []eventstore.Event, ok bool, seen tailSeen) {
	t.mu.RLock()
	defer t.mu.RUnlock()
	seen = tailSeen{gen: t.gen, current: t.current()}
	if !seen.current {
		return nil, false, seen
	}
	end, known := t.ends[q.stream]
	if st := t.streams[q.stream]; st != nil {
		switch {
		case q.backward && (len(st.pos) >= q.limit || st.first == 0):
			return t.copyOut(st.pos[len(st.pos)-min(q.limit, len(st.pos)):], true), true, seen
		case !q.backward && q.from >= st.first:
			pos := st.pos[min(q.from-st.first, uint64(len(st.pos))):]
			if q.limit > 0 && len(pos) > q.limit {
				pos = pos[:q.limit]
			}
			return t.copyOut(pos, false), true, seen
		}
	}
	if known && ((q.backward && end == 0) || (!q.backward && q.from >= end)) {
		return []eventstore.Event{}, true, seen
	}
	return nil, false, seen
}

// tailSeen is the tail's state as a read that it could not answer began.
type tailSeen struct {
	gen     uint64
	current bool
}

// learn records where q's stream ends if events, q's answer from SQLite,
// shows it and was read from the state the tail describes: the tail was
// current when the read began (seen) and still is, unchanged, after it,
// so no commit came in between.
func (t *tail) learn(q streamRead, events []eventstore.Event, seen tailSeen) {
	var end uint64
	switch {
	case !seen.current:
		return
	case q.backward && q.limit == 0:
		return // asked for no events, so the answer says nothing of the stream
	case q.backward && len(events) > 0:
		end = events[0].Version + 1
	case q.backward:
		end = 0
	case q.limit > 0 && len(events) >= q.limit:
		return // the stream may go on
	case len(events) > 0:
		end = events[len(events)-1].Version + 1
	default:
		end = q.from
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.gen != seen.gen || !t.current() {
		return
	}
	if old, ok := t.ends[q.stream]; !ok || end < old {
		t.setEnd(q.stream, end)
	}
}

// setEnd records end for stream; the caller holds t.mu.
func (t *tail) setEnd(stream string, end uint64) {
	if _, ok := t.ends[stream]; !ok && len(t.ends) >= maxEnds {
		clear(t.ends)
	}
	t.ends[stream] = end
}

// copyOut copies the events at positions pos, in reverse when backward.
func (t *tail) copyOut(pos []uint64, backward bool) []eventstore.Event {
	var c copier
	for _, p := range pos {
		c.size += len(t.ring[p%uint64(len(t.ring))].Data)
	}
	out := make([]eventstore.Event, len(pos))
	for i, p := range pos {
		j := i
		if backward {
			j = len(pos) - 1 - i
		}
		out[j] = c.copy(&t.ring[p%uint64(len(t.ring))])
	}
	return out
}

// copier hands out copies of byte slices (events' Data) that share one
// allocation of size bytes, cut so that appending to one never writes
// into the next: callers may do what they like with what a read returns
// (the port's readers get their own copies), the tail's own Data stays
// as committed, and the writer owns what callers hand it (ownData).
type copier struct {
	size int
	buf  []byte
}

func (c *copier) bytes(b []byte) []byte {
	if c.buf == nil {
		c.buf = make([]byte, 0, c.size)
	}
	start := len(c.buf)
	c.buf = append(c.buf, b...)
	return c.buf[start:len(c.buf):len(c.buf)]
}

// copy returns e with its Data copied.
func (c *copier) copy(e *eventstore.Event) eventstore.Event {
	out := *e
	out.Data = c.bytes(e.Data)
	return out
}
