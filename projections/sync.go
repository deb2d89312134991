package projections

import (
	"context"
	"fmt"
)

// Sync brings the models up to at least position pos without saving them,
// so a caller that just appended at pos reads its own write. It returns at
// once when the models are already there. Saving is left to Run (or to a
// later CatchUp): a snapshot per command would cost more than the command.
func (r *Runner) Sync(ctx context.Context, pos uint64) error {
	if r.Checkpoint() >= pos {
		return nil
	}
	r.feed.Lock()
	defer r.feed.Unlock()
	for r.Checkpoint() < pos {
		pr := Progress{Position: r.Checkpoint()}
		evs, err := r.store.ReadAll(ctx, pr.Position, DefaultBatch)
		if err != nil {
			return fmt.Errorf("projections: read the log after %d: %w", pr.Position, err)
		}
		if len(evs) == 0 {
			return fmt.Errorf("projections: the log ends at %d, before position %d", pr.Position, pos)
		}
		for i := range evs {
			if err := r.apply(&evs[i], &pr); err != nil {
				return err
			}
		}
	}
	return nil
}
