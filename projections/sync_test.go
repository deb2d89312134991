package projections_test

import (
	"context"
	"errors"
	"fmt"
	"testing"

	"github.com/haixi-hrss/fundledger/domain/programme"
	"github.com/haixi-hrss/fundledger/domain/region"
	"github.com/haixi-hrss/fundledger/projections"
)

// TestSyncReadsYourWrites: Sync brings the models to a position just
// appended, without saving, and beside a running Run the two together
// still end equal to a rebuild.
func TestSyncReadsYourWrites(t *testing.T) {
	w := newWorld(t)
	w.phaseOne()
	b := projections.NewBudgets()
	r := w.runner(b)
	log := w.log(0)
	last := log[len(log)-1].Position
	if err := r.Sync(w.ctx, last); err != nil {
		t.Fatal(err)
	}
	if r.Checkpoint() < last {
		t.Fatalf("after Sync(%d) the checkpoint is %d", last, r.Checkpoint())
	}
	mustEqual(t, "synced and rebuilt models", b, w.rebuilt())
	if got := w.runner(projections.NewBudgets()).Checkpoint(); got != 0 {
		t.Errorf("Sync saved a snapshot at %d; it must leave saving to Run", got)
	}
	if err := r.Sync(w.ctx, last+1000); err == nil {
		t.Error("Sync past the end of the log returned no error")
	}

	ctx, cancel := context.WithCancel(w.ctx)
	done := make(chan error, 1)
	go func() { done <- r.Run(ctx) }()
	for i, county := range []region.Code{region.Ulan, region.Dulan, region.Tianjun} {
		w.allocate(fmt.Sprintf("al-sync-%d", i), programme.Absorption, county, "10000.00")
		log = w.log(0)
		if err := r.Sync(w.ctx, log[len(log)-1].Position); err != nil {
			t.Fatal(err)
		}
	}
	cancel()
	if err := <-done; !errors.Is(err, context.Canceled) {
		t.Fatalf("run ended with %v", err)
	}
	mustEqual(t, "synced-beside-run and rebuilt models", b, w.rebuilt())
	restored := projections.NewBudgets()
	if got := w.runner(restored).Checkpoint(); got != log[len(log)-1].Position {
		t.Errorf("saved checkpoint %d, want %d", got, log[len(log)-1].Position)
	}
}
