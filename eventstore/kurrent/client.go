package kurrent

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"time"

	"github.com/EventStore/EventStore-Client-Go/v4/esdb"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/haixi-hrss/fundledger/eventstore"
)

// How the Store drives the client, and two of the client's habits it works
// around:
//
//   - A client whose discovery failed marks itself closed for good (its
//     connection goroutine exits). The Store replaces it (rebuild).
//   - A call that fails with "unavailable" or "not leader" tells that
//     goroutine over an unbuffered channel, which blocks forever once the
//     goroutine has exited and panics once the client is closed. So the
//     Store closes a client only after every call on it has returned, and
//     never closes a client it replaced (it leaks that one's connection
//     instead of risking a panic).

// acquire returns the client in use, its generation, and a release
// function the caller must call when its call on the client has returned.
func (s *Store) acquire() (*esdb.Client, uint64, func(), error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return nil, 0, nil, eventstore.ErrClosed
	}
	s.calls.Add(1)
	return s.client, s.gen, s.calls.Done, nil
}

// checkOpen returns eventstore.ErrClosed once the store is closed.
func (s *Store) checkOpen() error {
	if s.isClosed() {
		return eventstore.ErrClosed
	}
	return nil
}

func (s *Store) isClosed() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.closed
}

// rebuild replaces the client of generation gen. A rebuild already done by
// another caller is not repeated.
func (s *Store) rebuild(gen uint64) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return eventstore.ErrClosed
	}
	if gen != s.gen {
		return nil
	}
	c, err := esdb.NewClient(&s.cfg)
	if err != nil {
		return fmt.Errorf("kurrent: rebuild client: %w", err)
	}
	s.client, s.gen = c, s.gen+1
	s.log.Warn("rebuilt the KurrentDB client after its connection closed")
	return nil
}

// call runs op on the current client under the per-call deadline, and
// returns its result and the client's generation. op runs in its own
// goroutine because node discovery inside the client ignores contexts; a
// caller whose context ends does not wait for it. Close cancels it.
func call[T any](ctx context.Context, s *Store, op func(context.Context, *esdb.Client) (T, error)) (T, uint64, error) {
	var zero T
	c, gen, release, err := s.acquire()
	if err != nil {
		return zero, 0, err
	}
	ctx, cancel := context.WithTimeout(ctx, s.opts.timeout)
	defer cancel()
	stop := context.AfterFunc(s.life, cancel)
	defer stop()
	type result struct {
		v   T
		err error
	}
	done := make(chan result, 1)
	go func() {
		defer release()
		v, err := op(ctx, c)
		done <- result{v, err}
	}()
	select {
	case r := <-done:
		return r.v, gen, r.err
	case <-ctx.Done():
		return zero, gen, ctx.Err()
	}
}

// retry runs op through call until it succeeds, fails on a permanent
// error, or the retries are used up. Transient errors (see transient) are
// retried with backoff; a closed client is rebuilt and tried at once.
func retry[T any](ctx context.Context, s *Store, what string, op func(context.Context, *esdb.Client) (T, error)) (T, error) {
	rebuilt := false
	var cause error // the last error that was not "client closed"
	for attempt := 0; ; attempt++ {
		v, gen, err := call(ctx, s, op)
		if connectionClosed(err) {
			// The client gave up on its connection (e.g. its discovery
			// failed): a new one is the cure, and trying it at once costs
			// no attempt the first time.
			if rerr := s.rebuild(gen); rerr != nil {
				return v, rerr
			}
			if !rebuilt {
				rebuilt = true
				attempt--
				continue
			}
		} else if err != nil {
			cause = err
		}
		switch {
		case err == nil:
			return v, nil
		case ctx.Err() != nil:
			return v, ctx.Err()
		case s.isClosed():
			return v, eventstore.ErrClosed
		case !transient(err) || attempt >= s.opts.retries:
			if connectionClosed(err) && cause != nil {
				err = cause // why the connection closed says more
			}
			return v, err
		}
		s.log.Warn("retrying after a transient error", "op", what, "attempt", attempt+1, "err", err)
		if werr := s.sleep(ctx, attempt); werr != nil {
			return v, werr
		}
	}
}

// sleep waits the backoff for attempt, or until ctx is done or the store
// closes.
func (s *Store) sleep(ctx context.Context, attempt int) error {
	d := s.opts.backoff << min(attempt, 16)
	if d > s.opts.maxBackoff || d <= 0 {
		d = s.opts.maxBackoff
	}
	d = d/2 + rand.N(d/2+1) // jitter, so restarted subscribers do not stampede
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	case <-s.life.Done():
		return eventstore.ErrClosed
	}
}

// transient reports whether err may go away on its own: the node is down,
// not the leader, the client's connection closed, the call timed out, or
// it was cancelled from under the caller (a client being shut down; callers
// check their own context first).
func transient(err error) bool {
	var e *esdb.Error
	if errors.As(err, &e) {
		switch e.Code() {
		case esdb.ErrorUnavailable, esdb.ErrorCodeNotLeader, esdb.ErrorCodeConnectionClosed, esdb.ErrorCodeDeadlineExceeded:
			return true
		}
	}
	if st, ok := status.FromError(err); ok {
		switch st.Code() {
		case codes.Unavailable, codes.DeadlineExceeded, codes.Canceled:
			return true
		}
	}
	return errors.Is(err, context.DeadlineExceeded)
}

func connectionClosed(err error) bool {
	var e *esdb.Error
	return errors.As(err, &e) && e.Code() == esdb.ErrorCodeConnectionClosed
}

func wrongExpectedVersion(err error) bool {
	var e *esdb.Error
	return errors.As(err, &e) && e.Code() == esdb.ErrorCodeWrongExpectedVersion
}

func streamNotFound(err error) bool {
	var e *esdb.Error
	return errors.As(err, &e) && e.Code() == esdb.ErrorCodeResourceNotFound
}

// invalidPosition reports the server's answer to a $all read from a
// position that is not the start of a record.
func invalidPosition(err error) bool {
	st, ok := status.FromError(err)
	return ok && st.Code() == codes.InvalidArgument
}
