package projections

import (
	"context"

	"github.com/haixi-hrss/fundledger/eventstore"
)

type delivery struct {
	ev  eventstore.Event
	err error
}

// Run catches up, then follows the log live through the store's
// subscription from the checkpoint until ctx is done or an error occurs,
// which it returns (ctx.Err() on cancellation). It saves whenever it has
// drained every delivered event, or after DefaultBatch events, so a burst
// of appends costs one save, not one per event.
func (r *Runner) Run(ctx context.Context) error {
	r.feed.Lock()
	defer r.feed.Unlock()
	if _, err := r.catchUp(ctx); err != nil {
		return err
	}
	ctx, cancel := context.WithCancel(ctx)
	ch := make(chan delivery, DefaultBatch)
	go func() {
		defer close(ch)
		for ev, err := range r.store.Subscribe(ctx, r.Checkpoint()) {
			select {
			case ch <- delivery{ev, err}:
			case <-ctx.Done():
				return
			}
			if err != nil {
				return
			}
		}
	}()
	defer func() {
		cancel()
		for range ch { // let the subscription goroutine end
		}
	}()
	var pending Progress
	for d := range ch {
		if d.err != nil {
			if pending.Events > 0 {
				if err := r.save(); err != nil {
					return err
				}
			}
			return d.err
		}
		if err := r.apply(&d.ev, &pending); err != nil {
			return err
		}
		if len(ch) == 0 || pending.Events >= DefaultBatch {
			if err := r.save(); err != nil {
				return err
			}
			pending = Progress{}
		}
	}
	return ctx.Err()
}
