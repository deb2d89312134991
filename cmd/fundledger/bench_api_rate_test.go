package main

import (
	"context"
	"math/big"
	"net/http"
	"net/http/httptest"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// TestBenchScheduleDueTimes: slot i is due i·6 s / (rate·(6+queries))
// after the start, so the commands of a cycle's worth of slots are
// offered at rate per second, queries taking slots of their own; the
// arithmetic stays exact far beyond where i·6e9 overflows 64 bits.
func TestBenchScheduleDueTimes(t *testing.T) {
	start := time.Date(2026, 11, 26, 9, 0, 0, 0, time.UTC)
	for _, tc := range []struct {
		rate, queries int
		slot          uint64
		want          time.Duration
	}{
		{1000, 0, 0, 0},
		{1000, 0, 1, time.Millisecond},
		{1000, 0, 6000, 6 * time.Second},
		{5000, 1, 1, 171428 * time.Nanosecond}, // 6 s / 35,000, rounded down
		{5000, 1, 7, 1200 * time.Microsecond},  // one cycle: six commands at 5,000/s
		{5000, 1, 35000, 6 * time.Second},      // 5,000 cycles: 30,000 commands
		{5000, 3, 9, 1200 * time.Microsecond},  // more queries, shorter slots, same cycle time
		{4000, 1, 28000, 6 * time.Second},      // 4,000 cycles: 24,000 commands
		{7, 1, 7 * 7, 6 * time.Second},         // 7 cycles of 6 commands at 7/s
	} {
		s := newBenchSchedule(start, tc.rate, tc.queries)
		if got := s.due(tc.slot).Sub(start); got != tc.want {
			t.Errorf("rate %d, %d queries: slot %d due after %s, want %s", tc.rate, tc.queries, tc.slot, got, tc.want)
		}
	}
	s := newBenchSchedule(start, 5000, 1)
	if got := s.requestsPerSecond(); got < 5833.33 || got > 5833.34 {
		t.Errorf("5,000 commands/s with a query per cycle: %v requests/s, want 5833.33", got)
	}
	// 2^40 · 6e9 is above 2^63: the product must not wrap.
	slot := uint64(1) << 40
	want := new(big.Int).Mul(new(big.Int).SetUint64(slot), big.NewInt(6e9))
	want.Quo(want, big.NewInt(5000*7))
	if got := s.offset(slot); int64(got) != want.Int64() {
		t.Errorf("slot 2^40 due after %d ns, want %s", got, want)
	}
}

// TestBenchScheduleClaimsEverySlotOnce: the workers share one schedule;
// concurrent claims take every slot exactly once, in order of the slot
// numbers, none skipped.
func TestBenchScheduleClaimsEverySlotOnce(t *testing.T) {
	start := time.Now()
	s := newBenchSchedule(start, 1000, 0) // slot i due after i ms
	const workers, each = 8, 200
	var (
		mu   sync.Mutex
		seen []time.Duration
		wg   sync.WaitGroup
	)
	for range workers {
		wg.Go(func() {
			mine := make([]time.Duration, 0, each)
			for range each {
				mine = append(mine, s.claim().Sub(start))
			}
			if !slices.IsSorted(mine) {
				t.Error("one worker's claims went back in time")
			}
			mu.Lock()
			seen = append(seen, mine...)
			mu.Unlock()
		})
	}
	wg.Wait()
	slices.Sort(seen)
	for i, d := range seen {
		if d != time.Duration(i)*time.Millisecond {
			t.Fatalf("claim %d of %d is due after %s, want %s: a slot taken twice or skipped", i, len(seen), d, time.Duration(i)*time.Millisecond)
		}
	}
}

// TestRateLatencyCountsTheQueue drives two rate-mode workers against a
// server that takes serviceTime over every answer, offering a request
// every millisecond when two connections can carry one every
// serviceTime/2 at best. The generator falls behind, and the latency
// it records must carry the wait: a worker's claim number m comes at
// least m·serviceTime after the start, so slot j is claimed no earlier
// than (j−1)·serviceTime/2, while it is due at j ms; the k-th cycle's
// first request holds a slot j ≥ 6k, so its latency exceeds its service
// time by at least 6k·(serviceTime/2 − 1 ms) − serviceTime/2. That
// bound grows over the run whatever the machine's speed; the service
// times, measured from sending, do not carry the wait.
func TestRateLatencyCountsTheQueue(t *testing.T) {
	const serviceTime = 4 * time.Millisecond
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		time.Sleep(serviceTime)
		w.Write([]byte("{}"))
	}))
	defer srv.Close()
	tokens := map[string]string{}
	for _, r := range benchRoles {
		tokens[r] = "tok-" + r
	}
	c := newAPIClient(srv.URL, tokens, 2)
	defer c.close()
	plan := benchPlan{run: "rate", counties: []benchCounty{{region: "632802", line: "line", employer: "employer"}}}

	start := time.Now()
	sched := newBenchSchedule(start, 1000, 0) // no queries: a slot every millisecond
	deadline := start.Add(300 * time.Millisecond)
	workers := []*worker{
		{id: 0, c: c, wire: c.newWireConn(), plan: plan, sched: sched},
		{id: 1, c: c, wire: c.newWireConn(), plan: plan, sched: sched},
	}
	var wg sync.WaitGroup
	for _, w := range workers {
		wg.Go(func() {
			w.run(context.Background(), deadline)
			w.wire.close()
		})
	}
	wg.Wait()

	for _, w := range workers {
		for k := range numKinds {
			if e := w.res.errors[k]; e.n > 0 {
				t.Fatalf("worker %d: %d %s requests failed, first: %s", w.id, e.n, k, e.first)
			}
		}
		latency, service := w.res.samples[kindSubmit], w.res.service[kindSubmit]
		if len(latency) != w.res.cycles || len(service) != w.res.cycles {
			t.Fatalf("worker %d: %d latencies and %d service times of submits for %d cycles", w.id, len(latency), len(service), w.res.cycles)
		}
		if w.res.cycles < 3 {
			t.Fatalf("worker %d completed %d cycles in the run, too few to see the queue grow", w.id, w.res.cycles)
		}
		var lastBound time.Duration
		for k := range latency {
			if service[k] < serviceTime {
				t.Errorf("worker %d cycle %d: service time %s, below the server's %s", w.id, k, service[k], serviceTime)
			}
			wait := latency[k] - service[k]
			lastBound = time.Duration(6*k)*(serviceTime/2-time.Millisecond) - serviceTime/2
			if wait < lastBound {
				t.Errorf("worker %d cycle %d: latency %s is service %s plus %s, want a wait of at least %s",
					w.id, k, latency[k], service[k], wait, lastBound)
			}
		}
		// The queueing is in the latency, not in the service time: most
		// service times stay far below the last cycle's wait.
		if median := slices.Sorted(slices.Values(service))[len(service)/2]; median >= lastBound {
			t.Errorf("worker %d: a median service time of %s, not below the last cycle's wait of at least %s", w.id, median, lastBound)
		}
		if l := w.res.late; len(l) != 6*w.res.cycles || slices.Max(l) < lastBound {
			t.Errorf("worker %d: %d lateness samples for %d requests, want the latest at least %s late", w.id, len(l), 6*w.res.cycles, lastBound)
		}
	}
}

