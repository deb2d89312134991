package projections

import (
	"context"
	"fmt"
	"path/filepath"
	"runtime/debug"
	"sync"
	"sync/atomic"
	"time"

	"github.com/haixi-hrss/fundledger/eventstore"
	"github.com/haixi-hrss/fundledger/ledger/codec"
)

// Runner keeps a set of projections up to date with the log and persists
// them with their checkpoint. Its methods are safe for concurrent use;
// CatchUp, Run and Rebuild exclude one another.
type Runner struct {
	store eventstore.Store
	// feeder decodes events for projs and applies them.
	feeder *feeder
	path   string
	projs  []Projection

	// feed serialises the writers of the models (catch-up, run, rebuild,
	// sync). Saving does not hold it: a save takes the models' images
	// under mu and marshals and writes them under save alone, so
	// commands waiting on Sync never queue behind the marshalling or an
	// fsync.
	feed sync.Mutex
	// mu guards the models against queries. checkpoint is stored only
	// under its write lock, so a Read begun after a load sees models at
	// least that far; it is atomic so that Checkpoint (and Sync's check)
	// need not wait for a batch being applied.
	mu         sync.RWMutex
	checkpoint atomic.Uint64
	// applied is broadcast after each batch is applied, waking Sync's
	// waiters to look at the checkpoint again.
	applied signal
	// syncing is the catch-up one Sync caller runs for all of them, if any.
	syncing syncRound
	// save serialises saves, so snapshots are written in the order their
	// models were taken and the file never goes back to an older one.
	save sync.Mutex
	// writeSnapshot writes the marshalled models to disk (saveSnapshot; a test
	// slows it down).
	writeSnapshot func(path string, cp uint64, projs []Projection, models [][]byte) error
	// lastStats is the last save's SaveStats, nil before the first; a
	// long save makes the next ones come later (saveDue, liveSaveDue).
	lastStats atomic.Pointer[SaveStats]
	// events counts the events applied to the models since NewRunner,
	// stored under mu's write lock; lastSaved is its value at the last
	// save (0 before the first), so a live save can wait for work that a
	// restart would otherwise replay (liveSaveDue).
	events, lastSaved atomic.Uint64
	// saveEvents is liveSaveEvents but in tests.
	saveEvents uint64
	// lastRelayout is the last relayout's RelayoutStats, nil before the
	// first. restores counts the restores, so a relayout can tell that
	// the models went back to the last save while it ran; paused, set by
	// a test, runs between a relayout's passes without the lock and the
	// one with it.
	lastRelayout atomic.Pointer[RelayoutStats]
	restores     atomic.Uint64
	paused       func()
	// The running totals Totals reports.
	saves, relayouts       atomic.Uint64
	saveTime, relayoutTime atomic.Int64
	// refused is why the snapshot found at the last restore was not
	// used, if it was in a format this build does not read.
	refused error
}

// NewRunner returns a runner over store that keeps its snapshot in dir
// (SnapshotFile). It restores projs and the checkpoint from the snapshot;
// when there is none, it lacks one of projs (a projection added since), or
// it is in a format this build does not read (see Refused), every model
// starts empty at checkpoint 0, so the next catch-up rebuilds them all
// from the same position.
func NewRunner(store eventstore.Store, c *codec.Codec, dir string, projs ...Projection) (*Runner, error) {
	seen := make(map[string]bool, len(projs))
	for _, p := range projs {
		if seen[p.Name()] {
			return nil, fmt.Errorf("projections: two projections named %q", p.Name())
		}
		seen[p.Name()] = true
	}
	r := &Runner{store: store, feeder: newFeeder(c, projs), path: filepath.Join(dir, SnapshotFile), projs: projs,
		writeSnapshot: saveSnapshot, saveEvents: liveSaveEvents}
	if err := r.restore(); err != nil {
		return nil, err
	}
	return r, nil
}

// restore sets the models and the checkpoint to the saved snapshot.
func (r *Runner) restore() error {
	r.restores.Add(1)
	r.checkpoint.Store(0)
	for _, p := range r.projs {
		p.Reset()
	}
	cp, refused, err := loadSnapshot(r.path, r.projs)
	r.refused = refused
	if err != nil {
		for _, p := range r.projs {
			p.Reset()
		}
		return err
	}
	r.checkpoint.Store(cp)
	r.lastSaved.Store(r.events.Load())
	return nil
}

// Refused returns why the snapshot NewRunner found was set aside, matching
// ErrSnapshotFormat, or nil if it was used or there was none. The models
// then start empty at checkpoint 0 and the next catch-up rebuilds them,
// which on a large ledger takes a while a caller may want to explain.
func (r *Runner) Refused() error {
	r.mu.RLock()
	defer r.mu.RUnlock()
	return r.refused
}

// Checkpoint returns the global position the models are valid at.
func (r *Runner) Checkpoint() uint64 {
	return r.checkpoint.Load()
}

// Read calls fn while no event is being applied, so fn sees the models at
// one checkpoint, which it is given. fn must not keep references into the
// models after it returns.
func (r *Runner) Read(fn func(checkpoint uint64)) {
	r.mu.RLock()
	defer r.mu.RUnlock()
	fn(r.checkpoint.Load())
}

