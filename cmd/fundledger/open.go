package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"

	"github.com/haixi-hrss/fundledger/eventstore"
	"github.com/haixi-hrss/fundledger/eventstore/sqlite"
	"github.com/haixi-hrss/fundledger/ledger/datadir"
)

// Every command opens its ledger through datadir, which alone chooses
// between the embedded store and KurrentDB and checks --store: the
// commands cannot disagree on what a store URL may be.

// storeFlag registers --store, the same on every command that opens a
// ledger; note says how it goes with --data.
func storeFlag(fs *flag.FlagSet, note string) *string {
	return fs.String("store", "", "a KurrentDB connection `string` (esdb://host:2113?tls=false) "+note)
}

// storeLog is the logger a command gives the KurrentDB client: its
// warnings and errors as text lines on the command's stderr, and nothing
// on a quiet day (the client narrates every connection at info level).
func storeLog(stderr io.Writer) *slog.Logger {
	return slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
}

// openLedger opens the ledger of data directory dir through datadir.Open,
// with its events in KurrentDB when storeURL is set. Unless create is set,
// an embedded ledger must already exist in dir: a command that works on a
// ledger must not leave an empty one behind where the user mistyped a
// path. A bad storeURL gives an error matching datadir.ErrStoreURL, which
// callers report as a usage error. opts configure the embedded store.
func openLedger(ctx context.Context, dir, storeURL string, create bool, log *slog.Logger, opts ...sqlite.Option) (*datadir.Ledger, error) {
	return datadir.Open(ctx, dir, datadir.Options{StoreURL: storeURL, Existing: !create, Logger: log, SQLiteOptions: opts})
}

// openExisting opens the existing ledger a writing command (fs) works on.
// A refused store URL is a usage error (exit 2), any other failure exit
// 1, both reported on stderr; ok is false when the command must end with
// code.
func openExisting(ctx context.Context, fs *flag.FlagSet, dir, storeURL string, stderr io.Writer) (l *datadir.Ledger, code int, ok bool) {
	l, err := openLedger(ctx, dir, storeURL, false, storeLog(stderr))
	if errors.Is(err, datadir.ErrStoreURL) {
		return nil, usageError(fs, stderr, err.Error()), false
	}
	if err != nil {
		fmt.Fprintf(stderr, "fundledger %s: %v\n", fs.Name(), err)
		return nil, exitFailure, false
	}
	return l, exitOK, true
}

// openReadOnly opens the store a reading command (verify, replay) works
// on, read-only, through datadir.OpenStore: KurrentDB when storeURL is
// set, otherwise the embedded ledger in dir, which must exist and is
// opened without a writer, so the command works beside a process that has
// the ledger open for writing and changes no file. It returns the store
// and a name for it in messages.
func openReadOnly(ctx context.Context, dir, storeURL string, log *slog.Logger) (eventstore.Store, string, error) {
	return datadir.OpenStore(ctx, dir, datadir.StoreOptions{URL: storeURL, ReadOnly: true, Logger: log})
}
