package projections_test

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/haixi-hrss/fundledger/domain"
	"github.com/haixi-hrss/fundledger/domain/budget"
	"github.com/haixi-hrss/fundledger/domain/money"
	"github.com/haixi-hrss/fundledger/domain/role"
	"github.com/haixi-hrss/fundledger/eventstore"
	"github.com/haixi-hrss/fundledger/projections"
)

// seen is a test projection that records which event types reach it.
type seen struct{ types map[string]int }

func newSeen() *seen                          { return &seen{types: map[string]int{}} }
func (s *seen) Name() string                  { return "seen" }
func (s *seen) Reset()                        { s.types = map[string]int{} }
func (s *seen) MarshalState() ([]byte, error) { return []byte("{}"), nil }
func (s *seen) UnmarshalState([]byte) error   { return nil }
func (s *seen) Apply(ev domain.Event, env *eventstore.Event) error {
	s.types[env.Type]++
	return nil
}

// TestRebuildEqualsIncremental: read models built in steps equal the same
// models rebuilt from position 0, both standalone and through the runner,
// whose progress callback reports the whole log.
func TestRebuildEqualsIncremental(t *testing.T) {
	w := newWorld(t)
	inc := projections.NewBudgets()
	r := w.runner(inc)
	w.phaseOne()
	if _, err := r.CatchUp(w.ctx); err != nil {
		t.Fatal(err)
	}
	w.phaseTwo()
	if _, err := r.CatchUp(w.ctx); err != nil {
		t.Fatal(err)
	}
	mustEqual(t, "incremental and rebuilt models", inc, w.rebuilt())

	log := w.log(0)
	var calls []projections.Progress
	pr, err := r.Rebuild(w.ctx, func(p projections.Progress) { calls = append(calls, p) })
	if err != nil {
		t.Fatal(err)
	}
	last := log[len(log)-1].Position
	if len(calls) == 0 || calls[len(calls)-1].Position != last || pr.Position != last || pr.Events != len(log) || r.Checkpoint() != last {
		t.Errorf("rebuild progress %+v, calls %+v, checkpoint %d; log ends at %d with %d events", pr, calls, r.Checkpoint(), last, len(log))
	}
	mustEqual(t, "runner rebuild and standalone rebuild", inc, w.rebuilt())
}

// TestRestartResumesFromCheckpoint: a new runner on the same directory
// starts where the last save left off, reads only the events appended
// since, and ends equal to a rebuild.
func TestRestartResumesFromCheckpoint(t *testing.T) {
	w := newWorld(t)
	w.phaseOne()
	first := projections.NewBudgets()
	r1 := w.runner(first)
	pr1, err := r1.CatchUp(w.ctx)
	if err != nil {
		t.Fatal(err)
	}
	w.phaseTwo()
	fresh := w.log(pr1.Position)

	second := projections.NewBudgets()
	r2 := w.runner(second)
	if r2.Checkpoint() != pr1.Position {
		t.Fatalf("restarted at %d, saved checkpoint %d", r2.Checkpoint(), pr1.Position)
	}
	mustEqual(t, "restored and saved models", first, second)
	pr2, err := r2.CatchUp(w.ctx)
	if err != nil {
		t.Fatal(err)
	}
	if pr2.Events != len(fresh) || pr2.Position != fresh[len(fresh)-1].Position {
		t.Errorf("resumed catch-up read %d events up to %d, want the %d new ones up to %d", pr2.Events, pr2.Position, len(fresh), fresh[len(fresh)-1].Position)
	}
	mustEqual(t, "resumed and rebuilt models", second, w.rebuilt())
}

