package main

import (
	"log/slog"
	"os"
	"runtime"
	"runtime/debug"
	"runtime/metrics"
)

// The collector's defaults for serve. A command's garbage is a few tens of
// kilobytes, while the read models hold the live heap; at GOGC 100 the
// collector ran about a tenth of the server's CPU under load. GOGC 400
// lets the heap grow to five times what is live between collections, and
// the soft memory limit stops that growth at a quarter of the memory the
// process may use (the machine's, or its container's if less; SQLite's
// own memory is outside it), so a large ledger is collected more often
// instead of growing its heap further. The limit was a fixed 768 MiB,
// which is still the least it is outside a smaller control group: in a
// 60 s `fundledger bench api` the read models grew to ~520 MB live, and
// under that limit the collector ran 54 times for 8.0% of the CPU; under
// a quarter of the development machine's memory (5.9 GiB) 23 times for
// 2.8%, and the run's p95 fell from 23.8 to 15.4 ms (docs/performance.md,
// API round 8).
const (
	serveGCPercent      = 400
	minServeMemoryLimit = 768 << 20
)

// serveGC returns the GC percent and soft memory limit serve sets, each
// -1 when the operator chose it through GOGC or GOMEMLIMIT: their choice
// stands. memory reports the machine's bytes and its container's quota
// (0: no limit); it reads files, so it is asked only for a limit to set.
func serveGC(getenv func(string) string, memory func() (physical, quota uint64)) (percent int, limit int64) {
	percent, limit = serveGCPercent, -1
	if getenv("GOGC") != "" {
		percent = -1
	}
	if getenv("GOMEMLIMIT") == "" {
		limit = serveMemoryLimit(memory())
	}
	return percent, limit
}

// serveMemoryLimit is a quarter of the memory the process may use, the
// machine's or its control group's, and at least minServeMemoryLimit
// (also when neither is known, 0), but within a known group limit at
// most three quarters of it: a soft limit above the hard one would never
// act, and SQLite's memory is outside it.
func serveMemoryLimit(physical, quota uint64) int64 {
	usable := physical
	if quota > 0 && (usable == 0 || quota < usable) {
		usable = quota
	}
	limit := max(usable/4, minServeMemoryLimit)
	if quota > 0 {
		limit = min(limit, quota/4*3)
	}
	return int64(limit)
}

// runsServer reports whether args (without the program name) name a
// command that serves the API in this process: serve, and bench api,
// whose server is measured as serve runs it.
func runsServer(args []string) bool {
	return len(args) > 0 && args[0] == "serve" || len(args) > 1 && args[0] == "bench" && args[1] == "api"
}

// serveProcs returns the number of processors (GOMAXPROCS) serve runs
// its goroutines on, given the runtime's own default procs and the
// machine's cpus: one more than the default, or -1 to leave the default
// as it is, when the operator chose GOMAXPROCS or when the default is
// below the CPUs (a container's CPU limit, which the runtime follows and
// goes on following only if GOMAXPROCS is not set: a process running
// more threads than its quota is throttled in whole periods).
//
// Why one more: the store's writer spends most of its time in SQLite's C
// code, and a goroutine in a C call keeps its processor until the
// runtime hands it to another thread; the projection runner, the
// collector's worker and a snapshot save each run for milliseconds at a
// time. On a two-CPU machine that left the API's short requests waiting
// for one of two processors: in `fundledger bench api` on the
// development machine (docs/performance.md, API round 8) a third
// processor took the query p99 from 12–17 ms to 5–7 ms and the commands
// per second up by about 5%, with the command p99 unchanged. Sizes that
// follow GOMAXPROCS follow it there too: the store's pool of readers (two
// per processor, at least four) and the parts the log's reads and the
// read models' replay are split into.
func serveProcs(getenv func(string) string, procs, cpus int) int {
	if getenv("GOMAXPROCS") != "" || procs < cpus {
		return -1
	}
	return procs + 1
}

// applyServeRuntime sets what serveGC and serveProcs return. The settings
// hold for the whole process, so main applies them (see runsServer),
// never the commands themselves: tests run serve and bench api inside
// their own binary.
func applyServeRuntime() {
	percent, limit := serveGC(os.Getenv, func() (uint64, uint64) { return physicalMemory(), containerMemory() })
	if percent >= 0 {
		debug.SetGCPercent(percent)
	}
	if limit >= 0 {
		debug.SetMemoryLimit(limit)
	}
	if procs := serveProcs(os.Getenv, runtime.GOMAXPROCS(0), runtime.NumCPU()); procs > 0 {
		runtime.GOMAXPROCS(procs)
	}
}

// logRuntime logs what the collector and the scheduler run with.
func logRuntime(log *slog.Logger) {
	s := []metrics.Sample{{Name: "/gc/gogc:percent"}, {Name: "/gc/gomemlimit:bytes"}}
	metrics.Read(s)
	log.Info("runtime", "gogc", s[0].Value.Uint64(), "memory_limit_bytes", s[1].Value.Uint64(),
		"gomaxprocs", runtime.GOMAXPROCS(0), "cpus", runtime.NumCPU())
}
