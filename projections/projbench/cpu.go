package projbench

import (
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