// TestAsOfIsPrefix: the model as of the instant phase one ended equals the
// model a runner had built right then, and differs from today's.
func TestAsOfIsPrefix(t *testing.T) {
	w := newWorld(t)
	w.phaseOne()
	then := projections.NewBudgets()
	if _, err := w.runner(then).CatchUp(w.ctx); err != nil {
		t.Fatal(err)
	}
	prefix := w.log(0)
	cut := prefix[len(prefix)-1]
	w.phaseTwo()

	asOf := projections.NewBudgets()
	pr, err := projections.AsOf(w.ctx, w.store, w.codec, cut.RecordedAt, asOf)
	if err != nil {
		t.Fatal(err)
	}
	if pr.Position != cut.Position || pr.Events != len(prefix) {
		t.Errorf("as-of read %+v, want %d events up to %d", pr, len(prefix), cut.Position)
	}
	mustEqual(t, "as-of and then-current models", asOf, then)
	if eq, _ := projections.Equal(asOf, w.rebuilt()); eq {
		t.Error("as-of model equals today's: phase two changed nothing?")
	}
	if _, err := projections.AsOf(w.ctx, w.store, w.codec, cut.RecordedAt.Add(24*time.Hour), asOf); err != nil {
		t.Fatal(err)
	}
	mustEqual(t, "as-of after the last event and rebuild", asOf, w.rebuilt())
	if _, err := projections.AsOf(w.ctx, w.store, w.codec, prefix[0].RecordedAt.Add(-time.Microsecond), asOf); err != nil {
		t.Fatal(err)
	}
	if len(asOf.Lines()) != 0 || len(asOf.Funds()) != 0 {
		t.Errorf("as of before the first event: %+v %+v", asOf.Funds(), asOf.Lines())
	}
}

// TestSkipsLedgerRecordsAndUnknownTypes: projections never see the idem-*
// and uniq-* records or types the codec does not know.
func TestSkipsLedgerRecordsAndUnknownTypes(t *testing.T) {
	w := newWorld(t)
	w.phaseOne()
	w.phaseTwo()
	s := newSeen()
	if _, err := w.runner(projections.NewBudgets(), s).CatchUp(w.ctx); err != nil {
		t.Fatal(err)
	}
	for _, typ := range []string{"IdempotencyKeyClaimed", "IdempotencyKeyCompleted", "UniqueKeyReserved", "EmployerRegistered"} {
		if s.types[typ] != 0 {
			t.Errorf("%s reached a projection", typ)
		}
	}
	if s.types["FundsSpent"] != 2 || s.types["FundOpened"] != 1 {
		t.Errorf("projection saw %v", s.types)
	}
}

// TestBadPayloadStopsWithoutAdvancing: an event of a known type that does
// not decode stops the catch-up; the model, the checkpoint and the saved
// snapshot stay at the last good batch.
func TestBadPayloadStopsWithoutAdvancing(t *testing.T) {
	w := newWorld(t)
	w.phaseOne()
	b := projections.NewBudgets()
	r := w.runner(b)
	pr, err := r.CatchUp(w.ctx)
	if err != nil {
		t.Fatal(err)
	}
	before, _ := b.MarshalState()
	w.phaseTwo()
	w.appendRaw("budget-"+golmud, "FundsSpent", `{"paymentId":"p","claimId":"c","amount":"12.345.6"}`)
	if _, err := r.CatchUp(w.ctx); err == nil {
		t.Fatal("a payload that does not decode was accepted")
	}
	after, _ := b.MarshalState()
	if r.Checkpoint() != pr.Position || string(after) != string(before) {
		t.Errorf("after the failure: checkpoint %d (want %d), model changed %v", r.Checkpoint(), pr.Position, string(after) != string(before))
	}
	if got := w.runner(projections.NewBudgets()).Checkpoint(); got != pr.Position {
		t.Errorf("saved checkpoint %d, want %d", got, pr.Position)
	}
}

// TestSnapshotSurvivesTornWrite: a temporary file left by a crash during a
// save is ignored; the last complete snapshot is loaded.
func TestSnapshotSurvivesTornWrite(t *testing.T) {
	w := newWorld(t)
	w.phaseOne()
	b := projections.NewBudgets()
	pr, err := w.runner(b).CatchUp(w.ctx)
	if err != nil {
		t.Fatal(err)
	}
	tmp := filepath.Join(w.dir, projections.SnapshotFile+".tmp")
	if err := os.WriteFile(tmp, []byte(`{"format":1,"checkpoint":99999,"mod`), 0o600); err != nil {
		t.Fatal(err)
	}
	again := projections.NewBudgets()
	if r := w.runner(again); r.Checkpoint() != pr.Position {
		t.Errorf("checkpoint %d after a torn save, want %d", r.Checkpoint(), pr.Position)
	}
	mustEqual(t, "models across a torn save", b, again)
}

