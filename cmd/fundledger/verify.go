package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"time"

	"github.com/haixi-hrss/fundledger/eventstore/integrity"
	"github.com/haixi-hrss/fundledger/eventstore/sqlite"
	"github.com/haixi-hrss/fundledger/ledger/datadir"
)

const verifyHelp = `
Reads every event of the ledger (in DIR, or on the KurrentDB server given
by --store) in commit order and recomputes its hash from the stored bytes;
checks that stream versions are gapless, that each event links to its
stream's previous event, and that positions and recorded-at times never go
back. Prints a summary and the ledger digest, or
the first broken event (stream, version, position, reason) and exits 1.

Record the digest: 'verify --expect DIGEST' later fails if anything at or
before the digest's position was changed, deleted or inserted, even if the
hash chains were recomputed. The ledger is never modified: DIR is opened
read-only (no file is created, not even SQLite's WAL files), so verify may
run while another process has the ledger open for writing. A missing DIR
or one that holds no ledger is an error.`

func runVerify(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := newFlagSet("verify", "verify (--data DIR | --store URL) [--expect DIGEST]", verifyHelp)
	dir := fs.String("data", "", "the embedded ledger's data `directory`")
	storeURL := storeFlag(fs, "instead of --data")
	expectText := fs.String("expect", "", "a `digest` recorded earlier, as position:root")
	progress := fs.Bool("progress", false, "report progress on stderr")
	if code, done := parseFlags(fs, args, stdout, stderr); done {
		return code
	}
	if (*dir == "") == (*storeURL == "") {
		return usageError(fs, stderr, "give exactly one of --data and --store")
	}
	opts := integrity.Options{}
	if *expectText != "" {
		d, err := integrity.ParseDigest(*expectText)
		if err != nil {
			return usageError(fs, stderr, fmt.Sprintf("--expect: %v", err))
		}
		opts.Expect = &d
	}
	if *progress {
		opts.Progress = func(p integrity.Progress) {
			fmt.Fprintf(stderr, "verified %d events in %d streams, position %d\n", p.Events, p.Streams, p.Position)
		}
	}

	log := storeLog(stderr)
	name, rep, opened, err := verifyOnce(ctx, *dir, *storeURL, opts, log)
	if errors.Is(err, sqlite.ErrChangedWhileReading) {
		// A writer opened the closed ledger and checkpointed into it while
		// it was read; opened again, the ledger is read beside that writer.
		name, rep, opened, err = verifyOnce(ctx, *dir, *storeURL, opts, log)
	}
	if errors.Is(err, datadir.ErrStoreURL) {
		return usageError(fs, stderr, err.Error())
	}
	if !opened {
		fmt.Fprintf(stderr, "fundledger verify: %v\n", err)
		return exitFailure
	}
	return reportVerify(stdout, stderr, name, rep, err)
}

// verifyOnce opens the ledger read-only, verifies it and closes it; opened
// reports whether the ledger could be opened at all.
func verifyOnce(ctx context.Context, dir, storeURL string, opts integrity.Options, log *slog.Logger) (name string, rep integrity.Report, opened bool, err error) {
	store, name, err := openReadOnly(ctx, dir, storeURL, log)
	if err != nil {
		return name, rep, false, err
	}
	defer store.Close()
	rep, err = integrity.Verify(ctx, store, opts)
	return name, rep, true, err
}

// reportVerify prints the outcome of integrity.Verify and returns the exit
// code: the summary and 0 for an intact ledger, the first broken event or the
// digest mismatch and 1 otherwise.
func reportVerify(stdout, stderr io.Writer, dir string, rep integrity.Report, err error) int {
	var broken *integrity.BrokenError
	var mismatch *integrity.DigestMismatchError
	switch {
	case errors.As(err, &broken):
		fmt.Fprintf(stdout, "LEDGER BROKEN in %s: first broken event\n", dir)
		fmt.Fprintf(stdout, "  stream          %s\n", broken.Stream)
		fmt.Fprintf(stdout, "  version         %d\n", broken.Version)
		fmt.Fprintf(stdout, "  position        %d\n", broken.Position)
		fmt.Fprintf(stdout, "  event ID        %s\n", broken.EventID)
		fmt.Fprintf(stdout, "  reason          %s\n", broken.Reason)
		fmt.Fprintf(stdout, "  detail          %s\n", broken.Detail)
		fmt.Fprintf(stdout, "  intact before   %d events, up to position %d\n", rep.Events, rep.LastPosition)
		fmt.Fprintf(stderr, "fundledger verify: ledger broken at stream %q version %d position %d: %s\n",
			broken.Stream, broken.Version, broken.Position, broken.Reason)
		return exitFailure
	case errors.As(err, &mismatch):
		fmt.Fprintf(stdout, "LEDGER CHANGED in %s: digest mismatch\n", dir)
		fmt.Fprintf(stdout, "  expected        %s\n", mismatch.Expected)
		fmt.Fprintf(stdout, "  found           %s\n", mismatch.Actual)
		fmt.Fprintf(stderr, "fundledger verify: %v\n", err)
		return exitFailure
	case err != nil:
		fmt.Fprintf(stderr, "fundledger verify: %v\n", err)
		return exitFailure
	}
	printSummary(stdout, dir, rep)
	return exitOK
}

// printSummary prints an intact ledger's report.
func printSummary(w io.Writer, dir string, rep integrity.Report) {
	fmt.Fprintf(w, "ledger intact: %s\n", dir)
	fmt.Fprintf(w, "  streams         %d\n", rep.Streams)
	fmt.Fprintf(w, "  events          %d\n", rep.Events)
	fmt.Fprintf(w, "  last position   %d\n", rep.LastPosition)
	if rep.Events > 0 {
		fmt.Fprintf(w, "  last recorded   %s\n", rep.LastRecordedAt.UTC().Format(time.RFC3339Nano))
	}
	fmt.Fprintf(w, "  digest          %s\n", rep.Digest)
	if rep.ExpectMatched {
		fmt.Fprintf(w, "  expected digest matched\n")
	}
}
