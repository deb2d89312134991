package projections_test

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/haixi-hrss/fundledger/domain/programme"
	"github.com/haixi-hrss/fundledger/domain/region"
	"github.com/haixi-hrss/fundledger/eventstore"
	"github.com/haixi-hrss/fundledger/eventstore/sqlite"
	"github.com/haixi-hrss/fundledger/ledger/datadir"
	"github.com/haixi-hrss/fundledger/ledger/schema"
	"github.com/haixi-hrss/fundledger/projections"
	"github.com/haixi-hrss/fundledger/projections/projbench"
)

// TestRelayoutKeepsTheModels: renewing the models from a save made 1,000
// events back replaces the claims', trail's and anomalies' records (the
// claims' query index built already), brings them forward over those
// events, and leaves every model as it was, while queries run beside it;
// the renewed models then go on applying and saving as a rebuilt set.
func TestRelayoutKeepsTheModels(t *testing.T) {
	ctx := context.Background()
	st, err := sqlite.Open(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	if _, err := projbench.Generate(ctx, st, projbench.Options{Employers: 40}); err != nil {
		t.Fatal(err)
	}
	evs, err := st.ReadAll(ctx, 0, 0)
	if err != nil {
		t.Fatal(err)
	}
	if len(evs) < 2500 {
		t.Fatalf("the generated ledger has %d events, the test needs 2,500", len(evs))
	}
	dir := t.TempDir()
	views := datadir.NewViews()
	r, err := projections.NewRunner(st, schema.Codec(), dir, views.All()...)
	if err != nil {
		t.Fatal(err)
	}
	if err := r.Sync(ctx, evs[999].Position); err != nil {
		t.Fatal(err)
	}
	cp, models, err := projections.SaveForRelayout(r)
	if err != nil {
		t.Fatal(err)
	}
	if err := r.Sync(ctx, evs[1999].Position); err != nil {
		t.Fatal(err)
	}
	live := r.Checkpoint()
	var before [][]byte
	var records []any
	var index any
	r.Read(func(uint64) {
		views.Claims.FindPage(projections.ClaimFilter{}, projections.ClaimCursor{}, 10)
		index = projections.ClaimsIndex(views.Claims)
		for _, p := range views.All() {
			b, err := p.MarshalState()
			if err != nil {
				t.Fatal(err)
			}
			before, records = append(before, b), append(records, projections.Records(p))
		}
	})

	stop := make(chan struct{})
	var readers sync.WaitGroup
	for range 4 {
		readers.Go(func() {
			for {
				select {
				case <-stop:
					return
				default:
				}
				r.Read(func(uint64) {
					views.Claims.FindPage(projections.ClaimFilter{}, projections.ClaimCursor{}, 20)
					views.Anomalies.List(projections.AnomalyFilter{})
				})
			}
		})
	}
	err = projections.Relayout(ctx, r, cp, models)
	close(stop)
	readers.Wait()
	if err != nil {
		t.Fatal(err)
	}

	stats, ok := r.LastRelayout()
	if !ok || stats.Events != countAfter(evs, cp, live) {
		t.Errorf("relayout stats %+v (recorded %v), want %d events brought forward", stats, ok, countAfter(evs, cp, live))
	}
	r.Read(func(uint64) {
		if now := projections.ClaimsIndex(views.Claims); now == index {
			t.Error("the renewed claims kept the old query index, and with it the old records")
		}
		for i, p := range views.All() {
			after, err := p.MarshalState()
			if err != nil {
				t.Fatal(err)
			}
			if string(after) != string(before[i]) {
				t.Errorf("%s changed in the relayout", p.Name())
			}
			if _, ok := p.(projections.Relayer); ok && projections.Records(p) == records[i] {
				t.Errorf("%s kept its records: nothing was renewed", p.Name())
			}
		}
	})

	// The readers above may have built the index after the adoption, so
	// Restored is asked directly.
	for i, p := range views.All() {
		if p == views.Claims {
			fresh, err := views.Claims.Restored(models[i])
			if err != nil {
				t.Fatal(err)
			}
			if projections.ClaimsIndex(fresh.(*projections.Claims)) == nil {
				t.Error("renewed claims have no query index: the next query would build it")
			}
		}
	}

	if err := r.Sync(ctx, evs[len(evs)-1].Position); err != nil {
		t.Fatal(err)
	}
	rebuilt := datadir.NewViews()
	if _, err := projections.Rebuild(ctx, st, schema.Codec(), nil, rebuilt.All()...); err != nil {
		t.Fatal(err)
	}
	if _, _, err := projections.SaveForRelayout(r); err != nil {
		t.Fatal(err)
	}
	restored := datadir.NewViews()
	if _, err := projections.NewRunner(st, schema.Codec(), dir, restored.All()...); err != nil {
		t.Fatal(err)
	}
	for i, p := range views.All() {
		for _, other := range []struct {
			what string
			m    projections.Projection
		}{{"rebuilt", rebuilt.All()[i]}, {"restored from the next save", restored.All()[i]}} {
			if eq, err := projections.Equal(p, other.m); err != nil || !eq {
				t.Errorf("%s, renewed and then fed to the end of the log, differs from the model %s (%v)", p.Name(), other.what, err)
			}
		}
	}
}

// countAfter counts the events after position from up to position to.
func countAfter(evs []eventstore.Event, from, to uint64) int {
	n := 0
	for _, ev := range evs {
		if ev.Position > from && ev.Position <= to {
			n++
		}
	}
	return n
}

// TestRunRenewsAfterLiveSaves: Run renews its Relayers after a live save
// and goes on following the log with them.
func TestRunRenewsAfterLiveSaves(t *testing.T) {
	w := newWorld(t)
	w.phaseOne()
	b, trail := projections.NewBudgets(), projections.NewTrail()
	r := w.runner(b, trail)
	projections.SetLiveSaveEvents(r, 1)
	before := projections.Records(trail)
	ctx, cancel := context.WithCancel(w.ctx)
	done := make(chan error, 1)
	go func() { done <- r.Run(ctx) }()
	w.phaseTwo()
	for deadline := time.Now().Add(20 * time.Second); ; time.Sleep(10 * time.Millisecond) {
		if _, ok := r.LastRelayout(); ok {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("no relayout within 20 s of a live save being due")
		}
	}
	w.appendRaw("employer-e2", "EmployerRegistered", `{"name":"y"}`)
	log := w.log(0)
	for deadline := time.Now().Add(20 * time.Second); r.Checkpoint() < log[len(log)-1].Position; time.Sleep(5 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("run stuck at %d, log ends at %d", r.Checkpoint(), log[len(log)-1].Position)
		}
	}
	cancel()
	if err := <-done; !errors.Is(err, context.Canceled) {
		t.Errorf("run ended with %v, want context.Canceled", err)
	}
	r.Read(func(uint64) {
		if projections.Records(trail) == before {
			t.Error("the trail kept its records: Run did not renew it")
		}
	})
	rebuilt := projections.NewTrail()
	if _, err := projections.Rebuild(w.ctx, w.store, w.codec, nil, rebuilt); err != nil {
		t.Fatal(err)
	}
	mustEqual(t, "renewed and rebuilt trail", trail, rebuilt)
}

