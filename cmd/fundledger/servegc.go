package main

import (
	"log/slog"
	"os"
	"runtime/debug"
	"runtime/metrics"
)

// The collector's defaults for serve. A command's garbage is a few tens of
// kilobytes, while the read models hold the live heap; at GOGC 100 the
// collector ran about a tenth of the server's CPU under load. GOGC 400
// lets the heap grow to five times what is live between collections, and
// the soft memory limit stops that growth at 768 MiB of Go memory (SQLite's
// own memory is outside it), so a large ledger is collected more often
// instead of growing its heap further.
const (
	serveGCPercent   = 400
	serveMemoryLimit = 768 << 20
)

// serveGC returns the GC percent and soft memory limit serve sets, each
// -1 when the operator chose it through GOGC or GOMEMLIMIT: their choice
// stands.
func serveGC(getenv func(string) string) (percent int, limit int64) {
	percent, limit = serveGCPercent, serveMemoryLimit
	if getenv("GOGC") != "" {
		percent = -1
	}
	if getenv("GOMEMLIMIT") != "" {
		limit = -1
	}
	return percent, limit
}

// runsServer reports whether args (without the program name) name a
// command that serves the API in this process: serve, and bench api,
// whose server is measured as serve runs it.
func runsServer(args []string) bool {
	return len(args) > 0 && args[0] == "serve" || len(args) > 1 && args[0] == "bench" && args[1] == "api"
}

// applyServeGC sets what serveGC returns. The settings hold for the whole
// process, so main applies them (see runsServer), never the commands
// themselves: tests run serve and bench api inside their own binary.
func applyServeGC() {
	percent, limit := serveGC(os.Getenv)
	if percent >= 0 {
		debug.SetGCPercent(percent)
	}
	if limit >= 0 {
		debug.SetMemoryLimit(limit)
	}
}

// logGC logs what the collector runs with.
func logGC(log *slog.Logger) {
	s := []metrics.Sample{{Name: "/gc/gogc:percent"}, {Name: "/gc/gomemlimit:bytes"}}
	metrics.Read(s)
	log.Info("garbage collector", "gogc", s[0].Value.Uint64(), "memory_limit_bytes", s[1].Value.Uint64())
}
