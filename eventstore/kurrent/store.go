// Package kurrent implements eventstore.Store on KurrentDB (or EventStoreDB)
// through the official gRPC client, github.com/EventStore/EventStore-Client-Go/v4.
//
// Each ledger stream is a KurrentDB stream of the same name; the envelope
// fields KurrentDB has no place for (schema version, actor, hashes, ...) travel
// as JSON in the event's user metadata. Stream versions are KurrentDB stream
// revisions and global positions are $all commit positions. System streams and
// events (names starting with '$') never reach the ledger.
//
// The client is kept behind this package so that moving to the KurrentDB
// client (the EventStore one is archived upstream) touches one package.
package kurrent

import (
	"context"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"time"

	"github.com/EventStore/EventStore-Client-Go/v4/esdb"

	"github.com/haixi-hrss/fundledger/eventstore"
)

// Store is an eventstore.Store backed by KurrentDB. It is safe for concurrent
// use.
type Store struct {
	cfg  esdb.Configuration
	opts options
	log  *slog.Logger
	// life ends when the store closes; every call and subscription is
	// cancelled with it.
	life context.Context
	end  context.CancelFunc
	// calls counts calls running on a client (see client.go).
	calls sync.WaitGroup

	mu     sync.Mutex
	client *esdb.Client
	gen    uint64 // bumped every time client is rebuilt
	closed bool

	// streamLocks holds one lock per stream being appended to, so appends
	// to one stream from this Store never race each other (they would
	// only make the server reject all but one).
	streamLocks map[string]*streamLock

	// appendMu serialises the timestamping and sending of appends, so that
	// recorded-at never decreases along the global log for events written
	// through this Store (see Append).
	appendMu  sync.Mutex
	lastStamp time.Time
}

var _ eventstore.Store = (*Store)(nil)

type options struct {
	logger        *slog.Logger
	timeout       time.Duration
	retries       int
	backoff       time.Duration
	maxBackoff    time.Duration
	readPage      uint64
	now           func() time.Time
	connectVerify bool
	prefix        string
}

// Option configures a Store.
type Option func(*options)

// WithLogger sets the logger for the store and for the client underneath.
// The default is slog.Default().
func WithLogger(l *slog.Logger) Option { return func(o *options) { o.logger = l } }

// WithTimeout sets the deadline of each call to the server (default 10s).
// Subscriptions have no deadline; they end with their context.
func WithTimeout(d time.Duration) Option { return func(o *options) { o.timeout = d } }

// WithRetries sets how many times a call that failed on a transient error
// (server unavailable, not the leader, connection closed, a concurrent
// writer on an Any/StreamExists append) is tried again (default 8, which
// with the default backoff rides out about ten seconds of a node
// restarting).
func WithRetries(n int) Option { return func(o *options) { o.retries = n } }

// WithBackoff sets the first and the largest pause between retries and
// between resubscriptions (defaults 50ms and 5s).
func WithBackoff(first, max time.Duration) Option {
	return func(o *options) { o.backoff, o.maxBackoff = first, max }
}

// WithClock replaces the clock that stamps recorded-at; tests use it.
func WithClock(now func() time.Time) Option { return func(o *options) { o.now = now } }

// WithReadPage sets how many events one read request asks for (default 512).
func WithReadPage(n int) Option {
	return func(o *options) {
		if n > 0 {
			o.readPage = uint64(n)
		}
	}
}

// WithStreamPrefix keeps several ledgers apart in one database: every
// stream is stored as prefix+name, and the global log (ReadAll, Subscribe)
// shows only streams with the prefix. Event.Stream and the hash chain use
// the name without the prefix. The conformance suite uses it to get an empty
// ledger on a shared server. The prefix must not start with '$'.
func WithStreamPrefix(prefix string) Option { return func(o *options) { o.prefix = prefix } }

// WithoutConnectCheck makes Open return without contacting the server; the
// first call connects instead.
func WithoutConnectCheck() Option { return func(o *options) { o.connectVerify = false } }

