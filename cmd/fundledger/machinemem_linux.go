package main

import (
	"os"
	"path"
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
// in bytes, 0 if there is none or it cannot be read (see cgroupMemory).
func containerMemory() uint64 {
	self, err := os.ReadFile("/proc/self/cgroup")
	if err != nil {
		return 0
	}
	return cgroupMemory("/sys/fs/cgroup", string(self))
}

// cgroupMemory returns the smallest memory limit on the way from the
// process's control group, as self (the text of /proc/self/cgroup)
// names it, up to the root of the hierarchy mounted at mount: cgroup
// v2's memory.max, or v1's memory.limit_in_bytes under mount/memory. A
// service's limit is often not at the root (a systemd unit's MemoryMax,
// a container sharing the host's cgroup namespace), and a parent's limit
// binds its children. The hierarchies are expected at their usual mount
// points; where they are not, nothing is found and the operator's
// GOMEMLIMIT is the way to say it (docs/operations.md).
func cgroupMemory(mount, self string) uint64 {
	var least uint64
	for line := range strings.Lines(self) {
		fields := strings.SplitN(strings.TrimSpace(line), ":", 3)
		if len(fields) != 3 {
			continue
		}
		var dir, file string
		switch {
		case fields[0] == "0" && fields[1] == "":
			dir, file = mount, "memory.max"
		case strings.Contains(","+fields[1]+",", ",memory,"):
			dir, file = path.Join(mount, "memory"), "memory.limit_in_bytes"
		default:
			continue
		}
		for p := path.Clean("/" + fields[2]); ; p = path.Dir(p) {
			if b, err := os.ReadFile(path.Join(dir, p, file)); err == nil {
				if n := parseMemoryLimit(string(b)); n > 0 && (least == 0 || n < least) {
					least = n
				}
			}
			if p == "/" {
				break
			}
		}
	}
	return least
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
