package main

import (
	"context"
	"fmt"
	"io"

	"github.com/haixi-hrss/fundledger/eventstore/storebench"
)

const benchStoreHelp = `
Measures durable appends per second of the embedded SQLite store, with one
writer and with many concurrent writers, against raw file appends with
fdatasync on the same disk (the ceiling any durable store can reach there),
and the speed of reading the whole log back. Every measurement runs in a
temporary directory under --dir, removed afterwards; point --dir at the disk
the ledger will live on. Zero values take the defaults.`

func runBenchStore(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := newFlagSet("bench store", "bench store [--events N] [--writers N] [--streams N] [--size BYTES] [--dir DIR]", benchStoreHelp)
	var opts storebench.Options
	fs.IntVar(&opts.Events, "events", 0, "events per concurrent measurement; one writer writes a tenth (default 50000)")
	fs.IntVar(&opts.Writers, "writers", 0, "concurrent writers (default 64)")
	fs.IntVar(&opts.Streams, "streams", 0, "streams the events are spread over (default 1000)")
	fs.IntVar(&opts.EventSize, "size", 0, "approximate JSON data `bytes` per event (default 500)")
	fs.StringVar(&opts.Dir, "dir", "", "`directory` for the temporary data (default the system temp directory)")
	if code, done := parseFlags(fs, args, stdout, stderr); done {
		return code
	}
	for name, v := range map[string]int{"events": opts.Events, "writers": opts.Writers, "streams": opts.Streams, "size": opts.EventSize} {
		if v < 0 {
			return usageError(fs, stderr, fmt.Sprintf("--%s must not be negative", name))
		}
	}
	rep, err := storebench.Run(ctx, opts)
	if err != nil {
		fmt.Fprintf(stderr, "fundledger bench store: %v\n", err)
		return exitFailure
	}
	if err := rep.WriteText(stdout); err != nil {
		fmt.Fprintf(stderr, "fundledger bench store: %v\n", err)
		return exitFailure
	}
	return exitOK
}