// TestAddedProjectionRebuildsAll: a snapshot that lacks one of the
// runner's projections restarts every model from 0, so they stay at one
// checkpoint.
func TestAddedProjectionRebuildsAll(t *testing.T) {
	w := newWorld(t)
	w.phaseOne()
	if _, err := w.runner(projections.NewBudgets()).CatchUp(w.ctx); err != nil {
		t.Fatal(err)
	}
	b, s := projections.NewBudgets(), newSeen()
	r := w.runner(b, s)
	if r.Checkpoint() != 0 || len(b.Lines()) != 0 {
		t.Fatalf("checkpoint %d with %d lines, want a fresh start", r.Checkpoint(), len(b.Lines()))
	}
	if _, err := r.CatchUp(w.ctx); err != nil {
		t.Fatal(err)
	}
	mustEqual(t, "models after an added projection", b, w.rebuilt())
}

// TestRunFollowsTheLog: Run applies events appended while it runs, saves
// them, and returns ctx's error when cancelled.
func TestRunFollowsTheLog(t *testing.T) {
	w := newWorld(t)
	w.phaseOne()
	b := projections.NewBudgets()
	r := w.runner(b)
	ctx, cancel := context.WithCancel(w.ctx)
	done := make(chan error, 1)
	go func() { done <- r.Run(ctx) }()
	w.phaseTwo()
	log := w.log(0)
	last := log[len(log)-1].Position
	for deadline := time.Now().Add(20 * time.Second); r.Checkpoint() < last; time.Sleep(5 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("run stuck at %d, log ends at %d", r.Checkpoint(), last)
		}
	}
	cancel()
	if err := <-done; !errors.Is(err, context.Canceled) {
		t.Errorf("run ended with %v, want context.Canceled", err)
	}
	r.Read(func(uint64) { mustEqual(t, "live and rebuilt models", b, w.rebuilt()) })
	restored := projections.NewBudgets()
	if got := w.runner(restored).Checkpoint(); got != last {
		t.Errorf("saved checkpoint %d, want %d", got, last)
	}
	mustEqual(t, "saved live and rebuilt models", restored, w.rebuilt())
}

// TestUnsavedEventsCounted: the events a live save waits for are those
// applied since the last save, by any path (Sync here); a save counts
// from its own checkpoint, and a failure that puts the models back at the
// last save counts from there again.
func TestUnsavedEventsCounted(t *testing.T) {
	w := newWorld(t)
	w.phaseOne()
	r := w.runner(projections.NewBudgets())
	if n := projections.UnsavedEvents(r); n != 0 {
		t.Fatalf("a new runner counts %d unsaved events, want 0", n)
	}
	log := w.log(0)
	if err := r.Sync(w.ctx, log[len(log)-1].Position); err != nil {
		t.Fatal(err)
	}
	if n := projections.UnsavedEvents(r); n != uint64(len(log)) {
		t.Errorf("after Sync applied %d events: %d unsaved, want %d", len(log), n, len(log))
	}
	w.phaseTwo()
	if _, err := r.CatchUp(w.ctx); err != nil {
		t.Fatal(err)
	}
	if n := projections.UnsavedEvents(r); n != 0 {
		t.Errorf("after the catch-up's save: %d unsaved, want 0", n)
	}
	w.budget(golmud, "Reserve", budget.Reserve{ReservationID: "rs-unsaved", ClaimID: "c3", Amount: money.MustParse("1.00"),
		Actor: "ap-1", Role: role.Approver, At: at})
	log = w.log(0)
	if err := r.Sync(w.ctx, log[len(log)-1].Position); err != nil {
		t.Fatal(err)
	}
	if n := projections.UnsavedEvents(r); n != 1 {
		t.Errorf("after Sync applied one more event: %d unsaved, want 1", n)
	}
	w.appendRaw("budget-"+golmud, "FundsSpent", `{"paymentId":"p","claimId":"c","amount":"12.345.6"}`)
	if _, err := r.CatchUp(w.ctx); err == nil {
		t.Fatal("a payload that does not decode was accepted")
	}
	if n := projections.UnsavedEvents(r); n != 0 {
		t.Errorf("after a failure put the models back at the last save: %d unsaved, want 0", n)
	}
}
