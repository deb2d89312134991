package ledger

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"slices"

	"github.com/google/uuid"

	"github.com/haixi-hrss/fundledger/domain"
	"github.com/haixi-hrss/fundledger/eventstore"
)

// errKeyTaken ends a run whose claim on an idempotency key lost the race
// to another command; the caller reads the winner's claim and follows it.
var errKeyTaken = errors.New("ledger: idempotency key claimed concurrently")

// errWithTaken ends a run whose appends to other streams (Command.with)
// or whose own events found a stream taken: nothing was written.
var errWithTaken = errors.New("ledger: a stream to create with the command's events exists")

// IdempotencyStream returns the stream that records idempotency key key:
// "idem-" and the hex SHA-256 of the key, so the key's text (chosen by a
// client) never becomes a stream name.
func IdempotencyStream(key string) string {
	sum := sha256.Sum256([]byte(key))
	return "idem-" + hex.EncodeToString(sum[:])
}

// handleIdempotent runs a command that carries an idempotency key. The key
// lives in the log, not in memory, so it survives restarts. The key's
// stream holds one record, IdempotencyKeyClaimed, appended with expected
// version NoStream in the same commit as the command's own events on a
// store that is an eventstore.MultiAppender, else just before them (and,
// for a command with a step in other streams, on its own before the
// step; see run); the result is
// not recorded beside it, because the claim's command ID already
// determines it: the command's events carry IDs derived from that ID
// (EventID), so they are found in the aggregate stream.
//
//  1. The command is decided first (a rejected command appends nothing
//     at all) and, with the aggregate append, the key is claimed.
//     A fresh key thus costs no read of its stream: the claim's append
//     is the check.
//  2. A claim that fails because the key is taken (a repeat, or a
//     concurrent duplicate) reads the key's claim and follows it: a
//     different fingerprint is an *IdempotencyMismatchError; the same
//     one is finished under the claim's command ID, whose events are
//     found in the aggregate stream if they were appended (the answer is
//     then the first result, Replayed), otherwise decided and appended
//     once (the exact expected version lets only one of several
//     finishers append: a crash between the claim and the events, where
//     they are two appends).
//  3. A rejection, or a decision with no events, reads the key before it
//     is returned: a duplicate that claimed it and appended before our
//     load would be why we decided so, and is followed as in step 2.
//     Otherwise nothing is recorded, and a later retry is decided afresh.
//  4. A command whose ID was applied before without this key (Replayed
//     by its event IDs) binds the key to it, unless it is bound already.
//     On a shared stream, decided on the cached fold where the first
//     run's events are not recognised, such a repeat decides nothing;
//     its stream is then searched for the command's events.
//
// then, when not nil, is the command's step in other streams (see step):
// it records the key's claim in its own commit (or runs after the key is
// claimed, on a store without multi-stream appends), or runs under the
// claim's command when the key is followed, and never for a mismatch or
// a replay.
//
// A key completed by an earlier version of the ledger (a second record,
// IdempotencyKeyCompleted, naming the result) is still honoured: its
// result is read back from the versions it names.
func handleIdempotent[S any](ctx context.Context, s *Service, agg Aggregate[S], cmd *Command, decide func(S) ([]domain.Event, error), from *known[S], then step) (Result, error) {
	fp, err := cmd.fingerprint(agg.Stream)
	if err != nil {
		return Result{}, err
	}
	stream := IdempotencyStream(cmd.IdempotencyKey)
	var (
		claim *IdempotencyKeyClaimed
		done  *IdempotencyKeyCompleted
		// read says claim and done hold what the key's stream was found
		// to hold; the first round reads nothing (step 1).
		read bool
	)
	// Two rounds suffice unless the key's stream is damaged: a first run
	// that meets a claim reads it, in the run's round or the next one,
	// and the next one follows it.
	for round := 0; round < 2; round++ {
		if round > 0 && !read {
			if claim, done, err = s.readKey(ctx, stream); err != nil {
				return Result{}, err
			}
		}
		read = false
		if claim != nil {
			if claim.Fingerprint != fp {
				return Result{}, &IdempotencyMismatchError{Key: cmd.IdempotencyKey, Stream: claim.Stream}
			}
			if done != nil {
				return s.replayKey(ctx, done)
			}
			first := *cmd
			first.ID = claim.CommandID
			return follow(ctx, s, agg, &first, decide, then)
		}
		kc, err := newKeyClaim(stream, cmd, agg.Stream, fp)
		if err != nil {
			return Result{}, err
		}
		res, err := run(ctx, s, agg, cmd, decide, kc, then, from)
		from = nil // what it knew is read by now, or stale
		if agg.shared && err == nil && len(res.EventIDs) == 0 && !res.Replayed {
			// Step 4 on a shared stream: an empty decision may be a
			// repeat of a command applied without the key.
			found, ok, ferr := s.appliedIn(ctx, agg.Stream, cmd.ID)
			if ferr != nil {
				return Result{}, ferr
			}
			if ok {
				res = found
			}
		}
		switch {
		case errors.Is(err, errKeyTaken):
			continue
		case err == nil && res.Replayed:
			// Step 4. The key may be bound already (to this command:
			// a retry; or to another: a mismatch), so read it first.
			if claim, done, err = s.readKey(ctx, stream); err != nil {
				return Result{}, err
			}
			if claim != nil {
				read = true
				continue
			}
			if err := s.appendClaim(ctx, kc); errors.Is(err, errKeyTaken) {
				continue
			} else if err != nil {
				return Result{}, err
			}
			return res, nil
		case err != nil || len(res.EventIDs) == 0:
			// Step 3. A run that claimed the key decided on a state
			// no duplicate had touched.
			if !kc.tried {
				again, againDone, rerr := s.readKey(ctx, stream)
				if rerr == nil && again != nil {
					claim, done, read = again, againDone, true
					continue
				}
			}
			return res, err
		}
		return res, nil
	}
	return Result{}, fmt.Errorf("ledger: idempotency stream %s: claim lost but not readable", stream)
}

