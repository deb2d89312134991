package projections

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/haixi-hrss/fundledger/eventstore"
	"github.com/haixi-hrss/fundledger/ledger/codec"
)

// DefaultBatch is how many events one read of the log returns, and the most
// a runner applies between two saves.
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
	// Applied counts the events handed to the projections; the rest were
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
	return replay(ctx, store, c, 0, nil, progress, projs)
}

// AsOf empties projs and folds into them only the events recorded at or
// before t. Because RecordedAt never decreases along the log, they form a
// prefix of it, and the replay stops at the first later event.
func AsOf(ctx context.Context, store eventstore.Store, c *codec.Codec, t time.Time, projs ...Projection) (Progress, error) {
	for _, p := range projs {
		p.Reset()
	}
	after := func(ev *eventstore.Event) bool { return ev.RecordedAt.After(t) }
	return replay(ctx, store, c, 0, after, nil, projs)
}

// replay folds the events after position from into projs until the log
// ends or stop reports an event that must not be applied. progress is
// called after each batch.
func replay(ctx context.Context, store eventstore.Store, c *codec.Codec, from uint64, stop func(*eventstore.Event) bool,
	progress func(Progress), projs []Projection) (Progress, error) {
	pr := Progress{Position: from}
	for {
		evs, err := store.ReadAll(ctx, pr.Position, DefaultBatch)
		if err != nil {
			return pr, fmt.Errorf("projections: read the log after %d: %w", pr.Position, err)
		}
		if len(evs) == 0 {
			return pr, nil
		}
		for i := range evs {
			if stop != nil && stop(&evs[i]) {
				return pr, nil
			}
			applied, err := applyEvent(c, projs, &evs[i])
			if err != nil {
				return pr, err
			}
			pr.Position = evs[i].Position
			pr.Events++
			if applied {
				pr.Applied++
			}
		}
		if progress != nil {
			progress(pr)
		}
	}
}

// applyEvent decodes ev and hands it to every projection. It reports false
// for an event it skips: a ledger record, or a type c does not know. A
// payload that does not decode is an error, never skipped, because a read
// model that silently missed money would be wrong without anyone knowing.
func applyEvent(c *codec.Codec, projs []Projection, ev *eventstore.Event) (bool, error) {
	for _, prefix := range ledgerStreams {
		if strings.HasPrefix(ev.Stream, prefix) {
			return false, nil
		}
	}
	d, err := c.Decode(ev)
	if errors.Is(err, codec.ErrUnknownType) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("projections: decode %s version %d (position %d): %w", ev.Stream, ev.Version, ev.Position, err)
	}
	for _, p := range projs {
		if err := p.Apply(d, ev); err != nil {
			return false, fmt.Errorf("projections: %s: apply %s at position %d: %w", p.Name(), ev.Type, ev.Position, err)
		}
	}
	return true, nil
}
