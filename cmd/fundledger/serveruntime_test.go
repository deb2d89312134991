package main

import "testing"

func TestServeGC(t *testing.T) {
	const gib = 1 << 30
	tests := []struct {
		name    string
		env     map[string]string
		percent int
		limit   int64
	}{
		{"defaults", nil, serveGCPercent, 4 * gib},
		{"GOGC chosen", map[string]string{"GOGC": "100"}, -1, 4 * gib},
		{"GOGC off", map[string]string{"GOGC": "off"}, -1, 4 * gib},
		{"GOMEMLIMIT chosen", map[string]string{"GOMEMLIMIT": "2GiB"}, serveGCPercent, -1},
		{"both chosen", map[string]string{"GOGC": "50", "GOMEMLIMIT": "1GiB"}, -1, -1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			asked := false
			memory := func() (uint64, uint64) { asked = true; return 16 * gib, 0 }
			percent, limit := serveGC(func(k string) string { return tt.env[k] }, memory)
			if percent != tt.percent || limit != tt.limit {
				t.Errorf("serveGC = %d, %d; want %d, %d", percent, limit, tt.percent, tt.limit)
			}
			if asked != (tt.limit >= 0) {
				t.Errorf("the machine's memory read: %v, want %v (only for a limit serve sets)", asked, tt.limit >= 0)
			}
		})
	}
}

// TestServeMemoryLimit: a quarter of the memory the process may use, the
// machine's or a smaller container's, never under 768 MiB unless the
// container's limit is so small: then three quarters of it.
func TestServeMemoryLimit(t *testing.T) {
	const gib = 1 << 30
	for _, tt := range []struct {
		name            string
		physical, quota uint64
		want            int64
	}{
		{"24 GiB machine", 24 * gib, 0, 6 * gib},
		{"2 GiB machine", 2 * gib, 0, minServeMemoryLimit},
		{"container of 8 GiB on 64", 64 * gib, 8 * gib, 2 * gib},
		{"container larger than the machine", 8 * gib, 64 * gib, 2 * gib},
		{"nothing known", 0, 0, minServeMemoryLimit},
		{"only the container known", 0, 12 * gib, 3 * gib},
		{"container of 512 MiB", 8 * gib, gib / 2, 3 * gib / 8},
	} {
		t.Run(tt.name, func(t *testing.T) {
			if got := serveMemoryLimit(tt.physical, tt.quota); got != tt.want {
				t.Errorf("serveMemoryLimit(%d, %d) = %d, want %d", tt.physical, tt.quota, got, tt.want)
			}
		})
	}
}

// TestParseMemoryLimit: a control group's limit in bytes; "max" and v1's
// "no limit" (near 2^63) are none.
func TestParseMemoryLimit(t *testing.T) {
	for text, want := range map[string]uint64{
		"max\n": 0, "9223372036854771712\n": 0, "4294967296\n": 4 << 30, "": 0, "garbage": 0,
	} {
		if got := parseMemoryLimit(text); got != want {
			t.Errorf("parseMemoryLimit(%q) = %d, want %d", text, got, want)
		}
	}
}

// TestServeProcs: serve runs on one processor more than the runtime's
// default, unless the operator chose GOMAXPROCS or the default is below
// the CPUs (a container's CPU limit, which the runtime keeps following).
func TestServeProcs(t *testing.T) {
	tests := []struct {
		name        string
		env         map[string]string
		procs, cpus int
		want        int
	}{
		{"two CPUs", nil, 2, 2, 3},
		{"one CPU", nil, 1, 1, 2},
		{"eight CPUs", nil, 8, 8, 9},
		{"GOMAXPROCS chosen", map[string]string{"GOMAXPROCS": "2"}, 2, 2, -1},
		{"GOMAXPROCS chosen, not valid", map[string]string{"GOMAXPROCS": "abc"}, 2, 2, -1},
		{"a CPU limit below the CPUs", nil, 2, 8, -1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := serveProcs(func(k string) string { return tt.env[k] }, tt.procs, tt.cpus); got != tt.want {
				t.Errorf("serveProcs(%d, %d) = %d, want %d", tt.procs, tt.cpus, got, tt.want)
			}
		})
	}
}

// TestRunsServer: serve's runtime settings go to the commands that serve
// the API in the process, and to no other.
func TestRunsServer(t *testing.T) {
	for _, tt := range []struct {
		args []string
		want bool
	}{
		{[]string{"serve", "--data", "d"}, true},
		{[]string{"bench", "api", "--rate", "5000"}, true},
		{[]string{"bench", "store"}, false},
		{[]string{"demo"}, false},
		{[]string{"bench"}, false},
		{nil, false},
	} {
		if got := runsServer(tt.args); got != tt.want {
			t.Errorf("runsServer(%q) = %v, want %v", tt.args, got, tt.want)
		}
	}
}
