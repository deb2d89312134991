package main

import (
	"os"
	"path/filepath"
	"testing"
)

// TestCgroupMemory: the smallest limit on the way from the process's own
// control group up to the root, in either hierarchy.
func TestCgroupMemory(t *testing.T) {
	const gib = 1 << 30
	for _, tt := range []struct {
		name  string
		files map[string]string
		self  string
		want  uint64
	}{
		{"v2, a service's own limit", map[string]string{
			"memory.max": "max\n", "system.slice/memory.max": "8589934592\n", "system.slice/x.service/memory.max": "2147483648\n",
		}, "0::/system.slice/x.service\n", 2 * gib},
		{"v2, a parent's limit binds", map[string]string{
			"a/memory.max": "1073741824\n", "a/b/memory.max": "max\n",
		}, "0::/a/b\n", gib},
		{"v2, a private namespace's root", map[string]string{"memory.max": "4294967296\n"}, "0::/\n", 4 * gib},
		{"v1 beside v2", map[string]string{
			"memory/p/memory.limit_in_bytes": "4294967296\n", "memory/p/q/memory.limit_in_bytes": "9223372036854771712\n",
			"memory/memory.limit_in_bytes": "9223372036854771712\n",
		}, "4:memory:/p/q\n0::/\n", 4 * gib},
		{"v1, memory with another controller", map[string]string{"memory/x/memory.limit_in_bytes": "536870912\n"},
			"3:cpu,memory:/x\n", gib / 2},
		{"no limit anywhere", map[string]string{"memory.max": "max\n"}, "0::/user.slice\n", 0},
		{"nothing mounted", nil, "0::/\n", 0},
	} {
		t.Run(tt.name, func(t *testing.T) {
			mount := t.TempDir()
			for name, text := range tt.files {
				p := filepath.Join(mount, name)
				if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
					t.Fatal(err)
				}
				if err := os.WriteFile(p, []byte(text), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			if got := cgroupMemory(mount, tt.self); got != tt.want {
				t.Errorf("cgroupMemory = %d, want %d", got, tt.want)
			}
		})
	}
}

// TestPhysicalMemory: the machine's memory is known on Linux.
func TestPhysicalMemory(t *testing.T) {
	if physicalMemory() == 0 {
		t.Error("physicalMemory() = 0 on Linux")
	}
}
