package main

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/haixi-hrss/fundledger/domain/budget"
	"github.com/haixi-hrss/fundledger/domain/claim"
	"github.com/haixi-hrss/fundledger/domain/money"
	"github.com/haixi-hrss/fundledger/domain/programme"
	"github.com/haixi-hrss/fundledger/domain/region"
	"github.com/haixi-hrss/fundledger/ledger/datadir"
	"github.com/haixi-hrss/fundledger/projections"
)

var (
	benchLedgerLine = regexp.MustCompile(`ledger +(\d+) paid claims of run (\S+); (\d+) cycles completed`)
	benchGCLine     = regexp.MustCompile(`(?m)^gc +this process \(server and generator together\): \d+ collections?, \S+ of CPU in marking and pauses \(\d+\.\d% of the process's, runtime estimates\), live heap \d+ MB after the last$`)
)

// TestBenchAPIShortRun runs the API bench for a second on 4 connections
// against its in-process server, then opens the data directory itself:
// every claim the run filed must be paid, their number must be the
// cycles the bench reports, and the run's budget lines must have spent
// 1,500.00 per claim, so the bench's throughput counts real, complete
// payments and not failed or half-done requests. It also asks for
// --trace, which must leave an execution trace of the run.
func TestBenchAPIShortRun(t *testing.T) {
	dir := t.TempDir()
	tracePath := filepath.Join(t.TempDir(), "trace.out")
	r := cli(t, "bench", "api", "--duration", "1s", "--connections", "4", "--data", dir, "--trace", tracePath)
	r.wantCode(t, exitOK)
	// An execution trace starts with its header, "go 1.NN trace".
	if b, err := os.ReadFile(tracePath); err != nil || !strings.HasPrefix(string(b), "go 1.") {
		t.Fatalf("--trace %s: want an execution trace, got %.16q (%v)", tracePath, b, err)
	}
	r.wantOut(t, "errors    none", "command   submit", "command   settle", "query     performance",
		"query     budget-line", "query     queue", "server-side store appends", "store appends,", "stream reads",
		"saves     server-side, during the load: ", "target    ≥ 5,000 commands/s")
	if !benchGCLine.MatchString(r.stdout) {
		t.Errorf("no collector line in:\n%s", r.stdout)
	}
	// Without --rate the closed loop's report is as it was: no schedule.
	for _, line := range []string{"rate      ", "late      ", "service   ", "NOT SUSTAINED"} {
		if strings.Contains(r.stdout, line) {
			t.Errorf("a closed-loop run reports %q:\n%s", line, r.stdout)
		}
	}
	m := benchLedgerLine.FindStringSubmatch(r.stdout)
	if m == nil {
		t.Fatalf("no ledger line in:\n%s", r.stdout)
	}
	run := m[2]
	cycles, err := strconv.Atoi(m[3])
	if err != nil || cycles == 0 {
		t.Fatalf("cycles %q: want a positive count\n%s", m[3], r.stdout)
	}

	ctx := context.Background()
	l, err := datadir.Open(ctx, dir, datadir.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	if _, err := l.CatchUp(ctx); err != nil {
		t.Fatal(err)
	}
	var mine, paid int
	var spent money.Amount
	l.Runner.Read(func(uint64) {
		for _, row := range l.Views.Claims.Find(projections.ClaimFilter{Programme: programme.Expansion}) {
			if !strings.HasPrefix(row.ID, run+"-") {
				continue
			}
			mine++
			if row.Status == claim.StatusPaid {
				paid++
			}
		}
		for _, c := range region.Counties() {
			if line, ok := l.Views.Budgets.Line(budget.LineID(run+"-ui", programme.Expansion, c, 2025)); ok {
				spent = spent.Add(line.Spent)
			}
		}
	})
	if mine != cycles || paid != cycles {
		t.Fatalf("the ledger holds %d claims of run %s, %d of them paid; the bench completed %d cycles", mine, run, paid, cycles)
	}
	want := money.Yuan(1500 * int64(cycles))
	if !spent.Equal(want) {
		t.Fatalf("the run's budget lines spent %s, want %s for %d grants", spent, want, cycles)
	}
}

// TestBenchAPIAgainstURL drives a server the bench did not start, with
// the tokens from a file, as against a deployed one: the cycles complete
// without errors and the ledger's count of paid claims matches.
func TestBenchAPIAgainstURL(t *testing.T) {
	srv, err := startBenchServer(context.Background(), t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	defer func() {
		if err := srv.stop(); err != nil {
			t.Error(err)
		}
	}()
	raw, err := json.Marshal(srv.tokens)
	if err != nil {
		t.Fatal(err)
	}
	tokFile := filepath.Join(t.TempDir(), "bench-tokens.json")
	if err := os.WriteFile(tokFile, raw, 0o600); err != nil {
		t.Fatal(err)
	}
	r := cli(t, "bench", "api", "--url", srv.url, "--token-file", tokFile, "--duration", "500ms", "--connections", "2")
	r.wantCode(t, exitOK)
	r.wantOut(t, "server    server "+srv.url, "errors    none", "the generator alone")
	m := benchLedgerLine.FindStringSubmatch(r.stdout)
	if m == nil || m[1] != m[3] || m[1] == "0" {
		t.Fatalf("want a positive count of paid claims equal to the cycles:\n%s", r.stdout)
	}
}

func TestBenchAPIRejectsBadFlags(t *testing.T) {
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"--url", "http://127.0.0.1:1"}, "--url needs --token-file"},
		{[]string{"--token-file", "t.json"}, "--token-file goes with --url"},
		{[]string{"--connections", "0"}, "--connections must be at least 1"},
		{[]string{"--duration", "0s"}, "--duration must be positive"},
		{[]string{"--rate", "-1"}, "--rate must not be negative"},
		{[]string{"--rate", "1000000001"}, "--rate must be at most 1000000000"},
	} {
		r := cli(t, append([]string{"bench", "api"}, tc.args...)...)
		r.wantCode(t, exitUsage)
		r.wantErr(t, tc.want)
	}
}