// follow finishes the command cmd.ID whose key was claimed: the result of
// its events if they are in the stream, else the result of running it now
// (with its step then). A shared aggregate's run starts from the cached
// fold and would not see events before it, so its stream is searched
// from the start first.
func follow[S any](ctx context.Context, s *Service, agg Aggregate[S], cmd *Command, decide func(S) ([]domain.Event, error), then step) (Result, error) {
	if agg.shared {
		res, ok, err := s.appliedIn(ctx, agg.Stream, cmd.ID)
		if err != nil || ok {
			return res, err
		}
	}
	return run(ctx, s, agg, cmd, decide, nil, then, nil)
}

// appliedIn searches stream from its start for the events of command
// commandID and returns their result, Replayed, if it finds them.
func (s *Service) appliedIn(ctx context.Context, stream string, commandID uuid.UUID) (Result, bool, error) {
	evs, err := s.store.ReadStream(ctx, stream, 0, 0)
	if err != nil {
		return Result{}, false, fmt.Errorf("ledger: read %s: %w", stream, err)
	}
	firstID := EventID(commandID, stream, 0)
	for i := range evs {
		if evs[i].ID == firstID {
			res, err := s.applied(commandID, stream, evs[i:])
			return res, err == nil, err
		}
	}
	return Result{}, false, nil
}

