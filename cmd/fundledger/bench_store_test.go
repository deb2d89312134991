package main

import (
	"os"
	"testing"

	"github.com/haixi-hrss/fundledger/eventstore/storebench"
)

func TestBenchStoreSmallRun(t *testing.T) {
	dir := t.TempDir()
	r := cli(t, "bench", "store", "--events", "400", "--writers", "4", "--streams", "10", "--size", "100", "--dir", dir)
	r.wantCode(t, exitOK)
	r.wantOut(t, "400 events (100 for 1 writer), 4 writers, 10 streams, ~100-byte JSON data, dir "+dir,
		storebench.RawSingle, storebench.RawGrouped, storebench.SQLiteSingle, storebench.SQLiteGrouped, storebench.ReadLog)
	left, err := os.ReadDir(dir)
	if err != nil || len(left) != 0 {
		t.Fatalf("bench left %v (%v) in its directory", left, err)
	}
}

func TestBenchStoreRejectsNegativeCounts(t *testing.T) {
	r := cli(t, "bench", "store", "--writers", "-1")
	r.wantCode(t, exitUsage)
	r.wantErr(t, "--writers must not be negative")
}
