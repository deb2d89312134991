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
	"log/slog"
	"os"
	"sync"
	"time"

	"github.com/haixi-hrss/fundledger/domain/identity"
	"github.com/haixi-hrss/fundledger/eventstore"
	"github.com/haixi-hrss/fundledger/eventstore/sqlite"
	"github.com/haixi-hrss/fundledger/ledger"
	"github.com/haixi-hrss/fundledger/ledger/codec"
	"github.com/haixi-hrss/fundledger/ledger/process"
	"github.com/haixi-hrss/fundledger/ledger/schema"
	"github.com/haixi-hrss/fundledger/projections"
)

// Options choose how a ledger is opened.
type Options struct {
	// StoreURL, if set, is a KurrentDB connection string (esdb://… or
	// esdb+discover://…); the events live there and the data directory
	// keeps only the read models' snapshot. Empty selects the embedded
	// store in the data directory.
	StoreURL string
	// Existing requires the embedded ledger to exist already in the data
	// directory (see StoreOptions.Existing).
	Existing bool
	// Logger receives the KurrentDB client's log lines (see
	// StoreOptions.Logger).
	Logger *slog.Logger
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
	// Unfinished lists the claims whose budget steps a crash may have
	// left half done, for the reconciliation at start-up.
	Unfinished *process.Unfinished
}

// NewViews returns empty read models, e.g. to replay the log as of an
// instant without touching the live ones.
func NewViews() *Views {
	return &Views{Budgets: projections.NewBudgets(), Claims: projections.NewClaims(), Trail: projections.NewTrail(),
		Performance: projections.NewPerformance(), Batches: projections.NewPaymentBatches(), Anomalies: projections.NewAnomalies(),
		Unfinished: process.NewUnfinished()}
}

// All lists the views for a runner or a replay.
func (v *Views) All() []projections.Projection {
	return []projections.Projection{v.Budgets, v.Claims, v.Trail, v.Performance, v.Batches, v.Anomalies, v.Unfinished}
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

	// people is the person register, opened by the first People call.
	peopleMu sync.Mutex
	people   *ledger.People
}

// People returns the person register of the data directory (design
// invariant 13): the key store persondata.db beside the ledger, whose
// references are those hasher makes. It is opened on the first call, so
// commands that never touch personal data create no persondata.db, and
// closed by Close. Later calls return the same register; one with a
// hasher keyed by another secret is an error, since a ledger's references
// must all come from one secret.
func (l *Ledger) People(hasher identity.Hasher) (*ledger.People, error) {
	l.peopleMu.Lock()
	defer l.peopleMu.Unlock()
	if l.people == nil {
		p, err := ledger.OpenPeopleWith(l.Dir, hasher)
		if err != nil {
			return nil, fmt.Errorf("datadir: %w", err)
		}
		l.people = p
	}
	probe, err := probeID()
	if err != nil {
		return nil, err
	}
	if l.people.Ref(probe) != hasher.Ref(probe) {
		return nil, errors.New("datadir: the person register is already open with another secret")
	}
	return l.people, nil
}

// probeID is a resident ID to compare two hashers by: equal references
// of it mean equal secrets.
func probeID() (identity.ResidentID, error) {
	const first17 = "63280119900101001"
	c, _ := identity.ResidentCheckChar(first17)
	id, err := identity.ParseResidentID("probe", first17+string(c))
	if err != nil {
		return identity.ResidentID{}, fmt.Errorf("datadir: %w", err)
	}
	return id, nil
}

// Open opens the ledger of data directory dir, its store through
// OpenStore: the directory (and an empty embedded ledger) is created if
// needed, unless opt.Existing asks for an embedded ledger that exists.
// It restores the read models from their snapshot. It does not bring them
// up to date: call CatchUp or Start.
func Open(ctx context.Context, dir string, opt Options) (*Ledger, error) {
	if dir == "" {
		return nil, errors.New("datadir: no data directory given")
	}
	store, name, err := OpenStore(ctx, dir, StoreOptions{URL: opt.StoreURL, Existing: opt.Existing, Logger: opt.Logger, SQLiteOptions: opt.SQLiteOptions})
	if err != nil {
		return nil, err
	}
	// The read models' snapshot lives in dir whichever store holds the
	// events.
	if err := os.MkdirAll(dir, 0o750); err != nil {
		store.Close()
		return nil, fmt.Errorf("datadir: %w", err)
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

// Close stops the follower (saving the read models) and closes the store
// and the person register, if opened.
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
		l.peopleMu.Lock()
		defer l.peopleMu.Unlock()
		if l.people != nil {
			if cerr := l.people.Close(); err == nil {
				err = cerr
			}
		}
	})
	return err
}
