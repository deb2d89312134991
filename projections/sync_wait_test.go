package projections_test

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/haixi-hrss/fundledger/domain"
	"github.com/haixi-hrss/fundledger/domain/programme"
	"github.com/haixi-hrss/fundledger/domain/region"
	"github.com/haixi-hrss/fundledger/eventstore"
	"github.com/haixi-hrss/fundledger/projections"
)

// gatedStore holds its first ReadAll until release, after telling
// entered, so a test can keep a catch-up waiting without holding the
// models' lock.
type gatedStore struct {
	eventstore.Store
	once             sync.Once
	entered, release chan struct{}
}

func newGatedStore(s eventstore.Store) *gatedStore {
	return &gatedStore{Store: s, entered: make(chan struct{}), release: make(chan struct{})}
}

func (g *gatedStore) ReadAll(ctx context.Context, after uint64, limit int) ([]eventstore.Event, error) {
	first := false
	g.once.Do(func() { first = true })
	if first {
		close(g.entered)
		<-g.release
	}
	return g.Store.ReadAll(ctx, after, limit)
}

// failing is a read model that fails to apply the event at position at.
type failing struct {
	at       uint64
	err      error
	position uint64
}

func (f *failing) Name() string                  { return "failing" }
func (f *failing) Reset()                        { f.position = 0 }
func (f *failing) MarshalState() ([]byte, error) { return fmt.Appendf(nil, "%d", f.position), nil }
func (f *failing) UnmarshalState(b []byte) error {
	_, err := fmt.Sscanf(string(b), "%d", &f.position)
	return err
}
func (f *failing) Apply(_ domain.Event, env *eventstore.Event) error {
	if env.Position == f.at {
		return f.err
	}
	f.position = env.Position
	return nil
}

