package main

import (
	"context"
	"fmt"
	"io"
	"slices"

	"github.com/haixi-hrss/fundledger/ledger"
)

const backfillHelp = `
Gives expansion-grant claims recorded before the grant shared its
per-person key with the one-time absorption subsidy (hire-one-time-subsidy)
that key, so neither subsidy can be paid twice for one person
(ledger.BackfillOneTimeKeys). Run it once after upgrading a ledger that
holds such claims; running it again records nothing.

It reads the whole log once. A claim that no longer holds its keys
(rejected, cancelled) gets none. A person who meanwhile got a one-time
absorption claim is listed as a conflict for an officer to resolve (cancel
one of the two claims); nothing is taken from either. Exits 1 when a
conflict is listed.

Examples:
  fundledger backfill --data /var/lib/fundledger`

func runBackfill(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := newFlagSet("backfill", "backfill --data DIR [--store URL]", backfillHelp)
	dir := fs.String("data", "", "the ledger's data `directory` (required)")
	storeURL := storeFlag(fs, "holding the events; the data directory then keeps only the read models' snapshot")
	if code, done := parseFlags(fs, args, stdout, stderr); done {
		return code
	}
	if *dir == "" {
		return usageError(fs, stderr, "--data is required")
	}
	l, code, ok := openExisting(ctx, fs, *dir, *storeURL, stderr)
	if !ok {
		return code
	}
	defer l.Close()

	out, err := ledger.BackfillOneTimeKeys(ctx, l.Service)
	if err != nil {
		fmt.Fprintf(stderr, "fundledger backfill: %v\n", err)
		return exitFailure
	}
	fmt.Fprintf(stdout, "expansion claims without the one-time subsidy key: %d\n", out.Candidates)
	fmt.Fprintf(stdout, "  reserved now     %d\n", out.Reserved)
	fmt.Fprintf(stdout, "  already held     %d\n", out.AlreadyHeld)
	fmt.Fprintf(stdout, "  closed, no key   %d\n", out.Released)
	fmt.Fprintf(stdout, "  not the holder   %d\n", out.NotHolder)
	fmt.Fprintf(stdout, "  conflicts        %d\n", len(out.Conflicts))
	if len(out.Conflicts) == 0 {
		return exitOK
	}
	claims := make([]string, 0, len(out.Conflicts))
	for c := range out.Conflicts {
		claims = append(claims, c)
	}
	slices.Sort(claims)
	for _, c := range claims {
		fmt.Fprintf(stderr, "conflict: expansion claim %s and %s pay the same person a one-time subsidy; cancel one\n", c, out.Conflicts[c])
	}
	return exitFailure
}
