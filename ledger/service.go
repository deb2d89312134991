package ledger

import (
	"context"
	"errors"
	"math/rand/v2"
	"time"

	"github.com/haixi-hrss/fundledger/eventstore"
	"github.com/haixi-hrss/fundledger/ledger/codec"
)

// DefaultRecentStreams is how many recently written claims' folded states
// a Service keeps by default (see WithRecentStreams).
const DefaultRecentStreams = 4096

// DefaultMaxAttempts is how many times a command is decided and appended
// before a persistent conflict is reported as ErrConflict.
const DefaultMaxAttempts = 8

// Service runs commands against an event store. Everything it must
// remember lives in the log, so any number of Services (and restarts) may
// share one store. What it keeps between calls only saves work: the folded
// state of recently used budget lines and recently written claims, on
// which it decides without reading the store (the append's expected
// version checks that nothing followed; a refusal is only given on the
// stream as read), and a lock per budget line that queues this process's
// writers of that line instead of letting them collide.
type Service struct {
	store eventstore.Store
	// multi is store when it appends to several streams at once, else nil.
	multi       eventstore.MultiAppender
	codec       *codec.Codec
	maxAttempts int
	backoff     time.Duration
	states      *stateCache
	recent      *stateCache
	locks       streamLocks
	ops         opQueues
}

// Option configures a Service.
type Option func(*Service)

// WithMaxAttempts sets how many times a command is tried under contention
// (at least 1).
func WithMaxAttempts(n int) Option {
	return func(s *Service) { s.maxAttempts = max(n, 1) }
}

// WithBackoff sets the base of the jittered exponential wait between
// attempts; 0 retries at once.
func WithBackoff(base time.Duration) Option {
	return func(s *Service) { s.backoff = max(base, 0) }
}

// WithCachedStreams sets how many budget lines' folded states the service
// keeps (least recently used out first); 0 turns the cache off, so every
// command folds its line from the first event.
func WithCachedStreams(n int) Option {
	return func(s *Service) { s.states = newStateCache(max(n, 0)) }
}

// WithRecentStreams sets how many recently written claims' folded states
// the service keeps (least recently used out first); 0 turns the cache
// off, so every command on a claim reads the claim's stream.
func WithRecentStreams(n int) Option {
	return func(s *Service) { s.recent = newStateCache(max(n, 0)) }
}

// New returns a Service appending to store and encoding events with c.
func New(store eventstore.Store, c *codec.Codec, opts ...Option) *Service {
	s := &Service{store: store, codec: c, maxAttempts: DefaultMaxAttempts, backoff: time.Millisecond,
		states: newStateCache(DefaultCachedStreams), recent: newStateCache(DefaultRecentStreams)}
	for _, opt := range opts {
		opt(s)
	}
	s.multi, _ = s.store.(eventstore.MultiAppender)
	return s
}

// wait sleeps before attempt (1-based) with full jitter over an
// exponentially growing window capped at 64 times the base, so writers that
// collided spread out instead of colliding again in lock step.
func (s *Service) wait(ctx context.Context, attempt int) error {
	if s.backoff == 0 {
		return ctx.Err()
	}
	window := s.backoff << min(attempt, 6)
	t := time.NewTimer(rand.N(window) + 1)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

// isConcurrency reports whether err is the store's wrong-expected-version
// error, the one condition worth retrying.
func isConcurrency(err error) bool { return errors.Is(err, eventstore.ErrConcurrency) }
