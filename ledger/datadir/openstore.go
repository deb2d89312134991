package datadir

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"strings"

	"github.com/haixi-hrss/fundledger/eventstore"
	"github.com/haixi-hrss/fundledger/eventstore/kurrent"
	"github.com/haixi-hrss/fundledger/eventstore/sqlite"
)

// ErrStoreURL matches a store connection string that is not KurrentDB's,
// or a KurrentDB one that is malformed.
var ErrStoreURL = errors.New("datadir: the store must be a KurrentDB connection string such as esdb://host:2113?tls=false")

// StoreOptions choose how OpenStore opens a ledger's event store.
type StoreOptions struct {
	// URL, if set, is a KurrentDB connection string (esdb://… or
	// esdb+discover://…); empty selects the embedded store in the data
	// directory.
	URL string
	// Existing requires the embedded ledger to exist already: a command
	// that works on a ledger must not leave an empty one behind where the
	// user mistyped a path. Without it the directory and an empty ledger
	// are created.
	Existing bool
	// ReadOnly opens the embedded ledger with sqlite.OpenReadOnly (no
	// writer, no file created, works beside a process writing to it); it
	// implies Existing. KurrentDB has no read-only connection: a reading
	// command simply never appends.
	ReadOnly bool
	// Logger receives the KurrentDB client's log lines, which otherwise
	// go to slog.Default(). The client never prints by itself.
	Logger *slog.Logger
	// SQLiteOptions configure the embedded store (e.g. a test clock).
	SQLiteOptions []sqlite.Option
}

// OpenStore opens the event store of data directory dir, or the KurrentDB
// one opt.URL names (dir is then not used). It returns the store and a name
// for it in messages. Every command opens its store through here, so they
// all accept and refuse the same --store values: a URL that is not
// KurrentDB's, or is malformed, gives an error matching ErrStoreURL before
// anything is opened or created.
func OpenStore(ctx context.Context, dir string, opt StoreOptions) (eventstore.Store, string, error) {
	if err := CheckStoreURL(opt.URL); err != nil {
		return nil, "", err
	}
	if opt.URL != "" {
		log := opt.Logger
		if log == nil {
			log = slog.Default()
		}
		store, err := kurrent.Open(ctx, opt.URL, kurrent.WithLogger(log))
		if err != nil {
			return nil, "", fmt.Errorf("datadir: open the KurrentDB ledger: %w", err)
		}
		return store, "KurrentDB", nil
	}
	if dir == "" {
		return nil, "", errors.New("datadir: no data directory given")
	}
	if opt.Existing || opt.ReadOnly {
		if err := CheckLedgerDir(dir); err != nil {
			return nil, dir, err
		}
	}
	if opt.ReadOnly {
		store, err := sqlite.OpenReadOnly(dir)
		if err != nil {
			return nil, dir, fmt.Errorf("datadir: open ledger in %s read-only: %w", dir, err)
		}
		return store, dir, nil
	}
	if err := os.MkdirAll(dir, 0o750); err != nil {
		return nil, dir, fmt.Errorf("datadir: %w", err)
	}
	store, err := sqlite.Open(dir, opt.SQLiteOptions...)
	if err != nil {
		return nil, dir, fmt.Errorf("datadir: open ledger in %s: %w", dir, err)
	}
	return store, dir, nil
}

// CheckStoreURL returns an error matching ErrStoreURL unless storeURL is
// empty (the embedded store) or a well-formed KurrentDB connection string.
// It contacts no server.
func CheckStoreURL(storeURL string) error {
	if storeURL == "" {
		return nil
	}
	if !strings.HasPrefix(storeURL, "esdb://") && !strings.HasPrefix(storeURL, "esdb+discover://") {
		return ErrStoreURL
	}
	if err := kurrent.CheckConnString(storeURL); err != nil {
		return fmt.Errorf("%w: %w", ErrStoreURL, err)
	}
	return nil
}

// CheckLedgerDir checks that dir is a directory holding a non-empty
// embedded ledger, with a message that says which of the two is missing.
func CheckLedgerDir(dir string) error {
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
