package ledger

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"

	"github.com/haixi-hrss/fundledger/domain"
	"github.com/haixi-hrss/fundledger/eventstore"
)

// errKeyTaken ends a run whose claim on an idempotency key lost the race
// to another command; the caller reads the winner's claim and follows it.
var errKeyTaken = errors.New("ledger: idempotency key claimed concurrently")

// IdempotencyStream returns the stream that records idempotency key key:
// "idem-" and the hex SHA-256 of the key, so the key's text (chosen by a
// client) never becomes a stream name.
func IdempotencyStream(key string) string {
	sum := sha256.Sum256([]byte(key))
	return "idem-" + hex.EncodeToString(sum[:])
}

// handleIdempotent runs a command that carries an idempotency key. The key
// lives in the log, not in memory, so it survives restarts:
//
//  1. The key's stream is read. A completed record with the same
//     fingerprint returns the recorded result; a different fingerprint is
//     an *IdempotencyMismatchError.
//  2. An unclaimed key: the command is decided first, so a rejected
//     command appends nothing at all; then, just before the aggregate
//     append, the key is claimed by appending IdempotencyKeyClaimed with
//     expected version NoStream. Of concurrent duplicates exactly one
//     claim succeeds; the others read it and continue as in step 3.
//  3. A claimed but uncompleted key (a concurrent duplicate still running,
//     or a crash between the claim and the completion) is finished under
//     the claim's command ID: its deterministic event IDs are found in the
//     aggregate stream if they were appended, otherwise the command is
//     decided and appended once (the exact expected version lets only one
//     of several finishers append).
//  4. IdempotencyKeyCompleted is appended with the exact version after the
//     claim; a finisher that loses that race returns the same result.
//
// A key whose command was rejected, or decided no events, records nothing,
// so a later retry with it is decided afresh; a rejection is re-checked
// against the key first, since a concurrent duplicate's events may be what
// caused it.
func handleIdempotent[S any](ctx context.Context, s *Service, agg Aggregate[S], cmd *Command, decide func(S) ([]domain.Event, error)) (Result, error) {
	fp, err := Fingerprint(agg.Stream, cmd)
	if err != nil {
		return Result{}, err
	}
	stream := IdempotencyStream(cmd.IdempotencyKey)
	// Two rounds suffice unless the key's stream is damaged: a round that
	// finds the key unclaimed but then meets a claim leaves the next round
	// to follow that claim.
	for round := 0; round < 2; round++ {
		claim, done, err := s.readKey(ctx, stream)
		if err != nil {
			return Result{}, err
		}
		if claim == nil {
			claimed := false
			claimKey := func() error {
				claimed = true
				return s.claimKey(ctx, stream, cmd, agg.Stream, fp)
			}
			res, err := run(ctx, s, agg, cmd, decide, claimKey)
			if err == nil && !claimed && len(res.EventIDs) > 0 {
				// The command ID was applied before without this key
				// (res.Replayed); bind the key to it now.
				err = claimKey()
			}
			switch {
			case errors.Is(err, errKeyTaken):
				continue
			case err != nil || len(res.EventIDs) == 0:
				// A duplicate may have claimed the key after our read and
				// appended before our load: its events would then be why
				// we decided a rejection or nothing. It claimed before it
				// appended, so reading the key now finds it; follow it.
				if !claimed {
					if again, _, rerr := s.readKey(ctx, stream); rerr == nil && again != nil {
						continue
					}
				}
				return res, err
			}
			return s.completeKey(ctx, stream, cmd, res)
		}
		if claim.Fingerprint != fp {
			return Result{}, &IdempotencyMismatchError{Key: cmd.IdempotencyKey, Stream: claim.Stream}
		}
		if done != nil {
			return s.replayKey(ctx, done)
		}
		first := *cmd
		first.ID = claim.CommandID
		res, err := run(ctx, s, agg, &first, decide, nil)
		if err != nil {
			return Result{}, err
		}
		return s.completeKey(ctx, stream, &first, res)
	}
	return Result{}, fmt.Errorf("ledger: idempotency stream %s: claim lost but not readable", stream)
}

// repeated reports whether env repeats a command the log already holds,
// in which case Handle alone must answer it and a multi-stream command
// takes none of its own cross-stream steps (a reservation decided on
// today's state would not be the first run's): env's idempotency key was
// completed for env's fingerprint on stream, or env's first event is among
// loaded, the events of stream the caller read. A key bound to another
// command is an *IdempotencyMismatchError. env needs its Name and Payload
// set, as Handle fingerprints them.
//
// Callers read loaded first and ask repeated second. A key still
// unclaimed now was unclaimed when loaded was read, and a command claims
// its key before it appends, so a decision on loaded is the decision the
// first run made (same review round, same operation IDs), and a race with
// that run repeats its steps harmlessly.
//
// A key claimed but not completed (the first run still going, or crashed
// between claiming the key and completing it) whose events are not in
// loaded returns false with env.ID set to the claim's command ID, so the
// caller's steps derive the first run's IDs.
func (s *Service) repeated(ctx context.Context, stream string, env *Command, loaded []eventstore.Event) (bool, error) {
	if env.IdempotencyKey != "" {
		fp, err := Fingerprint(stream, env)
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

// readKey returns the claim and completion recorded in an idempotency
// stream; either is nil when absent.
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

// claimKey appends the claim with expected version NoStream, so exactly one
// of any number of concurrent duplicates gets the key.
func (s *Service) claimKey(ctx context.Context, stream string, cmd *Command, aggStream, fp string) error {
	ev, err := record(EventID(cmd.ID, stream, 0),
		IdempotencyKeyClaimed{CommandID: cmd.ID, Stream: aggStream, Fingerprint: fp}, cmd.metadata())
	if err != nil {
		return err
	}
	_, err = s.store.Append(ctx, stream, eventstore.NoStream, ev)
	switch {
	case isConcurrency(err):
		return errKeyTaken
	case err != nil:
		return fmt.Errorf("ledger: claim idempotency key in %s: %w", stream, err)
	}
	return nil
}

// completeKey records res as the key's result. Losing the race to another
// finisher of the same command is fine: both finished the same append.
func (s *Service) completeKey(ctx context.Context, stream string, cmd *Command, res Result) (Result, error) {
	ev, err := record(EventID(cmd.ID, stream, 1), IdempotencyKeyCompleted{
		Stream: res.Stream, FirstVersion: res.FirstVersion, LastVersion: res.LastVersion,
		Position: res.Position, EventIDs: res.EventIDs,
	}, cmd.metadata())
	if err != nil {
		return Result{}, err
	}
	if _, err := s.store.Append(ctx, stream, eventstore.Exact(0), ev); err != nil && !isConcurrency(err) {
		return Result{}, fmt.Errorf("ledger: complete idempotency key in %s: %w", stream, err)
	}
	return res, nil
}

// replayKey returns the result a completion recorded, reading its events
// back from the aggregate stream.
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
