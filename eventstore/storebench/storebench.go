// Package storebench measures the embedded event store against the disk it
// runs on: durable appends per second with one writer and with many
// concurrent writers, the same two loads as raw file appends with
// fdatasync (the ceiling any durable store can reach on that disk), and a
// full read of the global log decoded into eventstore.Event.
//
// Every measurement of one Run uses the same temporary directory, so the
// store and its baseline see the same disk. `fundledger bench store` calls
// Run and prints the Report with WriteText.
package storebench

import (
	"context"
	"fmt"
	"os"
	"runtime"
	"strings"
	"time"
)

// Options says what to measure. Zero fields take the defaults shown.
type Options struct {
	// Dir is where the temporary data directory is created (default the
	// system temp dir). Point it at the disk the ledger will live on.
	Dir string
	// Events is the number of events each concurrent measurement writes
	// (default 50,000). The single-writer measurements, bound by one fsync
	// per event, write a tenth of it (at least 100).
	Events int
	// Writers is the number of concurrent writers (default 64).
	Writers int
	// Streams is the number of streams the events are spread over (default
	// 1,000).
	Streams int
	// EventSize is the approximate size in bytes of each event's JSON data
	// (default 500).
	EventSize int
}

func (o Options) withDefaults() Options {
	if o.Dir == "" {
		o.Dir = os.TempDir()
	}
	if o.Events <= 0 {
		o.Events = 50_000
	}
	if o.Writers <= 0 {
		o.Writers = 64
	}
	if o.Streams <= 0 {
		o.Streams = 1_000
	}
	if o.EventSize <= 0 {
		o.EventSize = 500
	}
	return o
}

// singleEvents is how many events the one-writer measurements write.
func (o Options) singleEvents() int { return max(o.Events/10, 100) }

// Result is one measurement.
type Result struct {
	// Name says what was measured, e.g. "sqlite append, 64 writers".
	Name string
	// Events is how many events were written or read.
	Events int
	// Elapsed is the wall-clock time they took.
	Elapsed time.Duration
}

// PerSecond is the measured rate in events per second.
func (r Result) PerSecond() float64 {
	if r.Elapsed <= 0 {
		return 0
	}
	return float64(r.Events) / r.Elapsed.Seconds()
}

// Report is the outcome of one Run.
type Report struct {
	// Options are the options used, defaults filled in.
	Options Options
	// CPUs, CPUModel and GoVersion describe the machine.
	CPUs      int
	CPUModel  string
	GoVersion string
	// Results, in this order: raw 1 writer, raw grouped, sqlite 1 writer,
	// sqlite concurrent, read.
	Results []Result
}

// Names of the measurements in a Report.
const (
	RawSingle     = "raw append+fdatasync, 1 writer"
	RawGrouped    = "raw append+fdatasync, writers grouped"
	SQLiteSingle  = "sqlite append, 1 writer"
	SQLiteGrouped = "sqlite append, concurrent writers"
	ReadLog       = "read global log into eventstore.Event"
)

// Result returns the measurement called name and whether it is present.
func (r Report) Result(name string) (Result, bool) {
	for _, res := range r.Results {
		if res.Name == name {
			return res, true
		}
	}
	return Result{}, false
}

// Run performs every measurement once and removes its data afterwards.
func Run(ctx context.Context, opts Options) (Report, error) {
	opts = opts.withDefaults()
	rep := Report{Options: opts, CPUs: runtime.NumCPU(), CPUModel: cpuModel(), GoVersion: runtime.Version()}
	dir, err := os.MkdirTemp(opts.Dir, "fundledger-storebench-")
	if err != nil {
		return rep, fmt.Errorf("storebench: %w", err)
	}
	defer os.RemoveAll(dir)
	w := newWorkload(opts)
	for _, step := range []func(context.Context, string, *workload) ([]Result, error){
		rawSingle, rawGrouped, sqliteRun,
	} {
		res, err := step(ctx, dir, w)
		if err != nil {
			return rep, fmt.Errorf("storebench: %w", err)
		}
		rep.Results = append(rep.Results, res...)
	}
	return rep, nil
}

// cpuModel reads the first "model name" of /proc/cpuinfo, if there is one.
func cpuModel() string {
	b, err := os.ReadFile("/proc/cpuinfo")
	if err != nil {
		return "unknown"
	}
	for line := range strings.Lines(string(b)) {
		if k, v, ok := strings.Cut(line, ":"); ok && strings.TrimSpace(k) == "model name" {
			return strings.TrimSpace(v)
		}
	}
	return "unknown"
}