// TestRelayoutWithWritersBeside: events appended and applied by Sync
// while a relayout runs, some of them just before it takes the lock, are
// all in the adopted models; a failure that puts the live models back at
// the last save while a relayout runs makes it drop the fresh ones.
func TestRelayoutWithWritersBeside(t *testing.T) {
	w := newWorld(t)
	w.phaseOne()
	b, trail := projections.NewBudgets(), projections.NewTrail()
	r := w.runner(b, trail)
	if _, err := r.CatchUp(w.ctx); err != nil {
		t.Fatal(err)
	}
	sync := func() error {
		log := w.log(0)
		return r.Sync(w.ctx, log[len(log)-1].Position)
	}
	var n atomic.Int64
	allocate := func() {
		w.allocate(fmt.Sprintf("al-beside-%d", n.Add(1)), programme.Absorption, region.Ulan, "10.00")
		if err := sync(); err != nil {
			t.Error(err)
		}
	}
	projections.PauseRelayouts(r, allocate)
	for range 10 {
		cp, models, err := projections.SaveForRelayout(r)
		if err != nil {
			t.Fatal(err)
		}
		allocate()
		done := make(chan struct{})
		go func() {
			defer close(done)
			for range 5 {
				allocate()
			}
		}()
		if err := projections.Relayout(w.ctx, r, cp, models); err != nil {
			t.Fatal(err)
		}
		<-done
	}
	if err := sync(); err != nil {
		t.Fatal(err)
	}
	rebuilt := projections.NewTrail()
	if _, err := projections.Rebuild(w.ctx, w.store, w.codec, nil, rebuilt); err != nil {
		t.Fatal(err)
	}
	r.Read(func(uint64) { mustEqual(t, "trail renewed beside writers and rebuilt", trail, rebuilt) })

	// A failure while the relayout runs without the lock.
	cp, models, err := projections.SaveForRelayout(r)
	if err != nil {
		t.Fatal(err)
	}
	allocate()
	var afterFailure []byte
	projections.PauseRelayouts(r, func() {
		w.appendRaw("budget-"+golmud, "FundsSpent", `{"paymentId":"p","claimId":"c","amount":"12.345.6"}`)
		if err := sync(); err == nil {
			t.Error("a payload that does not decode was accepted")
		}
		afterFailure, _ = trail.MarshalState()
	})
	renewed, _ := r.LastRelayout()
	if err := projections.Relayout(w.ctx, r, cp, models); err != nil {
		t.Fatal(err)
	}
	if r.Checkpoint() != cp {
		t.Fatalf("checkpoint %d after the failure, want the last save's %d", r.Checkpoint(), cp)
	}
	if got, _ := trail.MarshalState(); string(got) != string(afterFailure) {
		t.Error("the relayout adopted models ahead of the checkpoint the failure put back")
	}
	if st, _ := r.LastRelayout(); st != renewed {
		t.Errorf("a dropped relayout was recorded: %+v", st)
	}
	if tot := r.Totals(); tot.Relayouts != 10 || tot.Saves != 12 || tot.RelayoutTime <= 0 || tot.SaveTime <= 0 {
		t.Errorf("totals %+v, want 10 relayouts (the dropped one not counted) and 12 saves (a catch-up's and 11)", tot)
	}
}