// CatchUp applies every event after the checkpoint and returns what it
// read in this call. It saves as it goes (see saveDue) and once at the
// end. On an error the models and the checkpoint are back at the last
// save, so nothing half-applied stays.
func (r *Runner) CatchUp(ctx context.Context) (Progress, error) {
	r.feed.Lock()
	defer r.feed.Unlock()
	return r.catchUp(ctx, nil)
}

// catchUp feeds the models from the checkpoint to the end of the log,
// reading and decoding ahead of them, calling progress after each batch.
func (r *Runner) catchUp(ctx context.Context, progress func(Progress)) (Progress, error) {
	pr := Progress{Position: r.Checkpoint()}
	ra := r.feeder.readAhead(ctx, r.store, pr.Position)
	defer ra.stop()
	saved, unsaved := time.Now(), false
	for b := range ra.batches {
		if b.err != nil {
			return pr, r.unsavedFailure(unsaved, b.err)
		}
		if err := r.applyBatch(&b, &pr); err != nil {
			return pr, err
		}
		ra.applied(&b)
		unsaved = true
		if progress != nil {
			progress(pr)
		}
		if r.saveDue(saved) {
			if err := r.saveModels(); err != nil {
				return pr, err
			}
			saved, unsaved = time.Now(), false
		}
	}
	if err := ctx.Err(); err != nil {
		return pr, r.unsavedFailure(unsaved, err)
	}
	if unsaved {
		return pr, r.saveModels()
	}
	return pr, nil
}

// unsavedFailure ends a catch-up that could not read on: what was applied
// is whole and is saved, so the next catch-up resumes after it.
func (r *Runner) unsavedFailure(unsaved bool, err error) error {
	if unsaved {
		if serr := r.saveModels(); serr != nil {
			return fmt.Errorf("%w (and saving what was applied failed: %v)", err, serr)
		}
	}
	return err
}

// catchUpSaveInterval is how often a long catch-up or rebuild saves: a
// crash then costs at most this much replay again. A snapshot of a
// large ledger takes seconds to write (about 4 s at 1,000,000 events), so
// saving every SaveInterval would make replaying it take several times as
// long.
const catchUpSaveInterval = 10 * time.Second

// rebuildGCPercent is the garbage collector's target during Rebuild. A
// replay reads, decodes and drops about 1.6 GB per million events while
// the models it fills grow to a few hundred megabytes, and every
// collection marks those models again: at the default 100 the collector
// took about a sixth of a rebuild's CPU, at 300 it takes about half as
// much, and the rebuild's peak resident memory stays about 0.9 GB
// (docs/performance.md).
const rebuildGCPercent = 300

// saveDue reports whether a catch-up that last saved at last should save
// now: after catchUpSaveInterval, and never spending more than about an
// eighth of its time saving.
func (r *Runner) saveDue(last time.Time) bool {
	return time.Since(last) >= max(catchUpSaveInterval, 8*r.lastSaveDuration())
}

// liveSaveFactor bounds how much of Run's time goes to saving: it saves no
// sooner than this many times the last save's duration (with the
// relayout after it) after the last save. A save marshals every model
// (tens of megabytes on a large ledger) on the processors the commands
// use, and a projection that is not a
// Freezer stops applying while it is marshalled; before the large models
// froze their state, at one save a second those stalls made the API's
// command p99 (docs/performance.md, round 4c). The price: a restart may
// replay up to that longer gap from the log, never more than
// maxLiveSaveGap.
const liveSaveFactor = 20

// liveSaveEvents is how many events Run applies before it saves again
// (unless maxLiveSaveGap passes first): what a restart after a crash
// replays beyond the snapshot, about 0.6 s on the development machine
// (`fundledger rebuild` of a 505,301-event `bench api` ledger took 2.0 s
// with its final save). A snapshot is there to bound that replay, and
// each save rewrites every model whole (74 MB for 28,000 claims) on a
// processor the commands use, so a save that would spare a restart less
// than that is not worth its stall: saving by the clock instead, `bench
// api` saved five times in its first 20 s (at 1, 3, 6, 10 and 18 s),
// where it now saves once (docs/performance.md, API round 9).
const liveSaveEvents = 200_000

// maxLiveSaveGap caps the gap between live saves of a ledger that moved,
// so a quiet server's snapshot does not stay behind for long either.
const maxLiveSaveGap = 30 * time.Second

// liveSaveDue reports whether Run, which last saved at last, should save
// now: once liveSaveEvents have been applied since that save, after
// SaveInterval and no sooner than liveSaveFactor times the last save's
// and relayout's duration; in any case after maxLiveSaveGap. Run saves
// only when the checkpoint moved.
func (r *Runner) liveSaveDue(last time.Time) bool {
	since := time.Since(last)
	if since >= maxLiveSaveGap {
		return true
	}
	relaid, _ := r.LastRelayout()
	gap := max(SaveInterval, liveSaveFactor*(r.lastSaveDuration()+relaid.Duration))
	return since >= gap && r.events.Load()-r.lastSaved.Load() >= r.saveEvents
}