// benchLoadLine is the report's load line: the run's wall time, its
// commands and queries.
var benchLoadLine = regexp.MustCompile(`load +([0-9.]+m?s): (\d+) commands \(\d+/s\), (\d+) queries`)

// TestBenchAPIAtFixedRate runs the API bench on a schedule of 150
// commands/s against its in-process server: the cycles complete and are
// paid, the report names the mode with the offered and achieved rates,
// the lateness and the service times, and the generator never runs
// ahead of its schedule, which a closed loop on four connections would.
func TestBenchAPIAtFixedRate(t *testing.T) {
	const rate = 150
	r := cli(t, "bench", "api", "--duration", "1s", "--connections", "4", "--rate", strconv.Itoa(rate))
	r.wantCode(t, exitOK)
	r.wantOut(t, "rate      open loop: 150 commands/s offered (175 requests/s, one due every 5.714285ms); achieved ",
		"late      ", "latency   from each request's due time", "service   commands", "service   queries", "errors    none",
		"command   submit", "query     queue")
	m := benchLedgerLine.FindStringSubmatch(r.stdout)
	if m == nil || m[1] != m[3] || m[1] == "0" {
		t.Fatalf("want a positive count of paid claims equal to the cycles:\n%s", r.stdout)
	}
	lm := benchLoadLine.FindStringSubmatch(r.stdout)
	if lm == nil {
		t.Fatalf("no load line in:\n%s", r.stdout)
	}
	wall, err := time.ParseDuration(lm[1])
	if err != nil {
		t.Fatal(err)
	}
	commands, _ := strconv.Atoi(lm[2])
	queries, _ := strconv.Atoi(lm[3])
	// No request goes before its slot is due: at most one slot per
	// 1/175 s of the run (its wall time rounded to the millisecond), and
	// slot 0.
	if most := int((wall+time.Millisecond/2).Seconds()*rate*7/6) + 1; commands+queries > most {
		t.Errorf("%d requests in %s, more than the %d slots due at %d commands/s:\n%s", commands+queries, wall, most, rate, r.stdout)
	}
}

