package projections

import (
	"context"
	"fmt"
	"sync"
)

// Sync brings the models up to at least position pos without saving them,
// so a caller that just appended at pos reads its own write. It returns at
// once when the models are already there, and otherwise only once every
// model includes pos, or with ctx's error when ctx is done first. Saving
// is left to Run (or to a later CatchUp): a snapshot per command would
// cost more than the command.
//
// Concurrent callers do not each queue to catch up: the first leads a
// catch-up to the log's end as far as one read reaches, the others wait
// for the checkpoint to pass their position. An event that fails to apply
// fails every caller left short of it.
func (r *Runner) Sync(ctx context.Context, pos uint64) error {
	for {
		// Taken before the checkpoint is read, so no batch applied after
		// the read goes unnoticed.
		wake := r.applied.wait()
		if r.Checkpoint() >= pos {
			return nil
		}
		rd, lead := r.syncing.join()
		if lead {
			applying, err := r.syncLead(ctx, pos)
			if applying {
				rd.err = err
			}
			r.syncing.end(rd)
			return err
		}
		select {
		case <-wake:
		case <-rd.done:
			if rd.err != nil && r.Checkpoint() < pos {
				return rd.err
			}
		case <-ctx.Done():
			return ctx.Err()
		}
	}
}

// syncLead applies the log after the checkpoint until the checkpoint
// reaches pos, a batch per read. applying says whether err is a failure
// to apply (which every waiter shares) rather than this caller's read or
// context (which another waiter may not meet).
func (r *Runner) syncLead(ctx context.Context, pos uint64) (applying bool, err error) {
	r.feed.Lock()
	defer r.feed.Unlock()
	for r.Checkpoint() < pos {
		pr := Progress{Position: r.Checkpoint()}
		evs, err := r.store.ReadAll(ctx, pr.Position, DefaultBatch)
		if err != nil {
			return false, fmt.Errorf("projections: read the log after %d: %w", pr.Position, err)
		}
		if len(evs) == 0 {
			return false, fmt.Errorf("projections: the log ends at %d, before position %d", pr.Position, pos)
		}
		// Decoded before the models are locked, so queries go on meanwhile.
		b := batch{evs: evs}
		r.feeder.decode(&b)
		if err := r.applyBatch(&b, &pr); err != nil {
			return true, err
		}
	}
	return false, nil
}

// syncRound tracks the catch-up one Sync caller leads for the others.
type syncRound struct {
	mu  sync.Mutex
	cur *round
}

// round is one led catch-up: done closes when it ends, err (set before)
// is its failure to apply, if any.
type round struct {
	done chan struct{}
	err  error
}

// join returns the round under way, or starts one that the caller leads.
func (s *syncRound) join() (rd *round, lead bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.cur != nil {
		return s.cur, false
	}
	s.cur = &round{done: make(chan struct{})}
	return s.cur, true
}

// end closes rd, letting the next caller lead.
func (s *syncRound) end(rd *round) {
	s.mu.Lock()
	s.cur = nil
	s.mu.Unlock()
	close(rd.done)
}

// signal wakes every goroutine waiting on it at once: wait returns a
// channel that the next broadcast closes.
type signal struct {
	mu sync.Mutex
	ch chan struct{}
}

func (g *signal) wait() <-chan struct{} {
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.ch == nil {
		g.ch = make(chan struct{})
	}
	return g.ch
}

func (g *signal) broadcast() {
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.ch != nil {
		close(g.ch)
		g.ch = nil
	}
}
