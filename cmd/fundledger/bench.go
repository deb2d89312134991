package main

import (
	"context"
	"fmt"
	"io"
)

const benchHelp = `
Measures the ledger on this machine. Subcommands:

  store        append throughput and read speed of the embedded SQLite store
  projections  rebuild, restart and officer queries on a generated ledger
  batch        the stabilization batch run over generated employers
  api          the HTTP API under load: claim cycles and officers' queries`

func runBench(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := newFlagSet("bench", "bench <subcommand> [flags]", benchHelp)
	if len(args) == 0 {
		return usageError(fs, stderr, "a subcommand is required")
	}
	switch args[0] {
	case "store":
		return runBenchStore(ctx, args[1:], stdout, stderr)
	case "projections":
		return runBenchProjections(ctx, args[1:], stdout, stderr)
	case "batch":
		return runBenchBatch(ctx, args[1:], stdout, stderr)
	case "api":
		return runBenchAPI(ctx, args[1:], stdout, stderr)
	case "-h", "-help", "--help", "help":
		fs.SetOutput(stdout)
		fs.Usage()
		return exitOK
	}
	return usageError(fs, stderr, fmt.Sprintf("unknown subcommand %q", args[0]))
}
