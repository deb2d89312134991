package projections_test

import (
	"testing"

	"github.com/haixi-hrss/fundledger/projections"
)

// BenchmarkRebuild replays 10,000 fund events from the embedded store into
// the officers' model: read, decode and apply, reported as events/s.
func BenchmarkRebuild(b *testing.B) {
	w := newWorld(b)
	appendTransfers(w, 100, 100)
	b.ResetTimer()
	for b.Loop() {
		pr, err := projections.Rebuild(w.ctx, w.store, w.codec, nil, projections.NewBudgets())
		if err != nil || pr.Events != 10000 {
			b.Fatalf("rebuild %+v: %v", pr, err)
		}
	}
	b.ReportMetric(float64(10000*b.N)/b.Elapsed().Seconds(), "events/s")
}