// TestDescribeGC: the collections and the collector's CPU of a run are
// the differences of two readings, the CPU also as a share of the
// process's busy time in the same readings.
func TestDescribeGC(t *testing.T) {
	before := gcStats{cycles: 10, gc: 2 * time.Second, busy: 20 * time.Second, liveBytes: 64 << 20}
	for _, tt := range []struct {
		name  string
		after gcStats
		want  string
	}{
		{"a run", gcStats{cycles: 17, gc: 2500 * time.Millisecond, busy: 30 * time.Second, liveBytes: 216 << 20},
			"7 collections, 500ms of CPU in marking and pauses (5.0% of the process's, runtime estimates), live heap 216 MB after the last"},
		{"no collection", gcStats{cycles: 10, gc: 2 * time.Second, busy: 21 * time.Second, liveBytes: 64 << 20},
			"0 collections, 0s of CPU in marking and pauses (0.0% of the process's, runtime estimates), live heap 64 MB after the last"},
		{"no busy time", gcStats{cycles: 11, gc: 2100 * time.Millisecond, busy: 20 * time.Second, liveBytes: 64 << 20},
			"1 collection, 100ms of CPU in marking and pauses (0.0% of the process's, runtime estimates), live heap 64 MB after the last"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			if got := describeGC(before, tt.after); got != tt.want {
				t.Errorf("describeGC = %q, want %q", got, tt.want)
			}
		})
	}
}

// TestWindowRates: each window's commands per second, 0 for a window
// without a command, and only as many windows as asked.
func TestWindowRates(t *testing.T) {
	byWindow := [][]time.Duration{make([]time.Duration, 40000), nil, make([]time.Duration, 5)}
	if got, want := windowRates(byWindow, 4), "8000 0 1 0"; got != want {
		t.Errorf("windowRates(4) = %q, want %q", got, want)
	}
	if got, want := windowRates(byWindow, 1), "8000"; got != want {
		t.Errorf("windowRates(1) = %q, want %q", got, want)
	}
}

// TestWindowP99s: each window's nearest-rank p99 in milliseconds, "-" for
// a window without a command, and only as many windows as asked.
func TestWindowP99s(t *testing.T) {
	ms := func(v ...float64) []time.Duration {
		out := make([]time.Duration, len(v))
		for i, x := range v {
			out[i] = time.Duration(x * float64(time.Millisecond))
		}
		return out
	}
	hundred := make([]float64, 100)
	for i := range hundred {
		hundred[i] = float64(i + 1)
	}
	byWindow := [][]time.Duration{ms(hundred...), nil, ms(2.5), ms(7, 3, 40)}
	if got, want := windowP99s(byWindow, 3), "99.0 - 2.5"; got != want {
		t.Errorf("windowP99s(3) = %q, want %q", got, want)
	}
	if got, want := windowP99s(byWindow, 5), "99.0 - 2.5 40.0 -"; got != want {
		t.Errorf("windowP99s(5) = %q, want %q", got, want)
	}
}

// TestWorkerByWindow: a command's latency goes under the window it was
// answered in; a worker without the run's start files nothing (the
// rate tests make such workers).
func TestWorkerByWindow(t *testing.T) {
	began := time.Date(2026, 11, 26, 16, 0, 0, 0, time.UTC)
	w := &worker{began: began}
	w.byWindow(began.Add(7*time.Second), 3*time.Millisecond)
	w.byWindow(began.Add(time.Second), time.Millisecond)
	if len(w.res.byWindow) != 2 || len(w.res.byWindow[0]) != 1 || len(w.res.byWindow[1]) != 1 ||
		w.res.byWindow[1][0] != 3*time.Millisecond {
		t.Errorf("byWindow = %v, want [[1ms] [3ms]]", w.res.byWindow)
	}
	unset := &worker{}
	unset.byWindow(began, time.Millisecond)
	if len(unset.res.byWindow) != 0 {
		t.Errorf("a worker without a start filed %d windows", len(unset.res.byWindow))
	}
}

// TestDescribeSaves: the saves line counts what happened between the two
// scrapes.
func TestDescribeSaves(t *testing.T) {
	before := storeWork{saves: [4]float64{2, 0.5, 1, 0.25}}
	for _, tt := range []struct {
		after [4]float64
		want  string
	}{
		{[4]float64{2, 0.5, 1, 0.25}, "0 snapshot saves of the read models (0.00 s in all), 0 renewals from them (0.00 s)"},
		{[4]float64{3, 0.75, 2, 0.375}, "1 snapshot save of the read models (0.25 s in all), 1 renewal from them (0.12 s)"},
		{[4]float64{5, 2.5, 3, 1.25}, "3 snapshot saves of the read models (2.00 s in all), 2 renewals from them (1.00 s)"},
	} {
		if got := describeSaves(before, storeWork{saves: tt.after}); got != tt.want {
			t.Errorf("describeSaves = %q, want %q", got, tt.want)
		}
	}
}
