package projbench

import (
	"context"
	"fmt"
	"os"
	"runtime"
	"slices"
	"time"

	"github.com/haixi-hrss/fundledger/domain/claim"
	"github.com/haixi-hrss/fundledger/domain/role"
	"github.com/haixi-hrss/fundledger/eventstore"
	"github.com/haixi-hrss/fundledger/eventstore/sqlite"
	"github.com/haixi-hrss/fundledger/ledger/datadir"
	"github.com/haixi-hrss/fundledger/ledger/schema"
	"github.com/haixi-hrss/fundledger/projections"
)

// Report is one measurement of the read side on a generated ledger.
type Report struct {
	Ledger string
	Events int
	// Rebuild is Runner.Rebuild of every read model from position 0 to
	// the end, snapshots included; Replay the part of it before the final
	// save.
	Rebuild, Replay time.Duration
	Progress        projections.Progress
	SnapshotBytes   int64
	// Restart is NewRunner restoring the snapshot plus a CatchUp that
	// finds nothing new: from a cold process to answering queries.
	Restart time.Duration
	// RebuildCPU and RestartCPU are the CPU time (user and system, every
	// thread) the process spent in Rebuild and Restart; RebuildGC the
	// part of RebuildCPU the garbage collector took, as the runtime
	// estimates it.
	RebuildCPU, RestartCPU, RebuildGC time.Duration
	// FinalSave is the rebuild's last snapshot save; its Hold is how long
	// a save of every model at this size stops applying and queries.
	FinalSave projections.SaveStats
	Queries   []QueryStat
	// HeapInUse is the Go heap in use after a collection with the models
	// loaded; RSS and PeakRSS the process's resident memory then (VmRSS)
	// and at its peak so far (VmHWM), when the system reports them.
	HeapInUse, RSS, PeakRSS uint64
	// RebuiltMark and RestoredMark are the CPU of a full collection with
	// the models as the rebuild left them (built event by event, as a
	// running server builds them) and as the restart restored them from
	// the snapshot: under load each collection's mark phase slows every
	// request (docs/performance.md, API round 8). 0 when not measured.
	RebuiltMark, RestoredMark time.Duration
}

// RebuildRate is the rebuild's events per second, end to end.
func (r Report) RebuildRate() float64 { return float64(r.Progress.Events) / r.Rebuild.Seconds() }

// QueryStat is the latency of one kind of officer query.
type QueryStat struct {
	Name          string
	N             int
	P50, P99, Max time.Duration
}

// Measure rebuilds every read model of the embedded ledger in dir, which
// it only reads, restarts from the snapshot, and times queries rounds of
// the officers' queries on the restarted models. The snapshot goes to a
// temporary directory, removed afterwards.
func Measure(ctx context.Context, dir string, queries int) (Report, error) {
	snap, err := os.MkdirTemp("", "projbench-snapshot-")
	if err != nil {
		return Report{}, fmt.Errorf("projbench: %w", err)
	}
	defer os.RemoveAll(snap)
	rep, err := MeasureRebuild(ctx, dir, snap)
	if err != nil {
		return rep, err
	}
	restart, err := MeasureRestart(ctx, dir, snap, queries)
	rep.Restart, rep.RestartCPU, rep.Queries = restart.Restart, restart.RestartCPU, restart.Queries
	rep.HeapInUse, rep.RSS, rep.PeakRSS = restart.HeapInUse, restart.RSS, restart.PeakRSS
	rep.RestoredMark = restart.RestoredMark
	return rep, err
}

// MeasureRebuild rebuilds every read model of the embedded ledger in dir,
// which it only reads, into a snapshot in snap.
func MeasureRebuild(ctx context.Context, dir, snap string) (Report, error) {
	rep := Report{Ledger: dir}
	if sum, err := readSummary(dir); err == nil {
		rep.Events = sum.Events
	}
	store, err := sqlite.Open(dir)
	if err != nil {
		return rep, fmt.Errorf("projbench: %w", err)
	}
	defer store.Close()
	return rep, rep.rebuild(ctx, store, snap)
}

// MeasureRestart opens the read models of the ledger in dir from the
// snapshot in snap, as a restarted service does, and times queries rounds
// of the officers' queries on them.
func MeasureRestart(ctx context.Context, dir, snap string, queries int) (Report, error) {
	rep := Report{Ledger: dir}
	store, err := sqlite.Open(dir)
	if err != nil {
		return rep, fmt.Errorf("projbench: %w", err)
	}
	defer store.Close()
	start, cpu := time.Now(), processCPU()
	views := datadir.NewViews()
	r, err := projections.NewRunner(store, schema.Codec(), snap, views.All()...)
	if err != nil {
		return rep, err
	}
	if err := r.Refused(); err != nil {
		return rep, fmt.Errorf("projbench: a restart would rebuild: %w", err)
	}
	pr, err := r.CatchUp(ctx)
	if err != nil {
		return rep, err
	}
	rep.Restart, rep.RestartCPU = time.Since(start), processCPU()-cpu
	if pr.Events != 0 {
		return rep, fmt.Errorf("projbench: the snapshot in %s is %d events behind the ledger", snap, pr.Events)
	}
	if queries > 0 {
		rep.Queries = officerQueries(r, views, queries)
	}
	rep.HeapInUse, rep.RSS, rep.PeakRSS = memory()
	rep.RestoredMark = markCPU()
	runtime.KeepAlive(views)
	return rep, nil
}

