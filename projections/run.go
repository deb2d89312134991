package projections

import (
	"context"
	"time"

	"github.com/haixi-hrss/fundledger/eventstore"
)

// SaveInterval is how often Run considers saving the snapshot, and the
// least time between two of its saves (see liveSaveDue).
const SaveInterval = time.Second

type delivery struct {
	ev  eventstore.Event
	err error
}

// Run catches up, then follows the log live through the store's
// subscription from the checkpoint until ctx is done or an error occurs,
// which it returns (ctx.Err() on cancellation). It saves once
// liveSaveEvents have been applied since the last save, or after
// maxLiveSaveGap when fewer have, less often when saves are slow (see
// liveSaveDue), and once more on the way out. After each save but the
// last it renews the Relayers from what it saved (see Relayer). Sync may
// run beside it: each applies only events past the checkpoint.
func (r *Runner) Run(ctx context.Context) error {
	if _, err := r.CatchUp(ctx); err != nil {
		return err
	}
	// Sync may have applied events that no save holds yet, so the first
	// save writes whatever the checkpoint.
	saved, savedAt := ^uint64(0), time.Now()
	save := func() ([][]byte, error) {
		if r.Checkpoint() == saved {
			return nil, nil
		}
		at, models, err := r.saveAt(false)
		if err != nil {
			return nil, err
		}
		saved, savedAt = at, time.Now()
		return models, nil
	}
	final := func(err error) error {
		_, serr := save()
		return firstErr(serr, err)
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
	tick := time.NewTicker(SaveInterval)
	defer tick.Stop()
	for {
		select {
		case d, ok := <-ch:
			if !ok {
				return final(ctx.Err())
			}
			if d.err != nil {
				return final(d.err)
			}
			ended, err := r.applyDelivered(d.ev, ch)
			if err != nil {
				return err
			}
			if ended != nil {
				return final(ended)
			}
		case <-tick.C:
			if !r.liveSaveDue(savedAt) {
				continue
			}
			models, err := save()
			if err != nil {
				return err
			}
			if models != nil {
				if err := r.relayout(ctx, saved, models); err != nil {
					if ctx.Err() != nil {
						// Stopped mid-way: the models are whole, and
						// saved on the way out as at any stop.
						return final(ctx.Err())
					}
					return err
				}
				savedAt = time.Now()
			}
		}
	}
}

// applyDelivered applies ev and every delivery already buffered behind it
// (up to DefaultBatch) as one batch, skipping events Sync has applied
// already. It returns the subscription's end (its error) separately from
// a failure to apply.
func (r *Runner) applyDelivered(ev eventstore.Event, ch <-chan delivery) (ended, err error) {
	r.feed.Lock()
	defer r.feed.Unlock()
	cp := r.Checkpoint()
	var b batch
	add := func(ev eventstore.Event) {
		if ev.Position > cp {
			b.evs = append(b.evs, ev)
		}
	}
	add(ev)
	for len(ch) > 0 && len(b.evs) < DefaultBatch {
		d, ok := <-ch
		if !ok {
			break
		}
		if d.err != nil {
			ended = d.err
			break
		}
		add(d.ev)
	}
	if len(b.evs) > 0 {
		r.feeder.decode(&b)
		var pr Progress
		if err := r.applyBatch(&b, &pr); err != nil {
			return nil, err
		}
	}
	return ended, nil
}

// firstErr returns the first non-nil error.
func firstErr(errs ...error) error {
	for _, err := range errs {
		if err != nil {
			return err
		}
	}
	return nil
}
