package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"github.com/haixi-hrss/fundledger/ledger/schema"
	"github.com/haixi-hrss/fundledger/projections"
)

const rebuildHelp = `
Empties the read models (budgets and funds, the claim queue) of the
embedded ledger in DIR and replays the whole log into them from position 0,
then writes their snapshot (DIR/projections.json) and prints a summary:
events read, applied and skipped (the ledger's own records and event types
this build does not know), budget lines, funds and claims.

The log is only read. A snapshot is saved after each batch, so an
interrupted rebuild leaves a consistent prefix that the next run or the
service resumes from. When stderr is a terminal, a progress line is shown
there. A missing DIR, or one that holds no ledger, is an error and nothing
is created.`

func runRebuild(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := newFlagSet("rebuild", "rebuild --data DIR", rebuildHelp)
	dir := fs.String("data", "", "the embedded ledger's data `directory`")
	if code, done := parseFlags(fs, args, stdout, stderr); done {
		return code
	}
	if *dir == "" {
		return usageError(fs, stderr, "--data is required")
	}
	store, err := openExisting(*dir)
	if err != nil {
		fmt.Fprintf(stderr, "fundledger rebuild: %v\n", err)
		return exitFailure
	}
	defer store.Close()
	c := schema.Codec()
	budgets, claims := projections.NewBudgets(), projections.NewClaims()
	r, err := projections.NewRunner(store, c, *dir, budgets, claims)
	if err != nil {
		fmt.Fprintf(stderr, "fundledger rebuild: %v\n", err)
		return exitFailure
	}

	var progress func(projections.Progress)
	if isTerminal(stderr) {
		progress = func(p projections.Progress) {
			// \r rewrites one line; the log's length is not known in
			// advance, so it counts instead of drawing a bar.
			fmt.Fprintf(stderr, "\rrebuilding: %d events read, %d applied, position %d", p.Events, p.Applied, p.Position)
		}
	}
	pr, err := r.Rebuild(ctx, progress)
	if progress != nil {
		fmt.Fprintln(stderr)
	}
	if err != nil {
		fmt.Fprintf(stderr, "fundledger rebuild: %v\n", err)
		return exitFailure
	}

	fmt.Fprintf(stdout, "rebuilt read models in %s from position 0 to %d\n", *dir, pr.Position)
	fmt.Fprintf(stdout, "  events read     %d\n", pr.Events)
	fmt.Fprintf(stdout, "  applied         %d\n", pr.Applied)
	fmt.Fprintf(stdout, "  skipped         %d (ledger records and unknown types)\n", pr.Events-pr.Applied)
	r.Read(func(uint64) {
		fmt.Fprintf(stdout, "  budget lines    %d\n", len(budgets.Lines()))
		fmt.Fprintf(stdout, "  funds           %d\n", len(budgets.Funds()))
		fmt.Fprintf(stdout, "  claims          %d\n", len(claims.Find(projections.ClaimFilter{})))
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