// Open parses connString (e.g. "esdb://localhost:2113?tls=false", or a
// comma-separated list of gossip seeds for a cluster) and returns a Store.
// Unless WithoutConnectCheck is given it contacts the server first, so a
// wrong address fails here rather than on the first append.
func Open(ctx context.Context, connString string, opts ...Option) (*Store, error) {
	o := options{
		logger:        slog.Default(),
		timeout:       10 * time.Second,
		retries:       8,
		backoff:       50 * time.Millisecond,
		maxBackoff:    5 * time.Second,
		readPage:      512,
		now:           time.Now,
		connectVerify: true,
	}
	for _, opt := range opts {
		opt(&o)
	}
	if strings.HasPrefix(o.prefix, "$") {
		return nil, fmt.Errorf("kurrent: stream prefix %q: must not start with '$'", o.prefix)
	}
	log := o.logger.With("component", "kurrent")
	cfg, err := parseConnString(connString, log)
	if err != nil {
		return nil, fmt.Errorf("kurrent: %w", err)
	}
	cfg.Logger = clientLogger(log)
	if cfg.DefaultDeadline == nil {
		cfg.DefaultDeadline = &o.timeout
	}
	s := &Store{cfg: *cfg, opts: o, log: log, streamLocks: map[string]*streamLock{}}
	s.life, s.end = context.WithCancel(context.Background())
	if s.client, err = esdb.NewClient(&s.cfg); err != nil {
		return nil, fmt.Errorf("kurrent: %w", err)
	}
	if o.connectVerify {
		if err := s.ping(ctx); err != nil {
			s.Close()
			return nil, fmt.Errorf("kurrent: connect: %w", err)
		}
	}
	return s, nil
}

// ping reads the last event of $all, which makes the client discover and
// connect to a node.
func (s *Store) ping(ctx context.Context) error {
	_, err := retry(ctx, s, "connect", func(ctx context.Context, c *esdb.Client) (struct{}, error) {
		rs, err := c.ReadAll(ctx, esdb.ReadAllOptions{Direction: esdb.Backwards, From: esdb.End{}, Deadline: &s.opts.timeout}, 1)
		if err != nil {
			return struct{}{}, err
		}
		defer rs.Close()
		if _, err = rs.Recv(); isEOF(err) {
			err = nil
		}
		return struct{}{}, err
	})
	return err
}

// clientLogger routes the client's printf-style logging into slog.
func clientLogger(log *slog.Logger) esdb.LoggingFunc {
	return func(level esdb.LogLevel, format string, args ...any) {
		l := slog.LevelInfo
		switch level {
		case esdb.LogDebug:
			l = slog.LevelDebug
		case esdb.LogWarn:
			l = slog.LevelWarn
		case esdb.LogError:
			l = slog.LevelError
		}
		// The client logs every failed call as an error; they are retried or
		// returned here, so they are only worth a warning.
		if l == slog.LevelError {
			l = slog.LevelWarn
		}
		log.Log(context.Background(), l, fmt.Sprintf(format, args...), "source", "esdb-client")
	}
}

// Close closes the store: running calls and subscriptions are cancelled
// (subscriptions end with eventstore.ErrClosed), later calls return
// eventstore.ErrClosed, and the client is closed once no call is running
// on it. Closing twice is harmless.
func (s *Store) Close() error {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return nil
	}
	s.closed = true
	c := s.client
	s.mu.Unlock()
	s.end()

	done := make(chan struct{})
	go func() { s.calls.Wait(); close(done) }()
	select {
	case <-done:
		return c.Close()
	case <-time.After(s.opts.timeout):
		// A call is stuck inside the client (see client.go); closing the
		// client now could make it panic. Leave the client to the GC.
		s.log.Warn("closed the store without closing its KurrentDB client: a call on it did not return")
		return nil
	}
}

type streamLock struct {
	held  chan struct{} // a token in the channel means the lock is held
	users int
}

// lockStream locks stream for an append and returns the unlock function,
// or ctx's error if ctx ends first. Locks are dropped when nobody holds or
// waits for them.
func (s *Store) lockStream(ctx context.Context, stream string) (func(), error) {
	s.mu.Lock()
	l := s.streamLocks[stream]
	if l == nil {
		l = &streamLock{held: make(chan struct{}, 1)}
		s.streamLocks[stream] = l
	}
	l.users++
	s.mu.Unlock()
	release := func() {
		s.mu.Lock()
		if l.users--; l.users == 0 {
			delete(s.streamLocks, stream)
		}
		s.mu.Unlock()
	}
	select {
	case l.held <- struct{}{}:
		return func() { <-l.held; release() }, nil
	case <-ctx.Done():
		release()
		return nil, ctx.Err()
	}
}
