package sqlite

import (
	"context"
	"iter"
	"sync"

	"github.com/haixi-hrss/fundledger/eventstore"
)

// subscribePage is how many events a subscription reads per query.
const subscribePage = 512

// Subscribe implements eventstore.Store. It pages through ReadAll and, once
// caught up, waits for the writer's next commit. The commit signal is taken
// before each read, so a commit that lands between the read and the wait
// still wakes it: no event is missed, and reading after the last delivered
// position means none is delivered twice. It ends with ErrClosed when the
// store is closed.
func (s *Store) Subscribe(ctx context.Context, after uint64) iter.Seq2[eventstore.Event, error] {
	return func(yield func(eventstore.Event, error) bool) {
		for {
			committed := s.commits.wait()
			page, err := s.ReadAll(ctx, after, subscribePage)
			if err != nil {
				if ctx.Err() != nil {
					err = ctx.Err() // the port promises ctx.Err() itself
				}
				yield(eventstore.Event{}, err)
				return
			}
			for _, e := range page {
				if !yield(e, nil) {
					return
				}
				after = e.Position
			}
			// Only an empty page proves the subscription caught up: a
			// short one may just be the last page of a burst.
			if len(page) > 0 {
				continue
			}
			select {
			case <-committed:
			case <-ctx.Done():
				yield(eventstore.Event{}, ctx.Err())
				return
			case <-s.done:
				yield(eventstore.Event{}, eventstore.ErrClosed)
				return
			}
		}
	}
}

// signal wakes everyone waiting for the next commit: wait returns a channel
// that broadcast closes (and replaces).
type signal struct {
	mu sync.Mutex
	ch chan struct{}
}

func (g *signal) init() { g.ch = make(chan struct{}) }

func (g *signal) wait() <-chan struct{} {
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.ch
}

func (g *signal) broadcast() {
	g.mu.Lock()
	defer g.mu.Unlock()
	close(g.ch)
	g.ch = make(chan struct{})
}
