package projbench

import (
	"runtime/metrics"
	"syscall"
	"time"
)

// processCPU returns the CPU time the process has used so far, user and
// system, or 0 when the system does not say. On a shared machine the wall
// times of a benchmark vary with the other load; its CPU time much less.
func processCPU() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// gcCPUMetric is the runtime's estimate of the CPU time spent collecting
// garbage, background and assists.
const gcCPUMetric = "/cpu/classes/gc/total:cpu-seconds"

// gcCPU returns the CPU time the garbage collector has used so far, or 0
// when the runtime does not say.
func gcCPU() time.Duration {
	s := []metrics.Sample{{Name: gcCPUMetric}}
	metrics.Read(s)
	if s[0].Value.Kind() != metrics.KindFloat64 {
		return 0
	}
	return time.Duration(s[0].Value.Float64() * float64(time.Second))
}
