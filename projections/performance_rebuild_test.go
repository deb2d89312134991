package projections_test

import (
	"testing"
	"time"

	"github.com/haixi-hrss/fundledger/projections"
)

// TestPerformanceIncrementalEqualsRebuildAndAsOf (invariant 11): the
// model fed in two catch-ups, the model restored from the runner's
// snapshot and the model rebuilt from position 0 are one model; and the
// model as of the instant the first half ended equals a rebuild made of
// exactly that prefix, then, before the second half was recorded.
func TestPerformanceIncrementalEqualsRebuildAndAsOf(t *testing.T) {
	w := newSchemaWorld(t)
	w.performanceFirstHalf()
	inc := projections.NewPerformance()
	r := w.runner(inc)
	if _, err := r.CatchUp(w.ctx); err != nil {
		t.Fatal(err)
	}
	prefix := w.performance()
	log := w.log(0)
	cut := log[len(log)-1]

	w.performanceSecondHalf()
	w.recordHaixiQ1()
	w.publishWeights(2026, weights2026())
	if _, err := r.CatchUp(w.ctx); err != nil {
		t.Fatal(err)
	}
	full := w.performance()
	mustEqual(t, "incremental and rebuilt models", inc, full)
	restored := projections.NewPerformance()
	w.runner(restored)
	mustEqual(t, "restored and rebuilt models", restored, full)

	past := projections.NewPerformance()
	pr, err := projections.AsOf(w.ctx, w.store, w.codec, cut.RecordedAt, past)
	if err != nil {
		t.Fatal(err)
	}
	if pr.Position != cut.Position {
		t.Errorf("as-of replay stopped at %d, want %d", pr.Position, cut.Position)
	}
	mustEqual(t, "as-of model and the rebuild of the prefix", past, prefix)
	if eq, _ := projections.Equal(past, full); eq {
		t.Fatal("the as-of model equals today's: the second half changed nothing?")
	}
	// The second half moved hire h1 to Golmud's expansion grant; as of the
	// cut it was still Delingha's, by its employer.
	then, _ := past.Total(projections.PerformanceFilter{Period: "2024", County: "632802"})
	now, _ := full.Total(projections.PerformanceFilter{Period: "2024", County: "632802"})
	if then.Hires != 1 || now.Hires != 0 {
		t.Errorf("Delingha's 2024 hires as of the cut %d, now %d; want 1 and 0", then.Hires, now.Hires)
	}
	if _, err := projections.AsOf(w.ctx, w.store, w.codec, cut.RecordedAt.Add(time.Hour), past); err != nil {
		t.Fatal(err)
	}
	mustEqual(t, "as-of after the last event and rebuild", past, full)
}

// everyPayload hides a projection's Interest, so a replay decodes every
// event for it.
type everyPayload struct{ projections.Projection }

// TestPerformanceInterestMissesNothing: the model fed only the payloads
// its Interest names equals the model fed every event decoded, so no
// type it folds is left out of the list.
func TestPerformanceInterestMissesNothing(t *testing.T) {
	w := newSchemaWorld(t)
	w.performanceFirstHalf()
	w.performanceSecondHalf()
	w.recordHaixiQ1()
	w.publishWeights(2026, weights2026())
	all := everyPayload{projections.NewPerformance()}
	if _, err := projections.Rebuild(w.ctx, w.store, w.codec, nil, all); err != nil {
		t.Fatal(err)
	}
	mustEqual(t, "selective and fully decoded models", w.performance(), all.Projection)
}
