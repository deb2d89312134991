package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/haixi-hrss/fundledger/domain/fund"
	"github.com/haixi-hrss/fundledger/eventstore"
	"github.com/haixi-hrss/fundledger/eventstore/integrity"
	"github.com/haixi-hrss/fundledger/ledger"
	"github.com/haixi-hrss/fundledger/ledger/codec"
)

const demoHelp = `
Builds a small demo ledger for Haixi Prefecture in DIR (created if needed)
through the same command path the service uses: the prefecture's 2025
employment subsidy fund opened, two transfers received, and vocational-
training money allocated from the fund to the budget lines of its seven
county-level units, each allocation then recorded on its line. Then it
verifies the ledger and prints its digest.

Every command has a fixed ID and idempotency key (recorded in the ledger
beside the events), so running the demo again appends nothing. Amounts and
document numbers are illustrative and marked DEMO, not official figures.`

func runDemo(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := newFlagSet("demo", "demo [--data DIR]", demoHelp)
	dir := fs.String("data", "", "the ledger's data `directory` (default: the user cache directory's fundledger/demo)")
	if code, done := parseFlags(fs, args, stdout, stderr); done {
		return code
	}
	if *dir == "" {
		cache, err := os.UserCacheDir()
		if err != nil {
			return usageError(fs, stderr, fmt.Sprintf("no default data directory (%v): pass --data", err))
		}
		*dir = filepath.Join(cache, "fundledger", "demo")
	}
	store, err := openOrCreate(*dir)
	if err != nil {
		fmt.Fprintf(stderr, "fundledger demo: %v\n", err)
		return exitFailure
	}
	defer store.Close()

	c, err := demoCodec()
	if err != nil {
		fmt.Fprintf(stderr, "fundledger demo: %v\n", err)
		return exitFailure
	}
	// A failure on a ledger that already held events may come from events
	// that are not this demo's: the hint says so, without claiming it.
	prior, err := store.ReadAll(ctx, 0, 1)
	if err != nil {
		fmt.Fprintf(stderr, "fundledger demo: %v\n", err)
		return exitFailure
	}
	tally, err := runDemoJob(ctx, ledger.New(store, c))
	if err != nil {
		fmt.Fprintf(stderr, "fundledger demo: %v\n", err)
		if len(prior) > 0 {
			fmt.Fprintf(stderr, "fundledger demo: the ledger in %s already held events; if they are not this demo's, "+
				"build the demo in an empty --data directory\n", *dir)
		}
		return exitFailure
	}
	fmt.Fprintf(stdout, "demo ledger: %d commands, %d events appended, %d already present\n",
		tally.commands, tally.appended, tally.present)
	if err := printFund(ctx, stdout, store, c); err != nil {
		fmt.Fprintf(stderr, "fundledger demo: %v\n", err)
		return exitFailure
	}
	fmt.Fprintln(stdout)

	rep, err := integrity.Verify(ctx, store, integrity.Options{})
	code := reportVerify(stdout, stderr, *dir, rep, err)
	if code == exitOK {
		fmt.Fprintf(stdout, "\nVerify it again at any time (exits 1 if a byte changed):\n"+
			"  fundledger verify --data %s --expect %s\n", shellQuote(*dir), rep.Digest)
	}
	return code
}

// printFund prints what the demo fund received and allocated, folded with
// fund.Evolve from the events its stream recorded.
func printFund(ctx context.Context, w io.Writer, store eventstore.Store, c *codec.Codec) error {
	s, err := foldFund(ctx, store, c)
	if err != nil {
		return err
	}
	fmt.Fprintf(w, "%s: received %s yuan, allocated %s to %d budget lines, %s unallocated\n",
		fund.Stream(demoFundID), s.Received, s.Allocated, len(s.Lines), s.Unallocated())
	return nil
}

// foldFund reads the demo fund's stream and folds it into its state.
func foldFund(ctx context.Context, store eventstore.Store, c *codec.Codec) (fund.State, error) {
	stream := fund.Stream(demoFundID)
	events, err := store.ReadStream(ctx, stream, 0, 0)
	if err != nil {
		return fund.State{}, fmt.Errorf("read %s: %w", stream, err)
	}
	var s fund.State
	for i := range events {
		e, err := c.Decode(&events[i])
		if err != nil {
			return fund.State{}, fmt.Errorf("%s version %d: %w", stream, events[i].Version, err)
		}
		s = fund.Evolve(s, e)
	}
	return s, nil
}

// shellQuote quotes s for a POSIX shell if it needs quoting.
func shellQuote(s string) string {
	for _, r := range s {
		if !(r == '/' || r == '.' || r == '-' || r == '_' || r >= '0' && r <= '9' || r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z') {
			return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
		}
	}
	return s
}