// memory returns the Go heap in use after a collection and the process's
// resident set size now and at its peak.
func memory() (heap, rss, peak uint64) {
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	rss, peak = residentMemory()
	return ms.HeapInuse, rss, peak
}

func (rep *Report) rebuild(ctx context.Context, store eventstore.Store, snap string) error {
	views := datadir.NewViews()
	r, err := projections.NewRunner(store, schema.Codec(), snap, views.All()...)
	if err != nil {
		return err
	}
	start, cpu, gc := time.Now(), processCPU(), gcCPU()
	var last time.Time
	rep.Progress, err = r.Rebuild(ctx, func(projections.Progress) { last = time.Now() })
	rep.Rebuild, rep.RebuildCPU, rep.RebuildGC = time.Since(start), processCPU()-cpu, gcCPU()-gc
	rep.Replay = last.Sub(start)
	if err != nil {
		return err
	}
	info, err := os.Stat(snap + "/" + projections.SnapshotFile)
	if err != nil {
		return fmt.Errorf("projbench: %w", err)
	}
	rep.SnapshotBytes = info.Size()
	rep.FinalSave, _ = r.LastSave()
	rep.HeapInUse, rep.RSS, rep.PeakRSS = memory()
	rep.RebuiltMark = markCPU()
	runtime.KeepAlive(views)
	return nil
}

// markCPU is the process's CPU for one full collection of the heap as it
// is, the least of three (the first may still free garbage). Nothing else
// runs then, so the process's CPU time (getrusage) is the collector's;
// the runtime's own estimate counts its workers' wall time, idle-time
// marking included, and grows with GOMAXPROCS beyond the idle CPUs.
func markCPU() time.Duration {
	var least time.Duration
	for i := range 3 {
		before := processCPU()
		runtime.GC()
		if d := processCPU() - before; i == 0 || d < least {
			least = d
		}
	}
	return least
}

// queryPage is the page size the officers' screens ask for: the API's
// default limit.
const queryPage = 50

// officerQueries times n rounds of what the officers' and evaluators'
// screens ask, each under Runner.Read as the API asks it: the claim queue
// by status and county, each role's next work, one claim, the budget
// lines and one line, performance rows, a county's total and indicators.
func officerQueries(r *projections.Runner, v *datadir.Views, n int) []QueryStat {
	var ids []string
	var lines []string
	r.Read(func(uint64) {
		for _, c := range v.Claims.Find(projections.ClaimFilter{Status: claim.StatusPaid}) {
			ids = append(ids, c.ID)
		}
		for _, l := range v.Budgets.Lines() {
			lines = append(lines, l.ID)
		}
	})
	statuses := []claim.Status{claim.StatusSubmitted, claim.StatusChecked, claim.StatusDisclosed, claim.StatusPaid}
	kinds := []struct {
		name string
		run  func(i int)
	}{
		{"claims by status and county (page)", func(i int) {
			v.Claims.FindPage(projections.ClaimFilter{Status: statuses[i%len(statuses)], County: counties[i%len(counties)]}, projections.ClaimCursor{}, queryPage)
		}},
		{"next work (clerk, approver, treasurer; page)", func(i int) {
			switch i % 3 {
			case 0:
				v.Claims.NextWorkPage(role.Clerk, clerk(counties[i%len(counties)]), projections.ClaimCursor{}, queryPage)
			case 1:
				v.Claims.NextWorkPage(role.Approver, approver(counties[i%len(counties)], 1), projections.ClaimCursor{}, queryPage)
			default:
				v.Claims.NextWorkPage(role.Treasurer, treasurer, projections.ClaimCursor{}, queryPage)
			}
		}},
		{"one claim", func(i int) { v.Claims.Claim(ids[i*7919%len(ids)]) }},
		{"claim trail", func(i int) { v.Trail.ClaimTrail(ids[i*7919%len(ids)]) }},
		{"budget lines", func(int) { v.Budgets.Lines() }},
		{"evaluator: rows of a period (year, quarter, month)", func(i int) {
			periods := []string{"2024", "2025-Q2", "2025-03"}
			_, err := v.Performance.Rows(projections.PerformanceFilter{Period: periods[i%len(periods)]})
			mustAnswer(err)
		}},
		{"evaluator: one county's total of a quarter", func(i int) {
			_, err := v.Performance.Total(projections.PerformanceFilter{Period: "2025-Q1", County: counties[i%len(counties)]})
			mustAnswer(err)
		}},
		{"evaluator: indicators of a county and year", func(i int) {
			_, err := v.Performance.Indicators(counties[i%len(counties)], "2025")
			mustAnswer(err)
		}},
		{"one budget line", func(i int) { v.Budgets.Line(lines[i%len(lines)]) }},
	}
	var out []QueryStat
	for _, k := range kinds {
		times := make([]time.Duration, n)
		for i := range n {
			start := time.Now()
			r.Read(func(uint64) { k.run(i) })
			times[i] = time.Since(start)
		}
		slices.Sort(times)
		out = append(out, QueryStat{Name: k.name, N: n, P50: times[n/2], P99: times[n*99/100], Max: times[n-1]})
	}
	return out
}

// mustAnswer stops the benchmark on a query that fails: the figures must
// time answers, not refusals.
func mustAnswer(err error) {
	if err != nil {
		panic(fmt.Sprintf("projbench: a timed query failed: %v", err))
	}
}
