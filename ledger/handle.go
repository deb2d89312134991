package ledger

import (
	"context"
	"errors"
	"fmt"
	"slices"

	"github.com/google/uuid"

	"github.com/haixi-hrss/fundledger/domain"
	"github.com/haixi-hrss/fundledger/eventstore"
)

// Aggregate describes one aggregate instance to Handle: the stream it lives
// in and how its events fold into state S.
type Aggregate[S any] struct {
	// Stream is the aggregate's stream, e.g. "claim-42".
	Stream string
	// Initial is the state of an aggregate with no events.
	Initial S
	// Evolve folds one event into the state; it must be pure.
	Evolve func(S, domain.Event) S
	// Fold, if set, folds a run of events at once and is used instead of
	// Evolve: an aggregate whose state copies maps to stay pure copies
	// them once per run rather than once per event. It must be pure and
	// equal to Evolve applied in order.
	Fold func(S, ...domain.Event) S
	// Apply and Clone, if set, let a shared stream's combined commands
	// fold into the cached state in place (see runBatch) rather than copy
	// it per command. Apply folds events into a state, changing it, and
	// returns what undoes that; it must equal Fold in effect. Clone
	// returns a copy that Apply on either leaves unchanged.
	Apply func(*S, ...domain.Event) (undo func())
	Clone func(S) S
	// shared marks a stream that many commands of this process write,
	// each deciding idempotently by its operation IDs (a budget line):
	// run queues its writers per stream and decides on the cached fold
	// of the stream (Service.states) without reading the store: the
	// append's expected version checks the fold, and a refusal or an
	// empty decision is decided again on the events read after it. A
	// repeated command is then not recognised by its event IDs in the
	// cached part; its decision is empty instead, which is also what it
	// appends.
	shared bool
	// recent marks a stream that is written a few times in quick
	// succession (a claim through its review and payment): run decides
	// on the fold this process last saw (Service.recent) without reading
	// the store, as for a shared stream, and recognises a repeated
	// command by the event IDs kept with the fold. Unlike a shared
	// stream's, its writers are not queued: they rarely meet.
	recent bool
}

// Result says what a command appended, or, when Replayed, what an earlier
// run of the same command appended.
type Result struct {
	// Stream is the aggregate's stream.
	Stream string
	// FirstVersion and LastVersion are the stream versions of the first and
	// last event; both are 0 when Events is empty.
	FirstVersion, LastVersion uint64
	// Position is the global position of the last event; 0 when Events is
	// empty. On a budget line, whose commands are combined into one
	// append (see runCombined), it is that append's last event's, which
	// may be another command's: at or after this one's, as a position to
	// wait for needs.
	Position uint64
	// Events are the decided events, in order.
	Events []domain.Event
	// EventIDs are the events' IDs, in the same order.
	EventIDs []uuid.UUID
	// Replayed is true when this call appended nothing because the command
	// (by its ID or its idempotency key) had already been applied.
	Replayed bool
}

// Handle runs one command: it loads agg's stream, folds it into state,
// calls decide, and appends the decided events with the exact expected
// version (NoStream for a new stream). When another writer appended first it
// reloads and decides again, up to the service's attempt limit, then returns
// an error matching ErrConflict.
//
// A decide error is returned wrapped (errors.Is/As see the domain error) and
// nothing is appended; a decision with no events appends nothing either.
//
// Events get IDs derived from the command ID (EventID), and a command whose
// events are already in the stream returns them with Replayed set instead
// of deciding again. A command with an idempotency key is bound to its
// fingerprint through records in the log: a repeat returns the first
// result and appends nothing, a different command under the same key gets
// an error matching ErrIdempotencyMismatch.
func Handle[S any](ctx context.Context, s *Service, agg Aggregate[S], cmd Command, decide func(S) ([]domain.Event, error)) (Result, error) {
	return handle(ctx, s, agg, cmd, decide, nil, nil)
}

// HandleNext is Handle for the next step of a request on the stream that
// prev, the step before, created: its events are the whole stream as far
// as this process knows, so the command is decided on their fold without
// reading the stream, and the append's expected version checks that
// nothing followed them (a refusal, or a decision to append nothing, is
// decided again on the stream as read). When prev did not create agg's
// stream (it is a replay, or appended to a stream that had events), it
// is Handle.
func HandleNext[S any](ctx context.Context, s *Service, agg Aggregate[S], cmd Command, decide func(S) ([]domain.Event, error), prev Result) (Result, error) {
	if prev.Replayed || prev.Stream != agg.Stream || len(prev.Events) == 0 || prev.FirstVersion != 0 || agg.shared {
		return Handle(ctx, s, agg, cmd, decide)
	}
	return handle(ctx, s, agg, cmd, decide, &known[S]{state: agg.fold(agg.Initial, prev.Events), next: prev.LastVersion + 1, ids: prev.EventIDs}, nil)
}

