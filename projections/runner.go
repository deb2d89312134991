package projections

import (
	"context"
	"encoding/json"
	"fmt"
	"path/filepath"
	"sync"

	"github.com/haixi-hrss/fundledger/eventstore"
	"github.com/haixi-hrss/fundledger/ledger/codec"
)

// Runner keeps a set of projections up to date with the log and persists
// them with their checkpoint. Its methods are safe for concurrent use;
// CatchUp, Run and Rebuild exclude one another.
type Runner struct {
	store eventstore.Store
	codec *codec.Codec
	path  string
	projs []Projection

	// feed serialises the writers of the models (catch-up, run, rebuild).
	feed sync.Mutex
	// mu guards the models and the checkpoint against queries.
	mu         sync.RWMutex
	checkpoint uint64
}

// NewRunner returns a runner over store that keeps its snapshot in dir
// (SnapshotFile). It restores projs and the checkpoint from the snapshot;
// when there is none, or it lacks one of projs (a projection added since),
// every model starts empty at checkpoint 0, so the next catch-up rebuilds
// them all from the same position.
func NewRunner(store eventstore.Store, c *codec.Codec, dir string, projs ...Projection) (*Runner, error) {
	seen := make(map[string]bool, len(projs))
	for _, p := range projs {
		if seen[p.Name()] {
			return nil, fmt.Errorf("projections: two projections named %q", p.Name())
		}
		seen[p.Name()] = true
	}
	r := &Runner{store: store, codec: c, path: filepath.Join(dir, SnapshotFile), projs: projs}
	if err := r.restore(); err != nil {
		return nil, err
	}
	return r, nil
}

// restore sets the models and the checkpoint to the saved snapshot.
func (r *Runner) restore() error {
	s, err := loadSnapshot(r.path)
	if err != nil {
		return err
	}
	r.checkpoint = 0
	for _, p := range r.projs {
		p.Reset()
	}
	for _, p := range r.projs {
		if _, ok := s.Models[p.Name()]; !ok {
			for _, q := range r.projs {
				q.Reset()
			}
			return nil
		}
	}
	for _, p := range r.projs {
		if err := p.UnmarshalState(s.Models[p.Name()]); err != nil {
			return fmt.Errorf("projections: restore %s: %w", p.Name(), err)
		}
	}
	r.checkpoint = s.Checkpoint
	return nil
}

// Checkpoint returns the global position the models are valid at.
func (r *Runner) Checkpoint() uint64 {
	r.mu.RLock()
	defer r.mu.RUnlock()
	return r.checkpoint
}

// Read calls fn while no event is being applied, so fn sees the models at
// one checkpoint, which it is given. fn must not keep references into the
// models after it returns.
func (r *Runner) Read(fn func(checkpoint uint64)) {
	r.mu.RLock()
	defer r.mu.RUnlock()
	fn(r.checkpoint)
}

// CatchUp applies every event after the checkpoint, saving after each
// batch, and returns what it read in this call. On an error the models and
// the checkpoint are back at the last save, so nothing half-applied stays.
func (r *Runner) CatchUp(ctx context.Context) (Progress, error) {
	r.feed.Lock()
	defer r.feed.Unlock()
	return r.catchUp(ctx)
}

func (r *Runner) catchUp(ctx context.Context) (Progress, error) {
	var total Progress
	for {
		pr, err := r.catchUpBatch(ctx)
		total.Position, total.Events, total.Applied = pr.Position, total.Events+pr.Events, total.Applied+pr.Applied
		if err != nil || pr.Events == 0 {
			return total, err
		}
	}
}

// apply folds one event into the models and advances the checkpoint
// (in memory; save persists it). On an error it restores the last save.
func (r *Runner) apply(ev *eventstore.Event, pr *Progress) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	applied, err := applyEvent(r.codec, r.projs, ev)
	if err != nil {
		if rerr := r.restore(); rerr != nil {
			return fmt.Errorf("%w (and restoring the snapshot failed: %v)", err, rerr)
		}
		return err
	}
	r.checkpoint = ev.Position
	pr.Position = ev.Position
	pr.Events++
	if applied {
		pr.Applied++
	}
	return nil
}

// save persists every model with the checkpoint.
func (r *Runner) save() error {
	r.mu.RLock()
	s := snapshot{Format: snapshotFormat, Checkpoint: r.checkpoint, Models: make(map[string]json.RawMessage, len(r.projs))}
	for _, p := range r.projs {
		data, err := p.MarshalState()
		if err != nil {
			r.mu.RUnlock()
			return fmt.Errorf("projections: marshal %s: %w", p.Name(), err)
		}
		s.Models[p.Name()] = data
	}
	r.mu.RUnlock()
	return saveSnapshot(r.path, s)
}

// Rebuild empties the models and replays the whole log into them, saving
// after each batch and calling progress (if not nil) after each save.
// Each save holds a consistent prefix, so a crash mid-rebuild resumes it.
func (r *Runner) Rebuild(ctx context.Context, progress func(Progress)) (Progress, error) {
	r.feed.Lock()
	defer r.feed.Unlock()
	r.mu.Lock()
	for _, p := range r.projs {
		p.Reset()
	}
	r.checkpoint = 0
	r.mu.Unlock()
	if err := r.save(); err != nil {
		return Progress{}, err
	}
	var total Progress
	for {
		pr, err := r.catchUpBatch(ctx)
		total.Position, total.Events, total.Applied = pr.Position, total.Events+pr.Events, total.Applied+pr.Applied
		if err != nil || pr.Events == 0 {
			return total, err
		}
		if progress != nil {
			progress(total)
		}
	}
}

// catchUpBatch applies and saves one batch.
func (r *Runner) catchUpBatch(ctx context.Context) (Progress, error) {
	pr := Progress{Position: r.Checkpoint()}
	evs, err := r.store.ReadAll(ctx, pr.Position, DefaultBatch)
	if err != nil {
		return pr, fmt.Errorf("projections: read the log after %d: %w", pr.Position, err)
	}
	for i := range evs {
		if err := r.apply(&evs[i], &pr); err != nil {
			return pr, err
		}
	}
	if len(evs) == 0 {
		return pr, nil
	}
	return pr, r.save()
}
