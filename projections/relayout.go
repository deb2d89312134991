package projections

import (
	"context"
	"fmt"
	"time"
)

// A model built by Apply, one event at a time, has its records scattered
// over the heap among the requests' short-lived garbage; restored from
// its snapshot, the same records are allocated one after the other. The
// collector marks the scattered ones at several times the cost: on the
// read models of a 505,301-event ledger, 74–88 ms against 21 ms for the
// claims, 28–31 against 7.5 for the anomalies, 13–16 against 4.2 for the
// trail, 7–9 against 4 for the performance model (docs/performance.md,
// API round 9), and in a running server every
// collection marks them all again, while the requests wait. So after a
// live save, Run restores a fresh copy of each Relayer from the bytes the
// save has just written, brings it up to the live model's checkpoint from
// the log, and has the live model adopt it. Queries see either model, both
// at the same checkpoint. A snapshot that cannot be restored is found at
// once, not at the next start.

// A Relayer is a model the runner can renew from its own snapshot.
type Relayer interface {
	Projection
	// Restored returns a new model of the same kind and configuration,
	// restored from state (what MarshalState or a Freeze image of this
	// model wrote) and ready to be queried as the model is. The runner
	// calls it while Apply and queries go on, so it reads nothing of the
	// model that they change.
	Restored(state []byte) (Projection, error)
	// Adopt makes fresh's records the model's own. fresh came from
	// Restored and was brought to the model's checkpoint; the runner
	// holds its write lock and never uses fresh again.
	Adopt(fresh Projection)
}

// restoreFresh restores fresh, an empty model, from state: what most
// Relayers' Restored does.
func restoreFresh(fresh Projection, state []byte) (Projection, error) {
	if err := fresh.UnmarshalState(state); err != nil {
		return nil, err
	}
	return fresh, nil
}

// RelayoutStats is what the last relayout cost.
type RelayoutStats struct {
	// Restore is the time to restore the fresh models from the save's
	// bytes; Hold how long the final catch-up and the adoption held up
	// applying and Sync (queries wait only for the adoption); Duration
	// the whole relayout, most of it beside the live models.
	Restore, Hold, Duration time.Duration
	// Events is how many events the fresh models were brought forward.
	Events int
}

// A relayout brings the fresh models forward without the lock in at most
// maxFreePasses passes, stopping after one that applied fewer than
// fewEvents. In `bench api` (~20,000 events/s) one pass left ~6 ms of
// events to apply under the lock.
const (
	maxFreePasses = 4
	fewEvents     = 64
)

// relayout renews every Relayer of the runner from models, the states a
// save marshalled at checkpoint cp. On an error the live models are left
// as they were.
func (r *Runner) relayout(ctx context.Context, cp uint64, models [][]byte) error {
	start := time.Now()
	var live []Relayer
	var fresh []Projection
	for i, p := range r.projs {
		rl, ok := p.(Relayer)
		if !ok {
			continue
		}
		f, err := rl.Restored(models[i])
		if err != nil {
			return fmt.Errorf("projections: renew %s from its snapshot: %w", p.Name(), err)
		}
		live, fresh = append(live, rl), append(fresh, f)
	}
	if len(live) == 0 {
		return nil
	}
	st := RelayoutStats{Restore: time.Since(start)}
	restores := r.restores.Load()
	f := newFeeder(r.feeder.codec, fresh)
	at := cp
	// What happened since the save is applied without the lock, in
	// passes, each shorter than the one before, until one finds little
	// new; under the lock, only what was applied during the last.
	for range maxFreePasses {
		n := st.Events
		if err := r.bringForward(ctx, f, &at, &st, r.Checkpoint()); err != nil {
			return err
		}
		if st.Events-n < fewEvents {
			break
		}
	}
	if r.paused != nil {
		r.paused()
	}
	r.feed.Lock()
	defer r.feed.Unlock()
	// A failure to apply meanwhile put the live models back at the last
	// save, behind what the fresh ones may have applied: those are
	// dropped, and the next save renews the models.
	if r.restores.Load() != restores || r.Checkpoint() < at {
		return nil
	}
	held := time.Now()
	if err := r.bringForward(ctx, f, &at, &st, r.Checkpoint()); err != nil {
		return err
	}
	r.mu.Lock()
	for i, rl := range live {
		rl.Adopt(fresh[i])
	}
	r.mu.Unlock()
	st.Hold, st.Duration = time.Since(held), time.Since(start)
	r.lastRelayout.Store(&st)
	r.relayouts.Add(1)
	r.relayoutTime.Add(int64(st.Duration))
	return nil
}

// bringForward applies the log after *at up to position to through f,
// advancing *at.
func (r *Runner) bringForward(ctx context.Context, f *feeder, at *uint64, st *RelayoutStats, to uint64) error {
	for *at < to {
		evs, err := r.store.ReadAll(ctx, *at, DefaultBatch)
		if err != nil {
			return fmt.Errorf("projections: renew the models: read the log after %d: %w", *at, err)
		}
		n := 0
		for n < len(evs) && evs[n].Position <= to {
			n++
		}
		if n == 0 {
			return fmt.Errorf("projections: renew the models: the log ends at %d, before the checkpoint %d", *at, to)
		}
		b := batch{evs: evs[:n]}
		f.decode(&b)
		var pr Progress
		if err := f.apply(&b, n, &pr); err != nil {
			return fmt.Errorf("projections: renew the models: %w", err)
		}
		*at, st.Events = evs[n-1].Position, st.Events+n
	}
	return nil
}

// LastRelayout returns what the last relayout cost, and false before the
// first.
func (r *Runner) LastRelayout() (RelayoutStats, bool) {
	st := r.lastRelayout.Load()
	if st == nil {
		return RelayoutStats{}, false
	}
	return *st, true
}