// known is the fold of a stream's first next events, which a caller
// already holds; run then decides on it before reading anything. ids,
// when not nil, are those events' IDs, which a recent aggregate keeps.
type known[S any] struct {
	state S
	next  uint64
	ids   []uuid.UUID
}

// handle is Handle starting from from when it is not nil, taking then
// (when not nil) before the append.
func handle[S any](ctx context.Context, s *Service, agg Aggregate[S], cmd Command, decide func(S) ([]domain.Event, error), from *known[S], then step) (Result, error) {
	if err := cmd.validate(); err != nil {
		return Result{}, err
	}
	if err := eventstore.ValidateStreamName(agg.Stream); err != nil {
		return Result{}, fmt.Errorf("ledger: aggregate stream %q: %w", agg.Stream, err)
	}
	if agg.Evolve == nil || decide == nil {
		return Result{}, errors.New("ledger: Handle needs an Evolve and a decide function")
	}
	if cmd.IdempotencyKey != "" {
		return handleIdempotent(ctx, s, agg, &cmd, decide, from, then)
	}
	return run(ctx, s, agg, &cmd, decide, nil, then, from)
}

// run is the load-decide-append loop. claim, when not nil, is an
// idempotency key's claim, recorded with the first decision that has
// events; a key found taken ends the run with errKeyTaken. then, when not
// nil, is taken once, with the first decision that has events, before the
// events are appended; an error from it ends the run. Without a step the
// claim is appended with the events (appendClaimed). With one, the claim
// goes to the step, which records it in its own commit if it appends (on
// a store that is an eventstore.MultiAppender, which may record the
// events there too: see ownPart), else with the events; on another store
// it is appended on its own before the step. from, when
// not nil, is where the loop starts instead of the stream's first event,
// unread: a command already applied among its events is not recognised
// by its event IDs.
func run[S any](ctx context.Context, s *Service, agg Aggregate[S], cmd *Command, decide func(S) ([]domain.Event, error), claim *keyClaim, then step, from *known[S]) (Result, error) {
	if agg.shared && claim == nil && then == nil && from == nil {
		return runCombined(ctx, s, agg, cmd, decide)
	}
	state := agg.Initial
	var next uint64 // the version the next appended event gets
	// unread is set while state is a fold (cached, or the caller's) not
	// yet checked against the store in this run.
	unread := false
	// ids are the IDs of the events folded into state, kept for a recent
	// aggregate (nil when unknown: nothing is cached then).
	var ids []uuid.UUID
	if from != nil {
		state, next, unread, ids = from.state, from.next, true, slices.Clip(from.ids)
	} else if agg.recent {
		if f, n, ok := recentFold(s, agg); ok {
			state, next, unread, ids = f.state, n, true, slices.Clip(f.ids)
		}
	}
	if agg.shared {
		unlock, err := s.locks.lock(ctx, agg.Stream)
		if err != nil {
			return Result{}, fmt.Errorf("ledger: %s on %s: %w", cmd.label(), agg.Stream, err)
		}
		defer unlock()
		if from == nil {
			state, next = cachedState(s, agg)
			unread = next > 0
		}
	}
	firstID := EventID(cmd.ID, agg.Stream, 0)
	for attempt := 1; ; attempt++ {
		// Later attempts read only what was appended since the last one:
		// the state folded so far stays valid because Evolve is pure.
		var evs []eventstore.Event
		if !unread {
			var err error
			if evs, err = s.store.ReadStream(ctx, agg.Stream, next, 0); err != nil {
				return Result{}, fmt.Errorf("ledger: read %s: %w", agg.Stream, err)
			}
		}
		if unread && slices.Contains(ids, firstID) {
			// Applied before, within the fold: its result is in the stream.
			state, next, ids, unread = agg.Initial, 0, nil, false
			attempt--
			continue
		}
		decoded := make([]domain.Event, 0, len(evs))
		for i := range evs {
			if evs[i].ID == firstID {
				return s.applied(cmd.ID, agg.Stream, evs[i:])
			}
			ev, err := s.codec.Decode(&evs[i])
			if err != nil {
				return Result{}, fmt.Errorf("ledger: %s version %d: %w", agg.Stream, evs[i].Version, err)
			}
			decoded = append(decoded, ev)
			ids = append(ids, evs[i].ID)
			next = evs[i].Version + 1
		}
		if len(decoded) > 0 || next == 0 {
			state = agg.fold(state, decoded)
			remember(s, agg, next, state, ids)
		}

		decided, err := decide(state)
		if unread && (err != nil || len(decided) == 0) {
			// Decided on the cached fold alone. A decision to append is
			// checked by the append's expected version; a refusal, or a
			// decision to do nothing, is only given on a state read from
			// the store, so read what follows the fold and decide again.
			unread = false
			attempt--
			continue
		}
		if err != nil {
			return Result{}, fmt.Errorf("ledger: %s on %s: %w", cmd.label(), agg.Stream, err)
		}
		if len(decided) == 0 {
			return Result{Stream: agg.Stream}, nil
		}
		data, eventIDs, err := s.encode(cmd, agg.Stream, decided)
		if err != nil {
			return Result{}, err
		}
		nx, data, err := chainNext(s, agg, cmd, state, decided, data)
		if err != nil {
			return Result{}, err
		}
		expected := eventstore.NoStream
		if next > 0 {
			expected = eventstore.Exact(next - 1)
		}
		var own *ownPart
		if then != nil {
			if claim != nil && s.multi == nil {
				if err := s.appendClaim(ctx, claim); err != nil {
					return Result{}, err
				}
				claim = nil
			}
			if s.multi != nil {
				own = &ownPart{part: eventstore.StreamAppend{Stream: agg.Stream, Expected: expected, Events: data}, ids: eventIDs}
			}
			err = then(cmd, decided, claim, own)
			if claim != nil && claim.tried {
				claim = nil // recorded with the step's commit
			}
			switch {
			case errors.Is(err, errPartMoved):
				// Nothing of the step was written: the stream moved
				// since the fold. Taken as a conflict below.
			case err != nil:
				return Result{}, err
			default:
				then = nil
			}
		}
		var res eventstore.AppendResult
		switch {
		case err != nil:
		case own != nil && own.done:
			res = own.res // appended in the step's commit
		default:
			res, err = s.appendClaimed(ctx, claim, cmd.with, agg.Stream, expected, data)
			if claim != nil && claim.tried {
				claim = nil // recorded: a later attempt appends the events alone
			}
		}
		if errors.Is(err, errKeyTaken) || errors.Is(err, errWithTaken) {
			return Result{}, err
		}
		if err == nil {
			// Only an append that landed right after the folded state
			// advances it: a store acknowledging a repeat of events it
			// already holds answers with their versions, Repeated. Then
			// the command was applied before (this process decided on a
			// stale fold) and its answer is the first run's.
			if res.Repeated || res.FirstVersion != next {
				return s.appliedAt(ctx, cmd.ID, agg.Stream, res.FirstVersion)
			}
			if nx != nil {
				return nx.committed(s, agg, res, ids, decided, eventIDs), nil
			}
			remember(s, agg, res.LastVersion+1, agg.fold(state, decided), append(slices.Clip(ids), eventIDs...))
			return Result{
				Stream:       agg.Stream,
				FirstVersion: res.FirstVersion,
				LastVersion:  res.LastVersion,
				Position:     res.Position,
				Events:       decided,
				EventIDs:     eventIDs,
			}, nil
		}
		if !isConcurrency(err) && !errors.Is(err, errPartMoved) {
			return Result{}, fmt.Errorf("ledger: append to %s: %w", agg.Stream, err)
		}
		unread = false
		if agg.shared {
			// Another process wrote the line: trust nothing cached about
			// it and fold it again from the start.
			s.states.drop(agg.Stream)
			state, next = agg.Initial, 0
		}
		if attempt >= s.maxAttempts {
			return Result{}, &ConflictError{Stream: agg.Stream, Attempts: attempt, Last: err}
		}
		if errors.Is(err, errPartMoved) {
			continue // the stream moved: read what moved it at once
		}
		if err := s.wait(ctx, attempt); err != nil {
			return Result{}, fmt.Errorf("ledger: %s on %s: %w", cmd.label(), agg.Stream, err)
		}
	}
}