// gatedRunner is a runner over w's store gated by g.
func gatedRunner(t *testing.T, w *world, g *gatedStore, projs ...projections.Projection) *projections.Runner {
	t.Helper()
	r, err := projections.NewRunner(g, w.codec, w.dir, projs...)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// TestSyncManyWaiters: callers appending and syncing at once each return
// only when the models include their own append, and the models end
// equal to a rebuild.
func TestSyncManyWaiters(t *testing.T) {
	w := newWorld(t)
	w.phaseOne()
	b := projections.NewBudgets()
	r := w.runner(b)
	const writers, each = 8, 15
	errs := make(chan error, writers*each)
	var wg sync.WaitGroup
	for g := range writers {
		wg.Go(func() {
			for i := range each {
				res, err := w.store.Append(w.ctx, fmt.Sprintf("employer-w%d", g), eventstore.Any,
					eventstore.EventData{ID: uuid.New(), Type: "EmployerNoted", SchemaVersion: 1, Data: []byte(`{}`)})
				if err != nil {
					errs <- err
					return
				}
				if err := r.Sync(w.ctx, res.Position); err != nil {
					errs <- fmt.Errorf("Sync(%d): %w", res.Position, err)
					return
				}
				r.Read(func(cp uint64) {
					if cp < res.Position {
						errs <- fmt.Errorf("writer %d append %d: Sync(%d) returned at checkpoint %d", g, i, res.Position, cp)
					}
				})
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	log := w.log(0)
	if got, want := r.Checkpoint(), log[len(log)-1].Position; got != want {
		t.Errorf("checkpoint %d after every Sync, log ends at %d", got, want)
	}
	mustEqual(t, "synced and rebuilt models", b, w.rebuilt())
}

// TestSyncWaiterCancelled: a caller waiting on another's catch-up returns
// its context's error when cancelled, while the catch-up goes on and
// still brings the models to its position.
func TestSyncWaiterCancelled(t *testing.T) {
	w := newWorld(t)
	w.phaseOne()
	log := w.log(0)
	last := log[len(log)-1].Position
	g := newGatedStore(w.store)
	b := projections.NewBudgets()
	r := gatedRunner(t, w, g, b)
	lead := make(chan error, 1)
	go func() { lead <- r.Sync(w.ctx, last) }()
	<-g.entered
	ctx, cancel := context.WithCancel(w.ctx)
	waiter := make(chan error, 1)
	go func() { waiter <- r.Sync(ctx, last) }()
	cancel()
	if err := <-waiter; !errors.Is(err, context.Canceled) {
		t.Errorf("cancelled waiter returned %v", err)
	}
	if cp := r.Checkpoint(); cp >= last {
		t.Fatalf("checkpoint %d already at %d while the catch-up was held", cp, last)
	}
	close(g.release)
	if err := <-lead; err != nil {
		t.Fatal(err)
	}
	if cp := r.Checkpoint(); cp != last {
		t.Errorf("checkpoint %d after the catch-up, want %d", cp, last)
	}
	mustEqual(t, "synced and rebuilt models", b, w.rebuilt())
	done, stop := context.WithCancel(w.ctx)
	stop()
	if err := r.Sync(done, last); err != nil {
		t.Errorf("Sync to a position already applied, with a done context: %v", err)
	}
}

// TestSyncApplyErrorReachesWaiters: when an event fails to apply, every
// caller waiting for a position at or after it gets the error, and the
// models are back at the last save.
func TestSyncApplyErrorReachesWaiters(t *testing.T) {
	w := newWorld(t)
	w.phaseOne()
	log := w.log(0)
	last := log[len(log)-1].Position
	boom := errors.New("boom")
	g := newGatedStore(w.store)
	r := gatedRunner(t, w, g, &failing{at: log[2].Position, err: boom})
	const waiters = 16
	errs := make(chan error, waiters+1)
	go func() { errs <- r.Sync(w.ctx, last) }()
	<-g.entered
	for range waiters {
		go func() { errs <- r.Sync(w.ctx, last) }()
	}
	// Give the waiters time to join the round; one that comes late leads
	// a catch-up of its own and meets the same failing event, so the
	// outcome does not depend on this pause.
	time.Sleep(50 * time.Millisecond)
	close(g.release)
	for range waiters + 1 {
		if err := <-errs; !errors.Is(err, boom) {
			t.Errorf("Sync returned %v, want the apply error", err)
		}
	}
	if cp := r.Checkpoint(); cp != 0 {
		t.Errorf("checkpoint %d after the failure, want 0 (no save yet)", cp)
	}
}

// TestSaveDoesNotBlockSync: while Run is writing a snapshot, Sync still
// applies a new append and returns; the snapshot Run saves on the way out
// holds everything applied.
func TestSaveDoesNotBlockSync(t *testing.T) {
	w := newWorld(t)
	w.phaseOne()
	b := projections.NewBudgets()
	r := w.runner(b)
	// Run saves at its first tick, without waiting for liveSaveEvents.
	projections.SetLiveSaveEvents(r, 0)
	if _, err := r.CatchUp(w.ctx); err != nil {
		t.Fatal(err)
	}
	var hold atomic.Bool
	saving, release := make(chan struct{}), make(chan struct{})
	projections.AroundSnapshotWrite(r, func(_ uint64, write func() error) error {
		if hold.CompareAndSwap(true, false) {
			close(saving)
			<-release
		}
		return write()
	})
	hold.Store(true)
	ctx, cancel := context.WithCancel(w.ctx)
	run := make(chan error, 1)
	go func() { run <- r.Run(ctx) }()
	<-saving // Run's first tick saves, and is held
	w.allocate("al-during-save", programme.Absorption, region.Ulan, "1000.00")
	log := w.log(0)
	last := log[len(log)-1].Position
	// A bound against hanging: Sync that waited for the save would wait
	// for ever here, since the save goes on only after Sync returns.
	sctx, scancel := context.WithTimeout(w.ctx, 30*time.Second)
	defer scancel()
	if err := r.Sync(sctx, last); err != nil {
		t.Fatalf("Sync during a save: %v", err)
	}
	close(release)
	cancel()
	if err := <-run; !errors.Is(err, context.Canceled) {
		t.Fatalf("run ended with %v", err)
	}
	mustEqual(t, "models synced during a save and rebuilt", b, w.rebuilt())
	restored := projections.NewBudgets()
	if got := w.runner(restored).Checkpoint(); got != last {
		t.Errorf("saved checkpoint %d, want %d", got, last)
	}
	mustEqual(t, "restored and rebuilt models", restored, w.rebuilt())
}
