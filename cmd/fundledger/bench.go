package main

import (
	"context"
	"fmt"
	"io"
)

const benchHelp = `
Measures a storage backend. Subcommands:

  store   append throughput and read speed of the embedded SQLite store`

func runBench(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := newFlagSet("bench", "bench <subcommand> [flags]", benchHelp)
	if len(args) == 0 {
		return usageError(fs, stderr, "a subcommand is required")
	}
	switch args[0] {
	case "store":
		return runBenchStore(ctx, args[1:], stdout, stderr)
	case "-h", "-help", "--help", "help":
		fs.SetOutput(stdout)
		fs.Usage()
		return exitOK
	}
	return usageError(fs, stderr, fmt.Sprintf("unknown subcommand %q", args[0]))
}
