package storebench

import (
	"context"
	"os"
	"strings"
	"testing"
)

// TestRunSmall runs every measurement on a tiny workload and checks the
// report accounts for every event; it measures nothing worth reading.
func TestRunSmall(t *testing.T) {
	rep, err := Run(context.Background(), Options{Dir: t.TempDir(), Events: 400, Writers: 8, Streams: 20, EventSize: 300})
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]int{RawSingle: 100, RawGrouped: 400, SQLiteSingle: 100, SQLiteGrouped: 400, ReadLog: 500}
	if len(rep.Results) != len(want) {
		t.Fatalf("got %d results, want %d: %+v", len(rep.Results), len(want), rep.Results)
	}
	for name, n := range want {
		res, ok := rep.Result(name)
		if !ok || res.Events != n || res.Elapsed <= 0 {
			t.Errorf("%s: got %+v (present %v), want %d events and a positive time", name, res, ok, n)
		}
	}
	var b strings.Builder
	if err := rep.WriteText(&b); err != nil {
		t.Fatal(err)
	}
	for name := range want {
		if !strings.Contains(b.String(), name) {
			t.Errorf("text report lacks %q:\n%s", name, b.String())
		}
	}
}

// BenchmarkStore runs the full measurement once per iteration and prints
// the report: go test -run '^$' -bench Store -benchtime 1x ./eventstore/storebench
func BenchmarkStore(b *testing.B) {
	for b.Loop() {
		rep, err := Run(context.Background(), Options{Dir: os.Getenv("STOREBENCH_DIR")})
		if err != nil {
			b.Fatal(err)
		}
		// Straight to stdout: b.Log would truncate the report.
		if err := rep.WriteText(os.Stdout); err != nil {
			b.Fatal(err)
		}
	}
}
