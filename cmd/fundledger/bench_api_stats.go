package main

import (
	"bufio"
	"fmt"
	"io"
	"math"
	"runtime/metrics"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// latencySummary is the exact distribution of one kind's latencies: every
// sample is kept and sorted, so the percentiles are the samples
// themselves, not a histogram's bucket bounds.
type latencySummary struct {
	N                  int
	P50, P95, P99, Max time.Duration
}

// byRequest joins per-kind samples into the commands' and the queries'.
func byRequest(perKind *[numKinds][]time.Duration) (commands, queries []time.Duration) {
	for k := range numKinds {
		if k < numCommandKinds {
			commands = append(commands, perKind[k]...)
		} else {
			queries = append(queries, perKind[k]...)
		}
	}
	return commands, queries
}

// summarise sorts samples in place and takes nearest-rank percentiles.
func summarise(samples []time.Duration) latencySummary {
	if len(samples) == 0 {
		return latencySummary{}
	}
	slices.Sort(samples)
	rank := func(p float64) time.Duration {
		i := int(math.Ceil(p*float64(len(samples)))) - 1
		return samples[max(i, 0)]
	}
	return latencySummary{N: len(samples), P50: rank(0.50), P95: rank(0.95), P99: rank(0.99), Max: samples[len(samples)-1]}
}

func (s latencySummary) String() string {
	ms := func(d time.Duration) string { return strconv.FormatFloat(float64(d)/1e6, 'f', 2, 64) + " ms" }
	return fmt.Sprintf("n=%-7d p50 %9s  p95 %9s  p99 %9s  max %9s", s.N, ms(s.P50), ms(s.P95), ms(s.P99), ms(s.Max))
}

// histogram is one Prometheus histogram as scraped: cumulative counts by
// upper bound, the sum and the count.
type histogram struct {
	bounds []float64
	counts []float64
	sum    float64
	count  float64
}

// scrapeHistogram reads the histogram named name (without labels) from a
// Prometheus text exposition; found is false when it is not there.
func scrapeHistogram(r io.Reader, name string) (h histogram, found bool, err error) {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for sc.Scan() {
		line := sc.Text()
		key, value, ok := strings.Cut(line, " ")
		if !ok || strings.HasPrefix(line, "#") {
			continue
		}
		v, perr := strconv.ParseFloat(strings.TrimSpace(value), 64)
		switch {
		case perr != nil:
			continue
		case strings.HasPrefix(key, name+`_bucket{le="`):
			le := strings.TrimSuffix(strings.TrimPrefix(key, name+`_bucket{le="`), `"}`)
			b, perr := strconv.ParseFloat(le, 64)
			if perr != nil {
				continue // +Inf is implied by the count
			}
			h.bounds = append(h.bounds, b)
			h.counts = append(h.counts, v)
			found = true
		case key == name+"_sum":
			h.sum = v
		case key == name+"_count":
			h.count = v
		}
	}
	return h, found, sc.Err()
}

// scrapeCounter finds the value of the unlabelled counter name in a
// Prometheus text exposition.
func scrapeCounter(text, name string) (float64, bool) {
	for line := range strings.Lines(text) {
		if v, ok := strings.CutPrefix(line, name+" "); ok {
			f, err := strconv.ParseFloat(strings.TrimSpace(v), 64)
			return f, err == nil
		}
	}
	return 0, false
}

// since is h minus an earlier scrape of the same histogram.
func (h histogram) since(before histogram) histogram {
	out := histogram{bounds: h.bounds, counts: slices.Clone(h.counts), sum: h.sum - before.sum, count: h.count - before.count}
	if len(before.counts) == len(out.counts) {
		for i := range out.counts {
			out.counts[i] -= before.counts[i]
		}
	}
	return out
}

// quantileBound is the upper bound of the bucket holding quantile q: the
// exact value lies at or below it. ok is false above the last bound.
func (h histogram) quantileBound(q float64) (bound float64, ok bool) {
	want := q * h.count
	for i, c := range h.counts {
		if c >= want {
			return h.bounds[i], true
		}
	}
	return 0, false
}

// describe prints the server-side append latency of the run.
func (h histogram) describe() string {
	if h.count <= 0 {
		return "no appends recorded"
	}
	bound := func(q float64) string {
		b, ok := h.quantileBound(q)
		if !ok {
			return "above the last bucket"
		}
		return fmt.Sprintf("≤ %g ms", b*1000)
	}
	return fmt.Sprintf("%.0f appends, mean %.2f ms, p50 %s, p99 %s (bucket bounds)",
		h.count, h.sum/h.count*1000, bound(0.50), bound(0.99))
}

// cpuTime is the user and system CPU this process has used.
type cpuTime struct{ user, sys time.Duration }

func processCPU() cpuTime {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return cpuTime{}
	}
	return cpuTime{user: time.Duration(ru.Utime.Nano()), sys: time.Duration(ru.Stime.Nano())}
}

