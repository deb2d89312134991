package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/haixi-hrss/fundledger/domain/budget"
	"github.com/haixi-hrss/fundledger/domain/money"
	"github.com/haixi-hrss/fundledger/eventstore/sqlite"
	"github.com/haixi-hrss/fundledger/projections"
)

// TestRebuildDemoLedger rebuilds the demo ledger's read models and checks
// the summary against the ledger itself: the events in the log, the
// domain events among them, the fund's own fold and the budget line
// streams. The snapshot it writes restores to the same models a fresh
// in-process rebuild gives, and a second run prints the same summary.
func TestRebuildDemoLedger(t *testing.T) {
	ctx := context.Background()
	dir := filepath.Join(t.TempDir(), "demo")
	cli(t, "demo", "--data", dir).wantCode(t, exitOK)

	r := cli(t, "rebuild", "--data", dir)
	r.wantCode(t, exitOK)
	if r.stderr != "" {
		t.Errorf("rebuild wrote to stderr, which is not a terminal: %q", r.stderr)
	}

	store, err := sqlite.Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()
	c, err := demoCodec()
	if err != nil {
		t.Fatal(err)
	}
	log, err := store.ReadAll(ctx, 0, 0)
	if err != nil {
		t.Fatal(err)
	}
	domainEvents, lines := 0, map[string]bool{}
	for _, ev := range log {
		if !strings.HasPrefix(ev.Stream, "idem-") && !strings.HasPrefix(ev.Stream, "uniq-") {
			domainEvents++
		}
		if id, ok := strings.CutPrefix(ev.Stream, budget.Stream("")); ok {
			lines[id] = true
		}
	}
	f, err := foldFund(ctx, store, c)
	if err != nil {
		t.Fatal(err)
	}
	var allocated money.Amount
	for _, a := range f.Lines {
		allocated = allocated.Add(a)
	}
	// The demo's documented figures, so a fold that agreed with a wrong
	// summary would still be caught.
	if len(log) != 58 || domainEvents != 24 || len(lines) != 7 || len(f.Lines) != 7 {
		t.Fatalf("demo ledger has %d events, %d domain events, %d line streams, fund lines %d", len(log), domainEvents, len(lines), len(f.Lines))
	}
	r.wantOut(t,
		fmt.Sprintf("from position 0 to %d\n", log[len(log)-1].Position),
		fmt.Sprintf("events read     %d\n", len(log)),
		fmt.Sprintf("applied         %d\n", domainEvents),
		fmt.Sprintf("skipped         %d (", len(log)-domainEvents),
		fmt.Sprintf("budget lines    %d\n", len(lines)),
		"funds           1\n",
		"claims          0\n",
		fmt.Sprintf("fund %s: received %s, allocated %s, unallocated %s\n", demoFundID, f.Received, allocated, f.Received.Sub(allocated)),
		"fund haixi-esf-2025: received 15000000.00, allocated 13000000.00, unallocated 2000000.00\n",
		"snapshot written to "+filepath.Join(dir, projections.SnapshotFile),
	)

	// The snapshot holds what a rebuild in this process computes.
	restoredB, restoredC := projections.NewBudgets(), projections.NewClaims()
	runner, err := projections.NewRunner(store, c, dir, restoredB, restoredC)
	if err != nil {
		t.Fatal(err)
	}
	if cp := runner.Checkpoint(); cp != log[len(log)-1].Position {
		t.Errorf("snapshot checkpoint %d, want the log head %d", cp, log[len(log)-1].Position)
	}
	freshB, freshC := projections.NewBudgets(), projections.NewClaims()
	if _, err := projections.Rebuild(ctx, store, c, nil, freshB, freshC); err != nil {
		t.Fatal(err)
	}
	for _, pair := range [][2]projections.Projection{{restoredB, freshB}, {restoredC, freshC}} {
		if eq, err := projections.Equal(pair[0], pair[1]); err != nil || !eq {
			t.Errorf("snapshot of %s differs from a fresh rebuild (err %v)", pair[0].Name(), err)
		}
	}
	if n := len(restoredB.Lines()); n != 7 {
		t.Errorf("snapshot holds %d budget lines, want 7", n)
	}

	again := cli(t, "rebuild", "--data", dir)
	again.wantCode(t, exitOK)
	if again.stdout != r.stdout {
		t.Errorf("a second rebuild printed\n%s\nthe first\n%s", again.stdout, r.stdout)
	}
}

// TestRebuildRefusesMissingLedger: a missing or empty data directory is a
// failure (exit 1) that creates nothing; bad flags are usage errors.
func TestRebuildRefusesMissingLedger(t *testing.T) {
	parent := t.TempDir()
	missing := filepath.Join(parent, "nope")
	r := cli(t, "rebuild", "--data", missing)
	r.wantCode(t, exitFailure)
	r.wantErr(t, "does not exist")
	if _, err := os.Stat(missing); !os.IsNotExist(err) {
		t.Fatalf("rebuild created %s (stat err %v)", missing, err)
	}
	empty := t.TempDir()
	r = cli(t, "rebuild", "--data", empty)
	r.wantCode(t, exitFailure)
	r.wantErr(t, "holds no ledger")
	if got := listDir(t, empty); got != "" {
		t.Fatalf("rebuild left %q in an empty directory", got)
	}

	cli(t, "rebuild").wantCode(t, exitUsage)
	cli(t, "rebuild", "--nope").wantCode(t, exitUsage)
	cli(t, "rebuild", "--data", empty, "extra").wantCode(t, exitUsage)
	h := cli(t, "rebuild", "--help")
	h.wantCode(t, exitOK)
	h.wantOut(t, "Usage: fundledger rebuild --data DIR")
	cli(t, "--help").wantOut(t, "rebuild")

	// The real process exits with the same codes.
	process(t, "rebuild", "--data", missing).wantCode(t, exitFailure)
	process(t, "rebuild", "--bogus").wantCode(t, exitUsage)
	if _, err := os.Stat(missing); !os.IsNotExist(err) {
		t.Fatalf("rebuild created %s", missing)
	}
}
