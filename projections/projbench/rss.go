package projbench

import (
	"bytes"
	"os"
	"strconv"
)

// residentMemory returns the process's resident set size now (VmRSS) and
// at its peak (VmHWM) in bytes, or zeros when /proc does not say.
func residentMemory() (now, peak uint64) {
	data, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return 0, 0
	}
	for line := range bytes.Lines(data) {
		for key, v := range map[string]*uint64{"VmRSS:": &now, "VmHWM:": &peak} {
			if rest, ok := bytes.CutPrefix(line, []byte(key)); ok {
				kb, err := strconv.ParseUint(string(bytes.TrimSuffix(bytes.TrimSpace(rest), []byte(" kB"))), 10, 64)
				if err == nil {
					*v = kb << 10
				}
			}
		}
	}
	return now, peak
}
