// Package datadir opens a ledger as its commands and queries meet it: the
// event store (the embedded one in a data directory, or KurrentDB), the
// codec, the ledger service and the read models kept up to date with the
// log, whose snapshot lives in the data directory either way. The server,
// the demo and the command line open a ledger only through here, so they
// cannot disagree on what a ledger is made of.
package datadir

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strings"
	"sync"
	"time"

	"github.com/haixi-hrss/fundledger/eventstore"
	"github.com/haixi-hrss/fundledger/eventstore/kurrent"
	"github.com/haixi-hrss/fundledger/eventstore/sqlite"
	"github.com/haixi-hrss/fundledger/ledger"
	"github.com/haixi-hrss/fundledger/ledger/codec"
	"github.com/haixi-hrss/fundledger/ledger/schema"
	"github.com/haixi-hrss/fundledger/projections"
)

// ErrStoreURL matches a store connection string that is not KurrentDB's.
var ErrStoreURL = errors.New("datadir: the store must be a KurrentDB connection string such as esdb://host:2113?tls=false")

// Options choose how a ledger is opened.
type Options struct {
	// StoreURL, if set, is a KurrentDB connection string (esdb://… or
	// esdb+discover://…); the events live there and the data directory
	// keeps only the read models' snapshot. Empty selects the embedded
	// store in the data directory.
	StoreURL string
	// LedgerOptions configure the ledger service (attempts, backoff).
	LedgerOptions []ledger.Option
	// SQLiteOptions configure the embedded store (e.g. a test clock).
	SQLiteOptions []sqlite.Option
}

// Views are the read models of one ledger.
type Views struct {
	Budgets     *projections.Budgets
	Claims      *projections.Claims
	Trail       *projections.Trail
	Performance *projections.Performance
	Batches     *projections.PaymentBatches
	Anomalies   *projections.Anomalies
}

// NewViews returns empty read models, e.g. to replay the log as of an
// instant without touching the live ones.
func NewViews() *Views {
	return &Views{Budgets: projections.NewBudgets(), Claims: projections.NewClaims(), Trail: projections.NewTrail(),
		Performance: projections.NewPerformance(), Batches: projections.NewPaymentBatches(), Anomalies: projections.NewAnomalies()}
}

// All lists the views for a runner or a replay.
func (v *Views) All() []projections.Projection {
	return []projections.Projection{v.Budgets, v.Claims, v.Trail, v.Performance, v.Batches, v.Anomalies}
}

// Ledger is one opened ledger.
type Ledger struct {
	// Dir is the data directory.
	Dir string
	// Store is where the events live; StoreName names it in messages.
	Store     eventstore.Store
	StoreName string
	Codec     *codec.Codec
	Service   *ledger.Service
	// Views are the live read models; read them inside Runner.Read.
	Views  *Views
	Runner *projections.Runner

	cancel context.CancelFunc
	done   chan error
	once   sync.Once
}

// Open opens the ledger of data directory dir, creating the directory
// (and an empty embedded ledger) if needed, and restores the read models
// from their snapshot. It does not bring them up to date: call CatchUp or
// Start.
func Open(ctx context.Context, dir string, opt Options) (*Ledger, error) {
	if dir == "" {
		return nil, errors.New("datadir: no data directory given")
	}
	if err := CheckStoreURL(opt.StoreURL); err != nil {
		return nil, err
	}
	if err := os.MkdirAll(dir, 0o750); err != nil {
		return nil, fmt.Errorf("datadir: %w", err)
	}
	store, name, err := openStore(ctx, dir, opt)
	if err != nil {
		return nil, err
	}
	c := schema.Codec()
	views := NewViews()
	runner, err := projections.NewRunner(store, c, dir, views.All()...)
	if err != nil {
		store.Close()
		return nil, fmt.Errorf("datadir: %w", err)
	}
	return &Ledger{Dir: dir, Store: store, StoreName: name, Codec: c, Service: ledger.New(store, c, opt.LedgerOptions...),
		Views: views, Runner: runner}, nil
}

func openStore(ctx context.Context, dir string, opt Options) (eventstore.Store, string, error) {
	if opt.StoreURL == "" {
		store, err := sqlite.Open(dir, opt.SQLiteOptions...)
		if err != nil {
			return nil, "", fmt.Errorf("datadir: open the ledger in %s: %w", dir, err)
		}
		return store, dir, nil
	}
	store, err := kurrent.Open(ctx, opt.StoreURL)
	if err != nil {
		return nil, "", fmt.Errorf("datadir: open the KurrentDB ledger: %w", err)
	}
	return store, "KurrentDB", nil
}

// CheckStoreURL returns ErrStoreURL unless storeURL is empty (the embedded
// store) or a KurrentDB connection string.
func CheckStoreURL(storeURL string) error {
	if storeURL != "" && !strings.HasPrefix(storeURL, "esdb://") && !strings.HasPrefix(storeURL, "esdb+discover://") {
		return ErrStoreURL
	}
	return nil
}

// CatchUp brings the read models up to the end of the log and saves them.
func (l *Ledger) CatchUp(ctx context.Context) (projections.Progress, error) {
	return l.Runner.CatchUp(ctx)
}

// Start keeps the read models following the log in the background until
// Close. It catches up first, so when it returns the views are current.
func (l *Ledger) Start(ctx context.Context) error {
	if _, err := l.Runner.CatchUp(ctx); err != nil {
		return err
	}
	ctx, l.cancel = context.WithCancel(context.WithoutCancel(ctx))
	l.done = make(chan error, 1)
	go func() { l.done <- l.Runner.Run(ctx) }()
	return nil
}

// Sync brings the read models to at least position pos: a caller that has
// just appended there reads its own write.
func (l *Ledger) Sync(ctx context.Context, pos uint64) error {
	return l.Runner.Sync(ctx, pos)
}

// Following reports whether the background follower started by Start is
// still running; false after it stopped on an error.
func (l *Ledger) Following() bool {
	if l.done == nil {
		return false
	}
	select {
	case err := <-l.done:
		l.done <- err
		return false
	default:
		return true
	}
}

// Close stops the follower (saving the read models) and closes the store.
// It returns the follower's error if it had stopped on one.
func (l *Ledger) Close() error {
	var err error
	l.once.Do(func() {
		if l.cancel != nil {
			l.cancel()
			select {
			case ferr := <-l.done:
				if ferr != nil && !errors.Is(ferr, context.Canceled) {
					err = ferr
				}
			case <-time.After(30 * time.Second):
				err = errors.New("datadir: the read-model follower did not stop within 30 s")
			}
		}
		if cerr := l.Store.Close(); err == nil {
			err = cerr
		}
	})
	return err
}