// encode turns decided events into append requests with IDs derived from
// the command and the command's metadata.
func (s *Service) encode(cmd *Command, stream string, decided []domain.Event) ([]eventstore.EventData, []uuid.UUID, error) {
	meta := cmd.metadata()
	data := make([]eventstore.EventData, len(decided))
	ids := make([]uuid.UUID, len(decided))
	for i, ev := range decided {
		typ, version, payload, err := s.codec.Encode(ev)
		if err != nil {
			return nil, nil, fmt.Errorf("ledger: %s on %s, event %d: %w", cmd.label(), stream, i, err)
		}
		ids[i] = EventID(cmd.ID, stream, i)
		data[i] = eventstore.EventData{ID: ids[i], Type: typ, SchemaVersion: version, Data: payload, Metadata: meta}
	}
	return data, ids, nil
}

// applied rebuilds the Result of command commandID from stored events that
// start with its first event. One append is atomic and contiguous within a
// stream, so its events are the run of IDs that follow.
func (s *Service) applied(commandID uuid.UUID, stream string, evs []eventstore.Event) (Result, error) {
	res := Result{Stream: stream, Replayed: true}
	for i := range evs {
		if evs[i].ID != EventID(commandID, stream, i) {
			break
		}
		ev, err := s.codec.Decode(&evs[i])
		if err != nil {
			return Result{}, fmt.Errorf("ledger: %s version %d: %w", stream, evs[i].Version, err)
		}
		res.Events = append(res.Events, ev)
		res.EventIDs = append(res.EventIDs, evs[i].ID)
		res.LastVersion, res.Position = evs[i].Version, evs[i].Position
	}
	res.FirstVersion = evs[0].Version
	return res, nil
}

