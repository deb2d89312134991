package main

import (
	"os"
	"regexp"
	"testing"
)

func TestBenchProjectionsSmallLedger(t *testing.T) {
	cache := t.TempDir()
	r := cli(t, "bench", "projections", "--employers", "8", "--queries", "5", "--cache", cache)
	r.wantCode(t, exitOK)
	r.wantOut(t, "8 employers, 24 claims", "rebuild ", "events/s end to end", "; CPU ", "restart   ready in", "claims by status and county", "peak RSS")
	// Both layouts' collections are measured: a duration each, not "(not measured)".
	if gc := regexp.MustCompile(`(?m)^gc +CPU of a full collection: models as rebuilt [0-9.]+[µm]?s, as restored [0-9.]+[µm]?s$`); !gc.MatchString(r.stdout) {
		t.Errorf("no collection line with both layouts in:\n%s", r.stdout)
	}

	// The phases run apart share the snapshot directory.
	snap := t.TempDir()
	r = cli(t, "bench", "projections", "--employers", "8", "--cache", cache, "--phase", "rebuild", "--snapshot", snap)
	r.wantCode(t, exitOK)
	r.wantOut(t, "as restored (not measured)")
	r = cli(t, "bench", "projections", "--employers", "8", "--cache", cache, "--phase", "restart", "--snapshot", snap, "--queries", "3")
	r.wantCode(t, exitOK)
	r.wantOut(t, "restart   ready in", "one budget line", "models as rebuilt (not measured), as restored ")
}

func TestBenchProjectionsRejectsBadFlags(t *testing.T) {
	r := cli(t, "bench", "projections", "--phase", "restart")
	r.wantCode(t, exitUsage)
	r.wantErr(t, "--phase restart needs --snapshot")
	r = cli(t, "bench", "projections", "--employers", "0")
	r.wantCode(t, exitUsage)
	r.wantErr(t, "--employers must be at least 1")
}

func TestBenchBatchSmallRun(t *testing.T) {
	dir := t.TempDir()
	r := cli(t, "bench", "batch", "--employers", "60", "--workers", "4", "--dir", dir)
	r.wantCode(t, exitOK)
	r.wantOut(t, "60 employers, 4 workers", "employers/s", "eligible")
	left, err := os.ReadDir(dir)
	if err != nil || len(left) != 0 {
		t.Fatalf("bench left %v (%v) in its directory", left, err)
	}
}
