package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/google/uuid"

	"github.com/haixi-hrss/fundledger/domain"
	"github.com/haixi-hrss/fundledger/domain/budget"
	"github.com/haixi-hrss/fundledger/domain/fund"
	"github.com/haixi-hrss/fundledger/domain/region"
	"github.com/haixi-hrss/fundledger/eventstore"
	"github.com/haixi-hrss/fundledger/eventstore/sqlite"
	"github.com/haixi-hrss/fundledger/ledger"
	"github.com/haixi-hrss/fundledger/ledger/codec"
)

var digestLine = regexp.MustCompile(`digest +([0-9]+:[0-9a-f]{64})`)

// The demo's 17 commands (open, two transfers, seven allocations and
// seven recordings) decide 24 events (a budget line's first allocation also
// opens it), and each command leaves a claim and a completion record of
// its idempotency key in a stream of its own: 25 streams, 58 events.
func TestDemoBuildsAndVerifiesOnce(t *testing.T) {
	ctx := context.Background()
	dir := filepath.Join(t.TempDir(), "new", "demo")
	first := cli(t, "demo", "--data", dir)
	first.wantCode(t, exitOK)
	first.wantOut(t, "17 commands, 24 events appended, 0 already present",
		"fund-haixi-esf-2025: received 15000000.00 yuan, allocated 13000000.00 to 7 budget lines, 2000000.00 unallocated",
		"ledger intact", "streams         25", "events          58", "fundledger verify --data "+dir+" --expect ")
	digest := digestLine.FindStringSubmatch(first.stdout)
	if digest == nil {
		t.Fatalf("no digest in:\n%s", first.stdout)
	}
	before := storeHead(t, dir)

	again := cli(t, "demo", "--data", dir)
	again.wantCode(t, exitOK)
	again.wantOut(t, "17 commands, 0 events appended, 24 already present", "events          58", "digest          "+digest[1])
	if after := storeHead(t, dir); after != before {
		t.Fatalf("the rerun moved the log head from %d to %d", before, after)
	}

	// The command the demo prints works and matches.
	cli(t, "verify", "--data", dir, "--expect", digest[1]).wantOut(t, "expected digest matched")

	store, err := sqlite.Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()
	c, err := demoCodec()
	if err != nil {
		t.Fatal(err)
	}
	f, err := foldFund(ctx, store, c)
	if err != nil {
		t.Fatal(err)
	}
	if !f.Opened || f.Region != region.Haixi || f.Level != fund.Prefecture || len(f.Documents) != len(demoTransfers) {
		t.Fatalf("fund state %+v", f)
	}
	// Every county-level unit's line holds what its fund allocated to it,
	// under the same allocation ID.
	for _, county := range region.Counties() {
		want, ok := demoAllocations[county]
		if !ok {
			t.Fatalf("no demo allocation for %s", county)
		}
		line := budget.LineID(demoFundID, demoProgramme, county, demoYear)
		if got := f.Lines[line]; !got.Equal(want) {
			t.Errorf("fund allocated %s to %s, want %s", got, line, want)
		}
		s := budget.Fold(decodeStream(t, store, c, budget.Stream(line)))
		if !s.Opened || s.Region != county || s.FundID != demoFundID || !s.Allocated.Equal(want) || !s.Available().Equal(want) {
			t.Errorf("budget line %s: %+v", line, s)
		}
		for id, mv := range f.Allocations {
			if mv.BudgetLineID == line {
				if op := s.Ops[id]; !op.Amount.Equal(mv.Amount) {
					t.Errorf("line %s records allocation %s as %+v, the fund as %+v", line, id, op, mv)
				}
			}
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

// A directory whose fund stream holds another fund's history is not taken
// for a demo ledger: the fund refuses to open twice, the demo fails and
// appends nothing (not even an idempotency record).
func TestDemoRefusesAForeignLedger(t *testing.T) {
	dir := t.TempDir()
	store, err := sqlite.Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	other := eventstore.EventData{ID: uuid.New(), Type: "FundOpened", SchemaVersion: 1, Data: []byte(`{"fundId":"other"}`)}
	if _, err := store.Append(context.Background(), fund.Stream(demoFundID), eventstore.NoStream, other); err != nil {
		t.Fatal(err)
	}
	if err := store.Close(); err != nil {
		t.Fatal(err)
	}
	r := cli(t, "demo", "--data", dir)
	r.wantCode(t, exitFailure)
	r.wantErr(t, "open-fund", "already open", "already held events")
	if head := storeHead(t, dir); head != 1 {
		t.Fatalf("log head is %d after the refused demo, want 1 (only the foreign event)", head)
	}
}

// A run that stops part way (here: the store refuses an append, be it a
// claim, a command's events or a completion) is completed by the next run,
// which appends only the domain events still missing.
func TestDemoCompletesAnInterruptedRun(t *testing.T) {
	for _, appends := range []int{1, 2, 3, 9, 29, 30} {
		dir := t.TempDir()
		store, err := sqlite.Open(dir)
		if err != nil {
			t.Fatal(err)
		}
		c, err := demoCodec()
		if err != nil {
			t.Fatal(err)
		}
		_, err = runDemoJob(context.Background(), ledger.New(&stoppingStore{Store: store, left: appends}, c))
		if !errors.Is(err, errStopped) {
			t.Fatalf("after %d appends: %v, want the store's refusal", appends, err)
		}
		all, err := store.ReadAll(context.Background(), 0, 0)
		if err != nil {
			t.Fatal(err)
		}
		present := 0
		for _, e := range all {
			if !strings.HasPrefix(e.Stream, "idem-") {
				present++
			}
		}
		if err := store.Close(); err != nil {
			t.Fatal(err)
		}
		r := cli(t, "demo", "--data", dir)
		r.wantCode(t, exitOK)
		r.wantOut(t, fmt.Sprintf("17 commands, %d events appended, %d already present", 24-present, present),
			"allocated 13000000.00 to 7 budget lines", "events          58")
	}
}

var errStopped = errors.New("store stopped")

// stoppingStore lets left appends through, then refuses every other.
type stoppingStore struct {
	eventstore.Store
	left int
}

func (s *stoppingStore) Append(ctx context.Context, stream string, expected eventstore.ExpectedVersion, events ...eventstore.EventData) (eventstore.AppendResult, error) {
	if s.left == 0 {
		return eventstore.AppendResult{}, errStopped
	}
	s.left--
	return s.Store.Append(ctx, stream, expected, events...)
}

// storeHead is the global position of the last event in the ledger in dir.
func storeHead(t *testing.T, dir string) uint64 {
	t.Helper()
	store, err := sqlite.Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()
	var last uint64
	for {
		evs, err := store.ReadAll(context.Background(), last, 1000)
		if err != nil {
			t.Fatal(err)
		}
		if len(evs) == 0 {
			return last
		}
		last = evs[len(evs)-1].Position
	}
}

func decodeStream(t *testing.T, store eventstore.Store, c *codec.Codec, stream string) []domain.Event {
	t.Helper()
	evs, err := store.ReadStream(context.Background(), stream, 0, 0)
	if err != nil {
		t.Fatal(err)
	}
	out := make([]domain.Event, len(evs))
	for i := range evs {
		if out[i], err = c.Decode(&evs[i]); err != nil {
			t.Fatal(err)
		}
	}
	return out
}
