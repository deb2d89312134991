package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/haixi-hrss/fundledger/ledger/datadir"
	"github.com/haixi-hrss/fundledger/projections"
)

const rebuildHelpText = `
Empties the read models of the ledger in DIR and replays the whole log into
them from position 0, then writes their snapshot (DIR/projections.json) and
prints a summary: events read, applied and skipped (the ledger's own records
and event types this build does not know), budget lines, funds and claims.
The %d read models: %s.

The log is only read. A snapshot is saved at most every ten seconds
and at the end, so an interrupted rebuild leaves a consistent prefix that
the next run or the service resumes from. When stderr is a terminal a progress counter is
shown there. A missing DIR, or one that holds no ledger, is an error and
nothing is created. With --store the events are read from KurrentDB and DIR
holds only the snapshot.

Examples:
  fundledger rebuild --data /var/lib/fundledger
  fundledger rebuild --data /var/lib/fundledger --store esdb://kurrent:2113?tls=false`

// rebuildHelp names the read models from the ledger's own list of them,
// so the help cannot fall behind it.
func rebuildHelp() string {
	var names []string
	for _, v := range datadir.NewViews().All() {
		names = append(names, v.Name())
	}
	return fmt.Sprintf(rebuildHelpText, len(names), strings.Join(names, ", "))
}

func runRebuild(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := newFlagSet("rebuild", "rebuild --data DIR [--store URL]", rebuildHelp())
	dir := fs.String("data", "", "the ledger's data `directory`, which holds the snapshot (required)")
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

	// The log's length is not known in advance, so progress counts
	// events instead of drawing a bar towards an end.
	bar := newProgress(stderr, -1, "rebuilding", "events")
	pr, err := l.Runner.Rebuild(ctx, func(p projections.Progress) { bar.Set(int64(p.Events)) })
	bar.Finish()
	if err != nil {
		fmt.Fprintf(stderr, "fundledger rebuild: %v\n", err)
		return exitFailure
	}

	fmt.Fprintf(stdout, "rebuilt read models in %s from position 0 to %d\n", *dir, pr.Position)
	fmt.Fprintf(stdout, "  events read     %d\n", pr.Events)
	fmt.Fprintf(stdout, "  applied         %d\n", pr.Applied)
	fmt.Fprintf(stdout, "  skipped         %d (ledger records and unknown types)\n", pr.Events-pr.Applied)
	budgets, claims := l.Views.Budgets, l.Views.Claims
	l.Runner.Read(func(uint64) {
		fmt.Fprintf(stdout, "  budget lines    %d\n", len(budgets.Lines()))
		fmt.Fprintf(stdout, "  funds           %d\n", len(budgets.Funds()))
		fmt.Fprintf(stdout, "  claims          %d\n", claims.Len())
		for _, f := range budgets.Funds() {
			fmt.Fprintf(stdout, "  fund %s: received %s, allocated %s, unallocated %s\n", f.ID, f.Received, f.Allocated, f.Unallocated)
		}
	})
	fmt.Fprintf(stdout, "snapshot written to %s\n", filepath.Join(*dir, projections.SnapshotFile))
	return exitOK
}

// isTerminal reports whether w is a character device such as a terminal,
// where a self-rewriting progress line is readable; in a pipe or a log
// file it would be noise.
func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	info, err := f.Stat()
	return err == nil && info.Mode()&os.ModeCharDevice != 0
}