// appliedAt is applied for the events of stream from version first, read
// from the store: the first run of the command whose events the store
// acknowledged as a repeat at first.
func (s *Service) appliedAt(ctx context.Context, commandID uuid.UUID, stream string, first uint64) (Result, error) {
	evs, err := s.store.ReadStream(ctx, stream, first, 0)
	if err != nil {
		return Result{}, fmt.Errorf("ledger: read %s: %w", stream, err)
	}
	return s.appliedFrom(commandID, stream, first, evs, 0)
}

// appliedFrom is applied for evs[at:], the events of stream from version
// first+at, where the store acknowledged a repeat of the command's events.
func (s *Service) appliedFrom(commandID uuid.UUID, stream string, first uint64, evs []eventstore.Event, at uint64) (Result, error) {
	if at >= uint64(len(evs)) || evs[at].ID != EventID(commandID, stream, 0) {
		return Result{}, fmt.Errorf("ledger: %s: the store acknowledged a repeat at version %d, which holds another command's event", stream, first+at)
	}
	return s.applied(commandID, stream, evs[at:])
}

// remember caches state as the fold of agg's stream up to next-1, for a
// shared or recent aggregate; ids are the folded events' IDs, which a
// recent one keeps (a fold without them is not cached).
func remember[S any](s *Service, agg Aggregate[S], next uint64, state S, ids []uuid.UUID) {
	switch {
	case next == 0:
	case agg.shared:
		s.states.put(agg.Stream, next, state)
	case agg.recent && uint64(len(ids)) == next:
		s.recent.put(agg.Stream, next, recentState[S]{state: state, ids: slices.Clip(ids)})
	}
}

// recentState is a recent aggregate's cached fold and its events' IDs.
type recentState[S any] struct {
	state S
	ids   []uuid.UUID
}

// recentFold returns the cached fold of recent aggregate agg's stream and
// the version after it.
func recentFold[S any](s *Service, agg Aggregate[S]) (recentState[S], uint64, bool) {
	if v, next, ok := s.recent.get(agg.Stream); ok {
		if f, ok := v.(recentState[S]); ok {
			return f, next, true
		}
	}
	return recentState[S]{}, 0, false
}

// cachedState returns the cached fold of agg's stream and the version
// after it, or the initial state and 0.
func cachedState[S any](s *Service, agg Aggregate[S]) (S, uint64) {
	if v, next, ok := s.states.get(agg.Stream); ok {
		if st, ok := v.(S); ok {
			return st, next
		}
	}
	return agg.Initial, 0
}

// loadShared folds agg's stream for a read that decides nothing by
// itself: from the cached fold, reading only the events after it. A
// decision on the result must still be appended with the returned state's
// version as the expected one. With agg.Apply, combined commands change
// the cached fold in place under the stream's lock, so it is copied under
// that lock and the copy is not cached.
func loadShared[S any](ctx context.Context, s *Service, agg Aggregate[S]) (S, error) {
	inPlace := agg.Apply != nil && agg.Clone != nil
	var (
		state S
		next  uint64
	)
	if inPlace {
		unlock, err := s.locks.lock(ctx, agg.Stream)
		if err != nil {
			return agg.Initial, fmt.Errorf("ledger: read %s: %w", agg.Stream, err)
		}
		state, next = cachedState(s, agg)
		state = agg.Clone(state)
		unlock()
	} else {
		state, next = cachedState(s, agg)
	}
	evs, err := s.store.ReadStream(ctx, agg.Stream, next, 0)
	if err != nil {
		return state, fmt.Errorf("ledger: read %s: %w", agg.Stream, err)
	}
	if len(evs) == 0 {
		return state, nil
	}
	decoded := make([]domain.Event, len(evs))
	for i := range evs {
		if decoded[i], err = s.codec.Decode(&evs[i]); err != nil {
			return state, fmt.Errorf("ledger: %s version %d: %w", agg.Stream, evs[i].Version, err)
		}
	}
	state = agg.fold(state, decoded)
	if !inPlace {
		s.states.put(agg.Stream, evs[len(evs)-1].Version+1, state)
	}
	return state, nil
}

func (agg Aggregate[S]) fold(state S, events []domain.Event) S {
	if agg.Fold != nil {
		return agg.Fold(state, events...)
	}
	for _, ev := range events {
		state = agg.Evolve(state, ev)
	}
	return state
}
