package main

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/haixi-hrss/fundledger/eventstore"
	"github.com/haixi-hrss/fundledger/eventstore/kurrent"
	"github.com/haixi-hrss/fundledger/eventstore/sqlite"
	"github.com/haixi-hrss/fundledger/ledger/datadir"
)

// openReadable opens the ledger a reading command works on: KurrentDB when
// storeURL is given, otherwise the embedded ledger in dir, which must exist.
// It returns the store and a name for it in messages.
func openReadable(ctx context.Context, dir, storeURL string) (eventstore.Store, string, error) {
	if storeURL == "" {
		store, err := openExisting(dir)
		return store, dir, err
	}
	return openKurrent(ctx, storeURL)
}

// openReadOnly is openReadable for a command that must not change the
// ledger at all: the embedded ledger is opened with sqlite.OpenReadOnly,
// which starts no writer, refuses appends and creates no file, and works
// beside a process that has the ledger open for writing.
func openReadOnly(ctx context.Context, dir, storeURL string) (eventstore.Store, string, error) {
	if storeURL != "" {
		return openKurrent(ctx, storeURL)
	}
	if err := checkLedgerDir(dir); err != nil {
		return nil, dir, err
	}
	store, err := sqlite.OpenReadOnly(dir)
	if err != nil {
		return nil, dir, fmt.Errorf("open ledger in %s: %w", dir, err)
	}
	return store, dir, nil
}

// openKurrent opens the KurrentDB ledger at storeURL.
func openKurrent(ctx context.Context, storeURL string) (eventstore.Store, string, error) {
	if err := datadir.CheckStoreURL(storeURL); err != nil {
		return nil, "", err
	}
	store, err := kurrent.Open(ctx, storeURL)
	if err != nil {
		return nil, "", fmt.Errorf("open KurrentDB ledger: %w", err)
	}
	return store, "KurrentDB", nil
}

// openExisting opens the embedded ledger in dir, refusing to create one: a
// command that reads a ledger must not leave an empty ledger behind where
// the user mistyped a path.
func openExisting(dir string) (*sqlite.Store, error) {
	if err := checkLedgerDir(dir); err != nil {
		return nil, err
	}
	store, err := sqlite.Open(dir)
	if err != nil {
		return nil, fmt.Errorf("open ledger in %s: %w", dir, err)
	}
	return store, nil
}

// checkLedgerDir checks that dir is a directory holding a non-empty ledger
// file, with a message that says which of the two is missing.
func checkLedgerDir(dir string) error {
	info, err := os.Stat(dir)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return fmt.Errorf("data directory %s does not exist", dir)
	case err != nil:
		return err
	case !info.IsDir():
		return fmt.Errorf("%s is not a directory", dir)
	}
	file := filepath.Join(dir, sqlite.FileName)
	info, err = os.Stat(file)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return fmt.Errorf("data directory %s holds no ledger (no %s)", dir, sqlite.FileName)
	case err != nil:
		return err
	case info.Size() == 0:
		return fmt.Errorf("data directory %s holds no ledger (%s is empty)", dir, sqlite.FileName)
	}
	return nil
}

// openOrCreate opens the embedded ledger in dir, creating the directory and
// an empty ledger if there is none.
func openOrCreate(dir string) (*sqlite.Store, error) {
	if err := os.MkdirAll(dir, 0o750); err != nil {
		return nil, err
	}
	store, err := sqlite.Open(dir)
	if err != nil {
		return nil, fmt.Errorf("open ledger in %s: %w", dir, err)
	}
	return store, nil
}
