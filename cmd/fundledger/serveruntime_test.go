package main

import "testing"

func TestServeGC(t *testing.T) {
	tests := []struct {
		name    string
		env     map[string]string
		percent int
		limit   int64
	}{
		{"defaults", nil, serveGCPercent, serveMemoryLimit},
		{"GOGC chosen", map[string]string{"GOGC": "100"}, -1, serveMemoryLimit},
		{"GOGC off", map[string]string{"GOGC": "off"}, -1, serveMemoryLimit},
		{"GOMEMLIMIT chosen", map[string]string{"GOMEMLIMIT": "2GiB"}, serveGCPercent, -1},
		{"both chosen", map[string]string{"GOGC": "50", "GOMEMLIMIT": "1GiB"}, -1, -1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			percent, limit := serveGC(func(k string) string { return tt.env[k] })
			if percent != tt.percent || limit != tt.limit {
				t.Errorf("serveGC = %d, %d; want %d, %d", percent, limit, tt.percent, tt.limit)
			}
		})
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
