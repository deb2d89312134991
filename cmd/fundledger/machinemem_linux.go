package main

import (
	"os"
	"strconv"
	"strings"
	"syscall"
)

// physicalMemory returns the machine's memory in bytes, 0 if unknown.
func physicalMemory() uint64 {
	var si syscall.Sysinfo_t
	if err := syscall.Sysinfo(&si); err != nil {
		return 0
	}
	return uint64(si.Totalram) * uint64(si.Unit)
}

// containerMemory returns the memory limit of the process's control group
// in bytes (cgroup v2's memory.max, or v1's memory.limit_in_bytes), 0 if
// there is none or it cannot be read.
func containerMemory() uint64 {
	for _, path := range []string{"/sys/fs/cgroup/memory.max", "/sys/fs/cgroup/memory/memory.limit_in_bytes"} {
		if b, err := os.ReadFile(path); err == nil {
			return parseMemoryLimit(string(b))
		}
	}
	return 0
}

// parseMemoryLimit reads a control group's memory limit: "max" (v2) or a
// number of bytes, which v1 sets near 2^63 when there is no limit.
func parseMemoryLimit(text string) uint64 {
	n, err := strconv.ParseUint(strings.TrimSpace(text), 10, 64)
	if err != nil || n >= 1<<62 {
		return 0
	}
	return n
}
