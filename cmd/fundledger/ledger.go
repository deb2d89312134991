package main

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/haixi-hrss/fundledger/eventstore/sqlite"
)

// openExisting opens the embedded ledger in dir, refusing to create one: a
// command that reads a ledger must not leave an empty ledger behind where
// the user mistyped a path.
func openExisting(dir string) (*sqlite.Store, error) {
	info, err := os.Stat(dir)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return nil, fmt.Errorf("data directory %s does not exist", dir)
	case err != nil:
		return nil, err
	case !info.IsDir():
		return nil, fmt.Errorf("%s is not a directory", dir)
	}
	file := filepath.Join(dir, sqlite.FileName)
	info, err = os.Stat(file)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return nil, fmt.Errorf("data directory %s holds no ledger (no %s)", dir, sqlite.FileName)
	case err != nil:
		return nil, err
	case info.Size() == 0:
		return nil, fmt.Errorf("data directory %s holds no ledger (%s is empty)", dir, sqlite.FileName)
	}
	store, err := sqlite.Open(dir)
	if err != nil {
		return nil, fmt.Errorf("open ledger in %s: %w", dir, err)
	}
	return store, nil
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
