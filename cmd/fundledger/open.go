package main

import (
	"context"
	"flag"

	"github.com/haixi-hrss/fundledger/ledger/datadir"
)

// storeFlag registers --store, the same on every command that opens a
// ledger; note says how it goes with --data.
func storeFlag(fs *flag.FlagSet, note string) *string {
	return fs.String("store", "", "a KurrentDB connection `string` (esdb://host:2113?tls=false) "+note)
}

// openLedger opens the ledger of data directory dir through datadir, with
// its events in KurrentDB when storeURL is set. Unless create is set, an
// embedded ledger must already exist in dir: a command that works on a
// ledger must not leave an empty one behind where the user mistyped a path.
// A storeURL that is not KurrentDB's gives an error matching
// datadir.ErrStoreURL, which callers report as a usage error.
func openLedger(ctx context.Context, dir, storeURL string, create bool) (*datadir.Ledger, error) {
	if storeURL == "" && !create {
		store, err := openExisting(dir)
		if err != nil {
			return nil, err
		}
		if err := store.Close(); err != nil {
			return nil, err
		}
	}
	return datadir.Open(ctx, dir, datadir.Options{StoreURL: storeURL})
}
