package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/haixi-hrss/fundledger/projections/projbench"
)

const benchProjectionsHelp = `
Measures the read side on a generated embedded ledger of funds, budget
lines, employers with monthly reports, stabilization refund claims through
their lifecycle and hire outcomes (about 71 events per employer; the
default size holds 1,000,226 events). The ledger is generated once into
--cache and reused; it is only read.

  rebuild  every read model from position 0, snapshot included (events/s)
  restart  restoring the snapshot and catching up: until queries answer
  queries  p50/p99/max of the officers' queries on the restarted models

--phase rebuild writes the snapshot to --snapshot and stops; --phase
restart reads it from there, so the two can run as separate processes and
each one's peak memory be measured on its own (e.g. with /usr/bin/time -v).`

func runBenchProjections(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := newFlagSet("bench projections", "bench projections [--employers N] [--cache DIR] [--queries N] [--phase all|rebuild|restart --snapshot DIR]", benchProjectionsHelp)
	var opts projbench.Options
	fs.IntVar(&opts.Employers, "employers", projbench.MillionEmployers, "employers in the generated ledger")
	cache := fs.String("cache", projbench.CacheDir(), "`directory` generated ledgers are kept in")
	queries := fs.Int("queries", 1000, "rounds of each officer query")
	phase := fs.String("phase", "all", "all, rebuild or restart")
	snap := fs.String("snapshot", "", "`directory` of the snapshot for --phase rebuild or restart")
	if code, done := parseFlags(fs, args, stdout, stderr); done {
		return code
	}
	switch {
	case opts.Employers < 1:
		return usageError(fs, stderr, "--employers must be at least 1")
	case *queries < 0:
		return usageError(fs, stderr, "--queries must not be negative")
	case *phase != "all" && *phase != "rebuild" && *phase != "restart":
		return usageError(fs, stderr, fmt.Sprintf("unknown --phase %q", *phase))
	case *phase != "all" && *snap == "":
		return usageError(fs, stderr, "--phase "+*phase+" needs --snapshot")
	}
	fail := func(err error) int {
		fmt.Fprintf(stderr, "fundledger bench projections: %v\n", err)
		return exitFailure
	}
	start := time.Now()
	dir, sum, err := projbench.Cached(ctx, *cache, opts)
	if err != nil {
		return fail(err)
	}
	fmt.Fprintf(stdout, "ledger %s: %d events (%d employers, %d claims, %d hires), ready in %s\n",
		dir, sum.Events, sum.Employers, sum.Claims, sum.Hires, time.Since(start).Round(time.Millisecond))
	var rep projbench.Report
	switch *phase {
	case "all":
		rep, err = projbench.Measure(ctx, dir, *queries)
	case "rebuild":
		if err := os.MkdirAll(*snap, 0o750); err != nil {
			return fail(err)
		}
		rep, err = projbench.MeasureRebuild(ctx, dir, *snap)
	case "restart":
		rep, err = projbench.MeasureRestart(ctx, dir, *snap, *queries)
	}
	if err != nil {
		return fail(err)
	}
	writeProjectionsReport(stdout, rep)
	return exitOK
}

func writeProjectionsReport(w io.Writer, rep projbench.Report) {
	if rep.Rebuild > 0 {
		fmt.Fprintf(w, "rebuild   %d events in %s: %.0f events/s end to end (replay %s, final save %s, of which it held up applying %s; CPU %s, of which GC %s); snapshot %.1f MB\n",
			rep.Progress.Events, rep.Rebuild.Round(time.Millisecond), rep.RebuildRate(), rep.Replay.Round(time.Millisecond),
			(rep.Rebuild - rep.Replay).Round(time.Millisecond), rep.FinalSave.Hold.Round(time.Millisecond),
			rep.RebuildCPU.Round(time.Millisecond), rep.RebuildGC.Round(time.Millisecond), float64(rep.SnapshotBytes)/(1<<20))
	}
	if rep.Restart > 0 {
		fmt.Fprintf(w, "restart   ready in %s (CPU %s)\n", rep.Restart.Round(time.Millisecond), rep.RestartCPU.Round(time.Millisecond))
	}
	for _, q := range rep.Queries {
		fmt.Fprintf(w, "query     %-40s n=%d p50 %s p99 %s max %s\n", q.Name, q.N, q.P50, q.P99, q.Max)
	}
	fmt.Fprintf(w, "memory    Go heap in use %.0f MB with the models loaded; RSS %.0f MB, peak RSS %.0f MB\n",
		float64(rep.HeapInUse)/(1<<20), float64(rep.RSS)/(1<<20), float64(rep.PeakRSS)/(1<<20))
	if rep.RebuiltMark > 0 || rep.RestoredMark > 0 {
		fmt.Fprintf(w, "gc        CPU of a full collection: models as rebuilt %s, as restored %s\n",
			markText(rep.RebuiltMark), markText(rep.RestoredMark))
	}
}

// markText prints a collection's CPU, or that it was not measured (the
// phase did not run, or the system does not report CPU time).
func markText(d time.Duration) string {
	if d <= 0 {
		return "(not measured)"
	}
	return d.Round(10 * time.Microsecond).String()
}
