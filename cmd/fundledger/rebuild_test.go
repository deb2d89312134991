package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/haixi-hrss/fundledger/eventstore/sqlite"
	"github.com/haixi-hrss/fundledger/ledger/datadir"
	"github.com/haixi-hrss/fundledger/ledger/schema"
	"github.com/haixi-hrss/fundledger/projections"
)

// TestRebuildLedger rebuilds a ledger's read models and checks the summary
// against the log itself: the events in it, the domain events among them
// and the fund's figures. The snapshot it writes restores to the same
// models a fresh in-process rebuild gives, and a second run prints the
// same summary.
func TestRebuildLedger(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	clock := time.Date(2025, 1, 2, 1, 0, 0, 0, time.UTC)
	l := testLedger(t, dir, &clock)
	publishSeedPolicies(t, l)
	openTestFund(t, l, "f1", clock)
	receiveTestTransfer(t, l, "f1", 1, "1000000.00", clock)
	receiveTestTransfer(t, l, "f1", 2, "250000.50", clock)
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}

	r := cli(t, "rebuild", "--data", dir)
	r.wantCode(t, exitOK)
	if r.stderr != "" {
		t.Errorf("rebuild wrote to stderr, which is not a terminal: %q", r.stderr)
	}

	log := logOf(t, dir)
	domainEvents := 0
	for _, ev := range log {
		if !strings.HasPrefix(ev.Stream, "idem-") && !strings.HasPrefix(ev.Stream, "uniq-") {
			domainEvents++
		}
	}
	r.wantOut(t,
		fmt.Sprintf("from position 0 to %d\n", log[len(log)-1].Position),
		fmt.Sprintf("events read     %d\n", len(log)),
		fmt.Sprintf("applied         %d\n", domainEvents),
		fmt.Sprintf("skipped         %d (", len(log)-domainEvents),
		"budget lines    0\n",
		"funds           1\n",
		"claims          0\n",
		"fund f1: received 1250000.50, allocated 0.00, unallocated 1250000.50\n",
		"snapshot written to "+filepath.Join(dir, projections.SnapshotFile),
	)

	// The snapshot holds what a rebuild in this process computes.
	store, err := sqlite.Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()
	restored := datadir.NewViews()
	runner, err := projections.NewRunner(store, schema.Codec(), dir, restored.All()...)
	if err != nil {
		t.Fatal(err)
	}
	if cp := runner.Checkpoint(); cp != log[len(log)-1].Position {
		t.Errorf("snapshot checkpoint %d, want the log head %d", cp, log[len(log)-1].Position)
	}
	fresh := datadir.NewViews()
	if _, err := projections.Rebuild(ctx, store, schema.Codec(), nil, fresh.All()...); err != nil {
		t.Fatal(err)
	}
	for i, p := range restored.All() {
		if eq, err := projections.Equal(p, fresh.All()[i]); err != nil || !eq {
			t.Errorf("snapshot of %s differs from a fresh rebuild (err %v)", p.Name(), err)
		}
	}
	if f, ok := restored.Budgets.Fund("f1"); !ok || f.Received.String() != "1250000.50" {
		t.Errorf("snapshot holds fund f1 %+v (found %v)", f, ok)
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
	h.wantOut(t, "Usage: fundledger rebuild --data DIR", "-store", "Examples:")
	r = cli(t, "rebuild", "--data", empty, "--store", "postgres://x")
	r.wantCode(t, exitUsage)
	r.wantErr(t, "esdb://")
	cli(t, "--help").wantOut(t, "rebuild")

	// The real process exits with the same codes.
	process(t, "rebuild", "--data", missing).wantCode(t, exitFailure)
	process(t, "rebuild", "--bogus").wantCode(t, exitUsage)
	if _, err := os.Stat(missing); !os.IsNotExist(err) {
		t.Fatalf("rebuild created %s", missing)
	}
}