// repeated reports whether env repeats a command the log already holds,
// in which case Handle alone must answer it and a multi-stream command
// takes none of its own cross-stream steps (a reservation decided on
// today's state would not be the first run's): the first event of env's
// command (or of the command env's idempotency key is bound to, for env's
// fingerprint) is among loaded, the events of stream the caller read, or
// the key was completed by an earlier version of the ledger. A key bound
// to another input is an *IdempotencyMismatchError. env needs its Name and
// Payload set, as Handle fingerprints them.
//
// It reads the key, so a process asks it only when it cannot claim the
// key first (handle's step): SubmitClaim, whose uniqueness keys may
// refuse the submission for its input, and a key claimed before them
// would stay bound to that input, while a refused request must leave its
// key free for corrected input. ApproveClaim's step, the reservation, is
// refused by the line's state alone, so it claims the key instead.
//
// Callers read loaded first and ask repeated second. A key still
// unclaimed now was unclaimed when loaded was read, and a command claims
// its key before it appends, so a decision on loaded is the decision the
// first run made (same review round, same operation IDs), and a race with
// that run repeats its steps harmlessly.
//
// A key claimed whose command's events are not in loaded (the first run
// still going, or crashed between claiming the key and appending) returns
// false with env.ID set to the claim's command ID, so the caller's steps
// derive the first run's IDs.
func (s *Service) repeated(ctx context.Context, stream string, env *Command, loaded []eventstore.Event) (bool, error) {
	if env.IdempotencyKey != "" {
		fp, err := env.fingerprint(stream)
		if err != nil {
			return false, err
		}
		claim, done, err := s.readKey(ctx, IdempotencyStream(env.IdempotencyKey))
		switch {
		case err != nil:
			return false, err
		case claim == nil:
		case claim.Fingerprint != fp:
			return false, &IdempotencyMismatchError{Key: env.IdempotencyKey, Stream: claim.Stream}
		case done != nil:
			return true, nil
		default:
			env.ID = claim.CommandID
		}
	}
	first := EventID(env.ID, stream, 0)
	for i := range loaded {
		if loaded[i].ID == first {
			return true, nil
		}
	}
	return false, nil
}

// readKey returns the claim recorded in an idempotency stream and the
// completion an earlier version of the ledger recorded after it; either is
// nil when absent.
func (s *Service) readKey(ctx context.Context, stream string) (*IdempotencyKeyClaimed, *IdempotencyKeyCompleted, error) {
	evs, err := s.store.ReadStream(ctx, stream, 0, 2)
	if err != nil {
		return nil, nil, fmt.Errorf("ledger: read %s: %w", stream, err)
	}
	if len(evs) == 0 {
		return nil, nil, nil
	}
	claim, err := decodeRecord[IdempotencyKeyClaimed](&evs[0])
	if err != nil {
		return nil, nil, err
	}
	if len(evs) == 1 {
		return &claim, nil, nil
	}
	done, err := decodeRecord[IdempotencyKeyCompleted](&evs[1])
	if err != nil {
		return nil, nil, err
	}
	return &claim, &done, nil
}

// keyClaim is an idempotency key's claim, to be recorded in the key's
// stream with expected version NoStream, so exactly one of any number of
// concurrent duplicates gets the key. The claim's event ID derives from
// the command ID and the fingerprint: the store acknowledges an append of
// an event it already holds as a retry, so a claim by the same command ID
// for other input (the API derives command IDs from keys) must differ from
// the first claim to be refused.
type keyClaim struct {
	stream string
	event  eventstore.EventData
	// tried says the claim may be recorded: its own append was made,
	// whatever its outcome, or a commit holding it succeeded. A commit
	// refused as a whole leaves it unset.
	tried bool
}

func newKeyClaim(stream string, cmd *Command, aggStream, fp string) (*keyClaim, error) {
	ev, err := record(EventID(cmd.ID, stream+"\x00"+fp, 0),
		IdempotencyKeyClaimed{CommandID: cmd.ID, Stream: aggStream, Fingerprint: fp}, cmd.metadata())
	if err != nil {
		return nil, err
	}
	return &keyClaim{stream: stream, event: ev}, nil
}

// part is the claim as one part of an eventstore.MultiAppender's append.
func (c *keyClaim) part() eventstore.StreamAppend {
	return eventstore.StreamAppend{Stream: c.stream, Expected: eventstore.NoStream, Events: []eventstore.EventData{c.event}}
}

