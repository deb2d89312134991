package kurrent

import (
	"context"
	"iter"

	"github.com/EventStore/EventStore-Client-Go/v4/esdb"

	"github.com/haixi-hrss/fundledger/eventstore"
)

// Subscribe yields every ledger event with position greater than after: the
// committed ones first, then each new one as it is committed.
//
// It is a catch-up subscription to $all, filtered on the server (event types
// starting with '$' are excluded) and again here (system streams). The
// client does not resubscribe when a subscription drops, so Subscribe does:
// after a transient failure it subscribes again, with backoff, from the last
// position it delivered. Positions at or below that one are skipped, so a
// resubscription neither loses nor repeats an event. It ends after yielding
// ctx.Err() once ctx is done, eventstore.ErrClosed once the store closes,
// or any permanent error.
func (s *Store) Subscribe(ctx context.Context, after uint64) iter.Seq2[eventstore.Event, error] {
	return func(yield func(eventstore.Event, error) bool) {
		// live ends with ctx or with the store; ctx alone says which.
		live, cancel := context.WithCancel(ctx)
		defer cancel()
		defer context.AfterFunc(s.life, cancel)()
		from, err := s.subscriptionStart(live, after)
		if err != nil {
			yield(eventstore.Event{}, s.endErr(ctx, err))
			return
		}
		sub := subscription{s: s, from: from, seen: after, skip: after > 0}
		for failures := 0; ; failures++ {
			err := sub.run(live, yield)
			if err == nil { // the consumer stopped
				return
			}
			if ctx.Err() != nil || s.isClosed() || !(transient(err) || isEOF(err)) {
				yield(eventstore.Event{}, s.endErr(ctx, err))
				return
			}
			if sub.delivered {
				failures = 0
			}
			s.log.Warn("subscription dropped; resubscribing", "after", sub.seen, "attempt", failures+1, "err", err)
			if err := s.sleep(live, failures); err != nil {
				yield(eventstore.Event{}, s.endErr(ctx, err))
				return
			}
		}
	}
}

// subscription is the state that survives resubscriptions.
type subscription struct {
	s    *Store
	from esdb.AllPosition
	// seen is the position of the last event received; events at or
	// before it are skipped (when skip is set).
	seen uint64
	skip bool
	// delivered records whether the current attempt received anything.
	delivered bool
}

// run subscribes once and feeds yield until the subscription drops (the
// error is returned) or the consumer stops (nil is returned).
func (sub *subscription) run(ctx context.Context, yield func(eventstore.Event, error) bool) error {
	sub.delivered = false
	c, gen, release, err := sub.s.acquire()
	if err != nil {
		return err
	}
	h, err := subscribeToAll(ctx, c, release, sub.from, sub.s.filter())
	if err != nil {
		if connectionClosed(err) {
			if rerr := sub.s.rebuild(gen); rerr != nil {
				return rerr
			}
		}
		return err
	}
	defer h.Close()
	for {
		ev := h.Recv()
		switch {
		case ev.SubscriptionDropped != nil:
			return ev.SubscriptionDropped.Error
		case ev.EventAppeared != nil:
			r := ev.EventAppeared.OriginalEvent()
			if sub.skip && r.Position.Commit <= sub.seen {
				continue
			}
			sub.seen, sub.skip, sub.delivered = r.Position.Commit, true, true
			sub.from = r.Position
			name, ok := sub.s.ledgerStream(r)
			if !ok {
				continue
			}
			e, err := fromRecorded(name, r)
			if err != nil {
				yield(eventstore.Event{}, err)
				return nil
			}
			if !yield(e, nil) {
				return nil
			}
		}
		// Checkpoints, caught-up and fell-behind notices carry nothing the
		// ledger needs: resumption uses the last event's position, never a
		// checkpoint (filtered checkpoints need not be record boundaries).
	}
}

// subscribeToAll starts a subscription on c and then calls release (see
// acquire). Node discovery inside the client ignores contexts, so it runs
// aside and a cancelled caller does not wait.
func subscribeToAll(ctx context.Context, c *esdb.Client, release func(), from esdb.AllPosition, filter *esdb.SubscriptionFilter) (*esdb.Subscription, error) {
	type result struct {
		sub *esdb.Subscription
		err error
	}
	done := make(chan result, 1)
	go func() {
		defer release()
		sub, err := c.SubscribeToAll(ctx, esdb.SubscribeToAllOptions{From: from, Filter: filter})
		done <- result{sub, err}
	}()
	select {
	case r := <-done:
		return r.sub, r.err
	case <-ctx.Done():
		go func() {
			if r := <-done; r.sub != nil {
				r.sub.Close()
			}
		}()
		return nil, ctx.Err()
	}
}

// subscriptionStart turns after into a position the server accepts as a
// subscription start. A position this package handed out is the start of a
// record and is used as is; any other is replaced by the last record at or
// before it (found by a scan), and the events up to after are skipped.
func (s *Store) subscriptionStart(ctx context.Context, after uint64) (esdb.AllPosition, error) {
	if after == 0 {
		return esdb.Start{}, s.checkOpen()
	}
	_, err := s.readAllRaw(ctx, at(after), 1)
	if err == nil {
		return at(after), nil
	}
	if invalidPosition(err) {
		return s.boundaryAtOrBefore(ctx, after)
	}
	return nil, err
}

// filter is the server-side filter of subscriptions: the store's streams
// if it has a prefix (which never starts with '$'), else every event type
// but the system ones. Events are checked again here either way.
func (s *Store) filter() *esdb.SubscriptionFilter {
	if s.opts.prefix != "" {
		return &esdb.SubscriptionFilter{Type: esdb.StreamFilterType, Prefixes: []string{s.opts.prefix}}
	}
	return esdb.ExcludeSystemEventsFilter()
}

// endErr picks the error a subscription ends with: the context's, the
// store's closing, or err itself.
func (s *Store) endErr(ctx context.Context, err error) error {
	if ctx.Err() != nil {
		return ctx.Err()
	}
	if s.isClosed() {
		return eventstore.ErrClosed
	}
	return err
}