func (c cpuTime) minus(o cpuTime) cpuTime { return cpuTime{user: c.user - o.user, sys: c.sys - o.sys} }

// windowRates prints the commands/s of each of the first n windows.
func windowRates(byWindow [][]time.Duration, n int) string {
	out := make([]string, n)
	for i := range out {
		count := 0
		if i < len(byWindow) {
			count = len(byWindow[i])
		}
		out[i] = fmt.Sprintf("%.0f", float64(count)/benchWindow.Seconds())
	}
	return strings.Join(out, " ")
}

// windowP99s prints the p99 of each of the first n windows' latencies
// ("-" for a window without a command).
func windowP99s(byWindow [][]time.Duration, n int) string {
	out := make([]string, n)
	for i := range out {
		if i >= len(byWindow) || len(byWindow[i]) == 0 {
			out[i] = "-"
			continue
		}
		out[i] = fmt.Sprintf("%.1f", float64(summarise(byWindow[i]).P99)/float64(time.Millisecond))
	}
	return strings.Join(out, " ")
}

// gcStats is what the garbage collector of this process has done: the
// collections it completed, the CPU its marking (idle-time marking left
// out: it runs on processors nothing else wanted) and pauses took, the
// CPU the process used by the runtime's same estimate, and the live heap
// after the last collection. In round 8 on the development machine each
// collection's mark phase slowed every request for a few hundred
// milliseconds (docs/performance.md), so the bench says how many fell in
// the run.
type gcStats struct {
	cycles    uint64
	gc, busy  time.Duration
	liveBytes uint64
}

// readGC reads gcStats from runtime/metrics, whose CPU classes are
// estimates to compare with one another only.
func readGC() gcStats {
	s := []metrics.Sample{{Name: "/gc/cycles/total:gc-cycles"}, {Name: "/cpu/classes/gc/total:cpu-seconds"},
		{Name: "/cpu/classes/gc/mark/idle:cpu-seconds"}, {Name: "/cpu/classes/total:cpu-seconds"},
		{Name: "/cpu/classes/idle:cpu-seconds"}, {Name: "/gc/heap/live:bytes"}}
	metrics.Read(s)
	seconds := func(i int) time.Duration { return time.Duration(s[i].Value.Float64() * float64(time.Second)) }
	return gcStats{cycles: s[0].Value.Uint64(), gc: seconds(1) - seconds(2), busy: seconds(3) - seconds(4),
		liveBytes: s[5].Value.Uint64()}
}

// describeGC prints the collections between before and after, with
// their CPU as a share of the process's in the same time.
func describeGC(before, after gcStats) string {
	cpu, busy := after.gc-before.gc, after.busy-before.busy
	share := 0.0
	if busy > 0 {
		share = 100 * float64(cpu) / float64(busy)
	}
	return fmt.Sprintf("%s, %s of CPU in marking and pauses (%.1f%% of the process's, runtime estimates), live heap %.0f MB after the last",
		plural(int(after.cycles-before.cycles), "collection", "collections"), cpu.Round(time.Millisecond), share, float64(after.liveBytes)/(1<<20))
}
