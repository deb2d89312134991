package projections

import (
	"context"
	"fmt"
	"time"

	"github.com/haixi-hrss/fundledger/eventstore"
	"github.com/haixi-hrss/fundledger/ledger/codec"
)

// DefaultBatch is how many events one read of the log returns; a runner
// applies a whole batch between two looks at its save schedule.
const DefaultBatch = 1000

// ledgerStreams are the prefixes of the ledger's own record streams
// (idempotency keys, uniqueness reservations): bookkeeping of the write
// side that no read model folds.
var ledgerStreams = []string{"idem-", "uniq-"}

// Progress says how far a catch-up, rebuild or as-of replay got.
type Progress struct {
	// Position is the global position of the last event read (the
	// checkpoint); 0 when nothing was read.
	Position uint64
	// Events counts the events read.
	Events int
	// Applied counts the events of known types outside the ledger's own
	// record streams, which the projections were offered; the rest were
	// skipped (ledger records and types the codec does not know).
	Applied int
}

// Rebuild empties projs and replays the whole log into them, calling
// progress (if not nil) after each batch. It returns the final progress,
// whose Position is the checkpoint the models are valid at.
func Rebuild(ctx context.Context, store eventstore.Store, c *codec.Codec, progress func(Progress), projs ...Projection) (Progress, error) {
	for _, p := range projs {
		p.Reset()
	}
	return replay(ctx, store, newFeeder(c, projs), 0, nil, progress)
}

// AsOf empties projs and folds into them only the events recorded at or
// before t. Because RecordedAt never decreases along the log, they form a
// prefix of it, and the replay stops at the first later event.
func AsOf(ctx context.Context, store eventstore.Store, c *codec.Codec, t time.Time, projs ...Projection) (Progress, error) {
	for _, p := range projs {
		p.Reset()
	}
	after := func(ev *eventstore.Event) bool { return ev.RecordedAt.After(t) }
	return replay(ctx, store, newFeeder(c, projs), 0, after, nil)
}

// replay folds the events after position from into f's projections until
// the log ends or stop reports an event that must not be applied.
// progress is called after each batch. The log is read and decoded ahead
// of the projections on other goroutines.
func replay(ctx context.Context, store eventstore.Store, f *feeder, from uint64, stop func(*eventstore.Event) bool,
	progress func(Progress)) (Progress, error) {
	pr := Progress{Position: from}
	ra := f.readAhead(ctx, store, from)
	defer ra.stop()
	for b := range ra.batches {
		if b.err != nil {
			return pr, b.err
		}
		n := 0
		for n < len(b.evs) && (stop == nil || !stop(&b.evs[n])) {
			n++
		}
		if err := f.apply(&b, n, &pr); err != nil {
			return pr, err
		}
		if n < len(b.evs) {
			return pr, nil
		}
		ra.applied(&b)
		if progress != nil {
			progress(pr)
		}
	}
	return pr, ctx.Err()
}

// errApply wraps a projection's failure to apply an event.
func errApply(p Projection, ev *eventstore.Event, err error) error {
	return fmt.Errorf("projections: %s: apply %s at position %d: %w", p.Name(), ev.Type, ev.Position, err)
}
