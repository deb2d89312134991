package projections

import (
	"context"
	"os"
	"path/filepath"
	"runtime"
	"syscall"
	"testing"
	"time"

	"github.com/haixi-hrss/fundledger/eventstore/sqlite"
	"github.com/haixi-hrss/fundledger/ledger/schema"
)

// millionLedger is projbench's cached 1,000,000-event ledger; the
// benchmarks below skip when it has not been generated (go test -bench
// Rebuild ./projections/projbench generates it).
func millionLedger(b *testing.B) string {
	cache := os.Getenv("FUNDLEDGER_PROJBENCH_CACHE")
	if cache == "" {
		home, err := os.UserHomeDir()
		if err != nil {
			b.Skip(err)
		}
		cache = filepath.Join(home, ".cache", "fundledger-projbench")
	}
	dir := filepath.Join(cache, "v1-14000")
	if _, err := os.Stat(filepath.Join(dir, "projbench.json")); err != nil {
		b.Skipf("no generated ledger: %v", err)
	}
	return dir
}

// threadCPU is the CPU time of the calling OS thread: on a shared
// machine it moves far less with other load than wall time does.
func threadCPU() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(1 /* RUSAGE_THREAD */, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// BenchmarkPerformanceStateMillion writes, restores and freezes the
// performance and anomaly models of the million-event ledger, in their
// snapshot form, reporting the state's size and the CPU time of the one
// thread doing it.
func BenchmarkPerformanceStateMillion(b *testing.B) {
	dir := millionLedger(b)
	store, err := sqlite.Open(dir)
	if err != nil {
		b.Fatal(err)
	}
	defer store.Close()
	perf, anom := NewPerformance(), NewAnomalies()
	if _, err := Rebuild(context.Background(), store, schema.Codec(), nil, perf, anom); err != nil {
		b.Fatal(err)
	}
	for _, c := range []struct {
		name    string
		marshal func() ([]byte, error)
		restore func([]byte) error
		freeze  func() func() ([]byte, error)
	}{
		{"performance/binary", perf.MarshalState, perf.UnmarshalState, perf.Freeze},
		{"anomalies/json", anom.MarshalState, anom.UnmarshalState, anom.Freeze},
	} {
		data, err := c.marshal()
		if err != nil {
			b.Fatal(err)
		}
		for _, step := range []struct {
			name string
			run  func() error
		}{
			{"marshal", func() error { _, err := c.marshal(); return err }},
			{"restore", func() error { return c.restore(data) }},
			// What a save holds the runner's lock for (ns/op).
			{"freeze", func() error { c.freeze(); return nil }},
		} {
			b.Run(c.name+"/"+step.name, func(b *testing.B) {
				runtime.LockOSThread()
				defer runtime.UnlockOSThread()
				runtime.GC()
				start := threadCPU()
				for b.Loop() {
					if err := step.run(); err != nil {
						b.Fatal(err)
					}
				}
				b.ReportMetric(float64((threadCPU()-start).Milliseconds())/float64(b.N), "cpu-ms/op")
				b.ReportMetric(float64(len(data))/1e6, "MB")
			})
		}
	}
}