// applyBatch folds b into the models under one hold of the lock and
// advances the checkpoint (in memory; saveModels persists it), then wakes
// Sync's waiters. On an error it restores the last save. The caller holds
// feed.
func (r *Runner) applyBatch(b *batch, pr *Progress) error {
	if err := r.applyLocked(b, pr); err != nil {
		return err
	}
	r.applied.broadcast()
	return nil
}

func (r *Runner) applyLocked(b *batch, pr *Progress) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	if err := r.feeder.apply(b, len(b.evs), pr); err != nil {
		return r.failed(err)
	}
	// Stored once the whole batch is in: Checkpoint does not take mu, and
	// must never show a position that a failure later in the batch undoes.
	if n := len(b.evs); n > 0 {
		r.checkpoint.Store(b.evs[n-1].Position)
		r.events.Add(uint64(n))
	}
	return nil
}

// failed restores the last save after err; the caller holds mu.
func (r *Runner) failed(err error) error {
	if rerr := r.restore(); rerr != nil {
		return fmt.Errorf("%w (and restoring the snapshot failed: %v)", err, rerr)
	}
	return err
}

// saveModels persists every model with the checkpoint. The models are
// taken at one checkpoint while nothing is applied (a Freezer's image in
// constant time, any other projection marshalled then); the images are
// marshalled and the file written holding only save, so applying (and
// Sync) and queries go on meanwhile.
func (r *Runner) saveModels() error {
	_, _, err := r.saveAt(true)
	return err
}

// saveAt is saveModels, returning the checkpoint it saved and the
// models' states as written. parallel
// marshals the frozen images on a goroutine each, for a save that nothing
// else waits beside (catch-up, rebuild); Run's saves
// marshal them one after the other, so that a save never takes both of a
// small server's cores from the requests it serves (docs/performance.md,
// API round 5, 09c633a).
func (r *Runner) saveAt(parallel bool) (uint64, [][]byte, error) {
	r.save.Lock()
	defer r.save.Unlock()
	start := time.Now()
	// The write lock, not the read lock: Freeze starts a new generation
	// of the model's copy-on-write, which no query may see half done.
	r.mu.Lock()
	taken := time.Now()
	cp, events := r.checkpoint.Load(), r.events.Load()
	frozen := freezeModels(r.projs)
	hold := time.Since(taken)
	r.mu.Unlock()
	models, err := frozen.finish(r.projs, parallel)
	if err != nil {
		return 0, nil, err
	}
	if err := r.writeSnapshot(r.path, cp, r.projs, models); err != nil {
		return 0, nil, err
	}
	st := SaveStats{Checkpoint: cp, Hold: hold, Duration: time.Since(start)}
	for _, m := range models {
		st.Bytes += len(m)
	}
	r.lastStats.Store(&st)
	r.lastSaved.Store(events)
	r.saves.Add(1)
	r.saveTime.Add(int64(st.Duration))
	return cp, models, nil
}

// lastSaveDuration is how long the last save took, 0 before the first.
func (r *Runner) lastSaveDuration() time.Duration {
	st, _ := r.LastSave()
	return st.Duration
}

// Totals are a runner's snapshot saves and relayouts since NewRunner, and
// the time they took in all.
type Totals struct {
	Saves, Relayouts       uint64
	SaveTime, RelayoutTime time.Duration
}

// Totals returns the runner's saves and relayouts so far.
func (r *Runner) Totals() Totals {
	return Totals{Saves: r.saves.Load(), SaveTime: time.Duration(r.saveTime.Load()),
		Relayouts: r.relayouts.Load(), RelayoutTime: time.Duration(r.relayoutTime.Load())}
}

// LastSave returns what the last snapshot save cost, and false before the
// first. Hold is the figure to watch: how long the save stopped commands
// waiting in Sync and queries.
func (r *Runner) LastSave() (SaveStats, bool) {
	if st := r.lastStats.Load(); st != nil {
		return *st, true
	}
	return SaveStats{}, false
}

// Rebuild empties the models and replays the whole log into them, calling
// progress (if not nil) after each batch. It saves the empty models first,
// then as CatchUp does, so a crash mid-rebuild leaves a consistent prefix
// that the next catch-up resumes from.
//
// While it runs, the garbage collector's target is raised to
// rebuildGCPercent unless the process set it higher (or off), and put
// back after.
func (r *Runner) Rebuild(ctx context.Context, progress func(Progress)) (Progress, error) {
	r.feed.Lock()
	defer r.feed.Unlock()
	if old := debug.SetGCPercent(rebuildGCPercent); old < 0 || old > rebuildGCPercent {
		debug.SetGCPercent(old)
	} else {
		defer debug.SetGCPercent(old)
	}
	r.mu.Lock()
	for _, p := range r.projs {
		p.Reset()
	}
	r.checkpoint.Store(0)
	r.mu.Unlock()
	if err := r.saveModels(); err != nil {
		return Progress{}, err
	}
	return r.catchUp(ctx, progress)
}