// TestRateReportSaysWhenNotSustained: a run on the schedule that
// achieved less than 95% of the offered rate says so in a line of its
// own and fails the throughput target even when the offer met it; one
// that kept up does neither. Both count the requests that went out
// more than a millisecond late.
func TestRateReportSaysWhenNotSustained(t *testing.T) {
	for _, tc := range []struct {
		commands  int
		sustained bool
	}{
		{49_000, true},  // 4,900/s of 5,000: 98%
		{47_000, false}, // 4,700/s: 94%
	} {
		res := loadResult{wall: 10 * time.Second, sched: newBenchSchedule(time.Now(), 5000, 1)}
		res.samples[kindSubmit] = make([]time.Duration, tc.commands)
		res.late = []time.Duration{30 * time.Millisecond, 0, time.Millisecond, 1500 * time.Microsecond}
		var b strings.Builder
		writeRateReport(&b, res)
		writeTargets(&b, res)
		out := b.String()
		if got := strings.Contains(out, "\nNOT SUSTAINED  achieved "); got == tc.sustained {
			t.Errorf("%d commands in 10 s at 5,000/s offered: NOT SUSTAINED %v, want %v:\n%s", tc.commands, got, !tc.sustained, out)
		}
		if want := "late      2 of 4 requests (50.00%) went out more than 1ms after their due time\n"; !strings.Contains(out, want) {
			t.Errorf("want %q in:\n%s", want, out)
		}
		target := "target    ≥ 5,000 commands/s: 5000/s offered, " + strconv.Itoa(tc.commands/10) + "/s achieved, "
		if tc.sustained {
			target += "met"
		} else {
			target += "NOT met"
		}
		if !strings.Contains(out, target+"\n") {
			t.Errorf("want %q in:\n%s", target, out)
		}
	}
}

// TestBenchAPIHelpExplainsBothModes: --help names --rate and tells the
// closed loop from the open one and what NOT SUSTAINED means.
func TestBenchAPIHelpExplainsBothModes(t *testing.T) {
	h := cli(t, "bench", "api", "--help")
	h.wantCode(t, exitOK)
	h.wantOut(t, "[--rate N]", "closed loop", "open loop at N commands/s", "from the due time", "NOT SUSTAINED", "-rate int")
}
