package main

import (
	"context"
	"os"
	"path/filepath"
	"regexp"
	"testing"

	"github.com/google/uuid"
	"github.com/haixi-hrss/fundledger/eventstore"
	"github.com/haixi-hrss/fundledger/eventstore/sqlite"
)

var digestLine = regexp.MustCompile(`digest +([0-9]+:[0-9a-f]{64})`)

func TestDemoBuildsAndVerifiesOnce(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "new", "demo")
	first := cli(t, "demo", "--data", dir)
	first.wantCode(t, exitOK)
	first.wantOut(t, "17 events appended, 0 already present",
		"fund-haixi-esf-2025: received 15000000.00 yuan, allocated 13000000.00 to 7 budget lines, 2000000.00 unallocated",
		"ledger intact", "streams         8", "events          17", "fundledger verify --data "+dir+" --expect ")
	digest := digestLine.FindStringSubmatch(first.stdout)
	if digest == nil {
		t.Fatalf("no digest in:\n%s", first.stdout)
	}

	again := cli(t, "demo", "--data", dir)
	again.wantCode(t, exitOK)
	again.wantOut(t, "0 events appended, 17 already present", "events          17", "digest          "+digest[1])

	// The command the demo prints works and matches.
	cli(t, "verify", "--data", dir, "--expect", digest[1]).wantOut(t, "expected digest matched")

	store, err := sqlite.Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()
	fund, err := store.ReadStream(context.Background(), demoFund, 0, 0)
	if err != nil {
		t.Fatal(err)
	}
	if len(fund) != 1+len(demoTransfers)+len(demoCounties) {
		t.Fatalf("fund stream has %d events", len(fund))
	}
	for _, c := range demoCounties {
		line, err := store.ReadStream(context.Background(), "budget-haixi-esf-2025-training-"+c.code, 0, 0)
		if err != nil || len(line) != 1 || line[0].Type != "BudgetAllocated" {
			t.Fatalf("budget line of %s: %v, %v", c.code, line, err)
		}
	}
}

func TestDemoDefaultsToUserCacheDir(t *testing.T) {
	cache := t.TempDir()
	t.Setenv("XDG_CACHE_HOME", cache)
	t.Setenv("HOME", cache) // os.UserCacheDir's fallback on other systems
	want, err := os.UserCacheDir()
	if err != nil {
		t.Fatal(err)
	}
	r := cli(t, "demo")
	r.wantCode(t, exitOK)
	dir := filepath.Join(want, "fundledger", "demo")
	r.wantOut(t, "ledger intact: "+dir)
	if _, err := os.Stat(filepath.Join(dir, sqlite.FileName)); err != nil {
		t.Fatal(err)
	}
}

// A directory whose streams hold other events is not taken for a demo
// ledger: the demo fails and appends nothing.
func TestDemoRefusesAForeignLedger(t *testing.T) {
	dir := t.TempDir()
	store, err := sqlite.Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	other := eventstore.EventData{ID: uuid.New(), Type: "FundOpened", SchemaVersion: 1, Data: []byte(`{}`)}
	if _, err := store.Append(context.Background(), demoFund, eventstore.NoStream, other); err != nil {
		t.Fatal(err)
	}
	if err := store.Close(); err != nil {
		t.Fatal(err)
	}
	r := cli(t, "demo", "--data", dir)
	r.wantCode(t, exitFailure)
	r.wantErr(t, "does not hold the demo's events")

	store, err = sqlite.Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()
	all, err := store.ReadAll(context.Background(), 0, 100)
	if err != nil || len(all) != 1 {
		t.Fatalf("ledger holds %d events (%v), want only the foreign one", len(all), err)
	}
}
