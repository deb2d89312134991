package ledger

import (
	"container/list"
	"sync"
)

// DefaultCachedStreams is how many streams' folded states a Service keeps
// by default (see WithCachedStreams).
const DefaultCachedStreams = 256

// stateCache keeps the folded state of recently used streams, least
// recently used first out. An entry only says "the stream folded up to
// next-1 gives state": a user still reads the events from next on and
// appends with that version as the expected one, so the store, not the
// cache, decides whether the state is current.
type stateCache struct {
	mu      sync.Mutex
	limit   int
	order   *list.List // of *cached, most recently used at the front
	entries map[string]*list.Element
}

type cached struct {
	stream string
	next   uint64 // the version the stream's next event gets
	state  any
}

func newStateCache(limit int) *stateCache {
	return &stateCache{limit: limit, order: list.New(), entries: make(map[string]*list.Element)}
}

// get returns stream's cached state and the version after it, if any.
// The state must not be changed: other callers share it.
func (c *stateCache) get(stream string) (state any, next uint64, ok bool) {
	if c.limit == 0 {
		return nil, 0, false
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	el, ok := c.entries[stream]
	if !ok {
		return nil, 0, false
	}
	c.order.MoveToFront(el)
	e := el.Value.(*cached)
	return e.state, e.next, true
}

// put records state as stream's fold up to next-1, unless the cache
// already holds a later fold (a concurrent caller got further).
func (c *stateCache) put(stream string, next uint64, state any) {
	if c.limit == 0 {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if el, ok := c.entries[stream]; ok {
		c.order.MoveToFront(el)
		if e := el.Value.(*cached); e.next <= next {
			e.next, e.state = next, state
		}
		return
	}
	c.entries[stream] = c.order.PushFront(&cached{stream: stream, next: next, state: state})
	for c.order.Len() > c.limit {
		oldest := c.order.Back()
		c.order.Remove(oldest)
		delete(c.entries, oldest.Value.(*cached).stream)
	}
}

// drop forgets stream.
func (c *stateCache) drop(stream string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if el, ok := c.entries[stream]; ok {
		c.order.Remove(el)
		delete(c.entries, stream)
	}
}