// appendClaim records the claim on its own; errKeyTaken if the key is
// taken.
func (s *Service) appendClaim(ctx context.Context, c *keyClaim) error {
	c.tried = true
	_, err := s.store.Append(ctx, c.stream, eventstore.NoStream, c.event)
	switch {
	case isConcurrency(err):
		return errKeyTaken
	case err != nil:
		return fmt.Errorf("ledger: claim idempotency key in %s: %w", c.stream, err)
	}
	return nil
}

// appendClaimed appends data to stream and, when claim is not nil, records
// the claim: in the same commit when the store is an
// eventstore.MultiAppender (a key is then never claimed by a command whose
// events were refused, and the command costs one commit, not two), else
// just before the events; claim.tried then says whether it may be
// recorded. with (see Command) go in the same commit too. errKeyTaken
// says the key is taken, errWithTaken that a stream of with or the
// events' stream is, and nothing was appended.
func (s *Service) appendClaimed(ctx context.Context, claim *keyClaim, with []eventstore.StreamAppend, stream string, expected eventstore.ExpectedVersion, data []eventstore.EventData) (eventstore.AppendResult, error) {
	switch {
	case claim == nil && len(with) == 0:
		return s.store.Append(ctx, stream, expected, data...)
	case s.multi == nil && len(with) > 0:
		return eventstore.AppendResult{}, errors.New("ledger: appends to other streams need a store that appends to several at once")
	case s.multi == nil:
		if err := s.appendClaim(ctx, claim); err != nil {
			return eventstore.AppendResult{}, err
		}
		return s.store.Append(ctx, stream, expected, data...)
	}
	parts := slices.Clip(with)
	if claim != nil {
		parts = append(parts, claim.part())
	}
	parts = append(parts, eventstore.StreamAppend{Stream: stream, Expected: expected, Events: data})
	results, err := s.multi.AppendMulti(ctx, parts...)
	var ce *eventstore.ConcurrencyError
	switch {
	case len(with) > 0 && errors.As(err, &ce):
		return eventstore.AppendResult{}, errWithTaken
	case claim != nil && errors.As(err, &ce) && ce.Stream == claim.stream:
		return eventstore.AppendResult{}, errKeyTaken
	case err != nil:
		// Nothing was written, the claim included: it is not tried, so
		// a refusal decided next is checked against the key (a
		// duplicate may claim it meanwhile).
		return eventstore.AppendResult{}, err
	}
	if claim != nil {
		claim.tried = true
	}
	return results[len(results)-1], nil
}

// replayKey returns the result an IdempotencyKeyCompleted record (written
// by earlier versions of the ledger) names, reading its events back from
// the aggregate stream.
func (s *Service) replayKey(ctx context.Context, done *IdempotencyKeyCompleted) (Result, error) {
	res := Result{Stream: done.Stream, Replayed: true}
	if len(done.EventIDs) == 0 {
		return res, nil
	}
	evs, err := s.store.ReadStream(ctx, done.Stream, done.FirstVersion, len(done.EventIDs))
	if err != nil {
		return Result{}, fmt.Errorf("ledger: read %s: %w", done.Stream, err)
	}
	if len(evs) != len(done.EventIDs) {
		return Result{}, fmt.Errorf("ledger: %s: idempotency record names %d events from version %d, found %d",
			done.Stream, len(done.EventIDs), done.FirstVersion, len(evs))
	}
	for i := range evs {
		if evs[i].ID != done.EventIDs[i] {
			return Result{}, fmt.Errorf("ledger: %s version %d: event %s is not the recorded %s",
				done.Stream, evs[i].Version, evs[i].ID, done.EventIDs[i])
		}
		ev, err := s.codec.Decode(&evs[i])
		if err != nil {
			return Result{}, fmt.Errorf("ledger: %s version %d: %w", done.Stream, evs[i].Version, err)
		}
		res.Events = append(res.Events, ev)
	}
	res.FirstVersion, res.LastVersion, res.Position = done.FirstVersion, done.LastVersion, done.Position
	res.EventIDs = done.EventIDs
	return res, nil
}
