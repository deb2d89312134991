// Command fundledger is the command line of the fundledger event-sourced
// ledger: it serves the HTTP API, builds a demo ledger, verifies a ledger's
// integrity, rebuilds and replays its read models, manages API tokens,
// publishes policy versions, imports batches and measures the embedded
// store.
//
// Exit codes: 0 success, 1 failure (e.g. a broken ledger), 2 usage error.
package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"
)

// Exit codes.
const (
	exitOK      = 0
	exitFailure = 1
	exitUsage   = 2
)

// command is one subcommand: its name, a one-line summary for the top-level
// help, and the function that runs it with the arguments after its name.
type command struct {
	name    string
	summary string
	run     func(ctx context.Context, args []string, stdout, stderr io.Writer) int
}

func commands() []command {
	return []command{
		{"serve", "serve the HTTP API of a ledger", runServe},
		{"demo", "build a Haixi demo ledger (the first quarter of 2025) and verify it", runDemo},
		{"verify", "verify a ledger's hash chains and print its digest", runVerify},
		{"rebuild", "replay every read model from the log and save their snapshot", runRebuild},
		{"replay", "print a read model as it stood at an instant (replay --as-of)", runReplay},
		{"tokens", "create, list and revoke the API's bearer tokens", runTokens},
		{"policy", "list, show and publish policy versions (policy publish --file)", runPolicy},
		{"import", "import a batch (import stabilization: a CSV of employers)", runImport},
		{"backfill", "give older expansion claims the one-time subsidy key they share", runBackfill},
		{"bench", "measure the store, the read models, the batch run and the API (bench store|projections|batch|api)", runBench},
	}
}

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	// The first signal asks the command to stop cleanly; restoring the
	// default handling then lets a second one end the process at once.
	go func() {
		<-ctx.Done()
		stop()
	}()
	if runsServer(os.Args[1:]) {
		applyServeRuntime()
	}
	code := run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}

// run dispatches args to a subcommand and returns the exit code.
func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		usage(stderr)
		return exitUsage
	}
	switch args[0] {
	case "-h", "-help", "--help", "help":
		usage(stdout)
		return exitOK
	}
	for _, c := range commands() {
		if c.name == args[0] {
			return c.run(ctx, args[1:], stdout, stderr)
		}
	}
	fmt.Fprintf(stderr, "fundledger: unknown command %q\n\n", args[0])
	usage(stderr)
	return exitUsage
}

func usage(w io.Writer) {
	fmt.Fprint(w, "Usage: fundledger <command> [flags]\n\nCommands:\n")
	for _, c := range commands() {
		fmt.Fprintf(w, "  %-8s %s\n", c.name, c.summary)
	}
	fmt.Fprint(w, "\nRun 'fundledger <command> --help' for a command's flags.\n"+
		"Exit codes: 0 success, 1 failure (e.g. a broken ledger), 2 usage error.\n")
}
