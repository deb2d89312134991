package projections_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/haixi-hrss/fundledger/eventstore"
	"github.com/haixi-hrss/fundledger/ledger/codec"
	"github.com/haixi-hrss/fundledger/projections"
)

// heldFreezer is a Freezer whose frozen image marshals only once the
// test releases it, so a save stays between taking the models and
// writing them for as long as the test needs.
type heldFreezer struct {
	projections.Projection
	hold *saveHold
}

// saveHold holds the marshalling of the next held models frozen (all the
// heldFreezers of one save): marshalling closes when the first of them
// starts, release lets them go.
type saveHold struct {
	held                 int
	once                 sync.Once
	marshalling, release chan struct{}
}

func newSaveHold() *saveHold {
	return &saveHold{marshalling: make(chan struct{}), release: make(chan struct{})}
}

func (h heldFreezer) Freeze() func() ([]byte, error) {
	marshal := h.Projection.(projections.Freezer).Freeze()
	if h.hold.held == 0 {
		return marshal
	}
	h.hold.held-- // Freeze runs under the runner's lock
	return func() ([]byte, error) {
		h.hold.once.Do(func() { close(h.hold.marshalling) })
		<-h.hold.release
		return marshal()
	}
}

// Interest passes the model's own on, so it is fed as it would be.
func (h heldFreezer) Interest(eventType string) projections.Interest {
	if s, ok := h.Projection.(projections.Selective); ok {
		return s.Interest(eventType)
	}
	return projections.Payload
}

// claimModels are the read models the crafted claim logs feed.
func claimModels() []projections.Projection {
	return []projections.Projection{projections.NewBudgets(), projections.NewClaims(), projections.NewTrail(),
		projections.NewAnomalies(), projections.NewPerformance()}
}

// rebuiltTo returns claimModels rebuilt from the log up to position last.
func rebuiltTo(t *testing.T, st eventstore.Store, c *codec.Codec, last uint64) []projections.Projection {
	t.Helper()
	models := claimModels()
	if _, err := projections.Rebuild(context.Background(), prefixStore{st, last}, c, nil, models...); err != nil {
		t.Fatal(err)
	}
	return models
}

// TestLiveSaveIsOneCheckpointAndDoesNotStopApplying: while Run's save is
// marshalling the frozen models, Sync applies a batch that changes every
// large model and returns, and a query runs; the snapshot that save
// wrote is nevertheless exactly the models at the checkpoint it took
// (each equal to a rebuild up to there, none with a later event), and
// the next save holds the rest.
func TestLiveSaveIsOneCheckpointAndDoesNotStopApplying(t *testing.T) {
	steps := anMixedLog()
	half := 4 // the first claim submitted and paid; the rest changes every model
	st, c, pos := anCraftedLog(t, steps[:half])
	cut := pos[steps[half-1].label]

	hold := newSaveHold()
	var models []projections.Projection
	held := 0
	for _, p := range claimModels() {
		if _, ok := p.(projections.Freezer); ok {
			p, held = heldFreezer{p, hold}, held+1
		}
		models = append(models, p)
	}
	dir := t.TempDir()
	r, err := projections.NewRunner(st, c, dir, models...)
	if err != nil {
		t.Fatal(err)
	}
	// Run saves at its first tick, without waiting for liveSaveEvents.
	projections.SetLiveSaveEvents(r, 0)
	if _, err := r.CatchUp(context.Background()); err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	written := map[uint64][]byte{}
	projections.AroundSnapshotWrite(r, func(cp uint64, write func() error) error {
		err := write()
		data, rerr := os.ReadFile(filepath.Join(dir, projections.SnapshotFile))
		mu.Lock()
		defer mu.Unlock()
		written[cp] = data
		return errors.Join(err, rerr)
	})
	hold.held = held
	ctx, cancel := context.WithCancel(context.Background())
	run := make(chan error, 1)
	go func() { run <- r.Run(ctx) }()
	<-hold.marshalling // Run's first save has taken the models

	var last uint64
	for _, s := range steps[half:] {
		last = anAppend(t, st, c, s)
	}
	// A Sync or a query that waited for the held save would wait for
	// ever, since the save goes on only after them: give up after a while
	// and let the save go, so the failure is reported, not a hang.
	var releaseOnce sync.Once
	release := func() { releaseOnce.Do(func() { close(hold.release) }) }
	defer release()
	synced := make(chan error, 1)
	go func() { synced <- r.Sync(context.Background(), last) }()
	select {
	case err := <-synced:
		if err != nil {
			t.Fatalf("Sync while a save marshals: %v", err)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("Sync waited for the save's marshalling")
	}
	read := make(chan uint64, 1)
	go r.Read(func(cp uint64) { read <- cp })
	select {
	case cp := <-read:
		if cp != last {
			t.Errorf("a query during the save saw checkpoint %d, want %d", cp, last)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("a query waited for the save's marshalling")
	}
	release()
	cancel()
	if err := <-run; !errors.Is(err, context.Canceled) {
		t.Fatalf("run ended with %v", err)
	}

	then, now := rebuiltTo(t, st, c, cut), rebuiltTo(t, st, c, last)
	for i := range then {
		if eq, err := projections.Equal(then[i], now[i]); err != nil || (eq && then[i].Name() != "budgets") {
			t.Fatalf("%s: the events applied during the save change nothing (%v); the test proves nothing", then[i].Name(), err)
		}
	}
	for cp, want := range map[uint64][]projections.Projection{cut: then, last: now} {
		mu.Lock()
		data, ok := written[cp]
		mu.Unlock()
		if !ok {
			t.Fatalf("no snapshot was written at checkpoint %d (written: %d)", cp, len(written))
		}
		restoreDir := t.TempDir()
		if err := os.WriteFile(filepath.Join(restoreDir, projections.SnapshotFile), data, 0o600); err != nil {
			t.Fatal(err)
		}
		restored := claimModels()
		rr, err := projections.NewRunner(st, c, restoreDir, restored...)
		if err != nil {
			t.Fatal(err)
		}
		if rr.Checkpoint() != cp {
			t.Fatalf("the snapshot restores at %d, want %d", rr.Checkpoint(), cp)
		}
		for i := range restored {
			mustEqual(t, fmt.Sprintf("%s saved at %d", restored[i].Name(), cp), restored[i], want[i])
		}
	}
	for i := range models {
		mustEqual(t, models[i].Name()+" live", models[i], now[i])
	}
	if st, ok := r.LastSave(); !ok || st.Checkpoint != last || st.Hold <= 0 || st.Duration < st.Hold || st.Bytes == 0 {
		t.Errorf("last save %+v (%v), want one at %d with a hold within its duration", st, ok, last)
	}
}
