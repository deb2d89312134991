package ledger

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/google/uuid"
	"github.com/haixi-hrss/fundledger/domain"
	"github.com/haixi-hrss/fundledger/domain/claim"
	"github.com/haixi-hrss/fundledger/domain/uniqueness"
	"github.com/haixi-hrss/fundledger/eventstore"
)

// ClaimAggregate describes claim id's stream to Handle. A claim is written
// a few times in quick succession (submission, check, review, payment),
// so the service keeps the fold it last saw of recently written claims
// and decides on it, the store checking by expected version that nothing
// followed.
func ClaimAggregate(id string) Aggregate[claim.State] {
	return Aggregate[claim.State]{Stream: claim.Stream(id), Evolve: claim.Evolve, recent: true}
}

// SubmitClaim submits a claim with its cross-stream uniqueness (design
// invariant 6). The service's codec must know the claim's event types.
//
//  1. The command is decided against an empty claim first, so malformed
//     input reserves nothing.
//  2. A claim stream that already exists had its keys reserved before it
//     was written, and a command whose idempotency key was completed
//     before was applied: both go straight to Handle, which replays the
//     first result (or refuses a second submission). A key first used for
//     another command is an *IdempotencyMismatchError. Neither reserves
//     anything.
//  3. Each of cmd.UniquenessKeys is reserved for owner claim-<id>, in the
//     order of their stream names: claims competing for overlapping key
//     sets meet on the same first key, so one of them wins all its keys
//     instead of each holding some.
//  4. A key held by another claim ends the call with an error matching
//     ErrDuplicate (errors.As gives the *DuplicateError naming the owner),
//     after the keys reserved in this call are released again.
//  5. ClaimSubmitted is appended to claim-<id> through Handle.
//
// On a store that is an eventstore.MultiAppender, steps 3 and 5 are one
// commit when every key is fresh (submitTogether): the keys' first
// reservations, the idempotency key's claim and ClaimSubmitted land
// together or not at all; a key or claim stream found written takes the
// steps above one by one. A command with an idempotency key and
// uniqueness keys and no registration to run first (SubmitPersonClaim's)
// tries that commit before step 2, with no read: its expected versions
// ("no stream" for the claim, its idempotency key and every uniqueness
// key) are step 2's checks, and a refusal writes nothing. On the steps one by one, a crash after step 3
// leaves the keys held by the claim's own owner name, so a retry of the
// command (same command ID or idempotency key) reserves them again
// harmlessly and completes.
//
// When Handle fails after the keys were reserved, they stay reserved for
// the claim: another run of the same claim ID may be the one appending,
// and releasing under it would let a second claim take the key. When
// Handle instead replays a first run that overtook this one, the keys
// are released again if that claim no longer needs them
// (ReleaseClaimKeys).
func SubmitClaim(ctx context.Context, s *Service, cmd claim.Submit, env Command) (Result, error) {
	return submitClaim(ctx, s, cmd, env, nil)
}

// submitClaim is SubmitClaim; prepare, when not nil, runs once the
// command is known to be new (step 2), before any key is reserved.
func submitClaim(ctx context.Context, s *Service, cmd claim.Submit, env Command, prepare func() error) (Result, error) {
	if err := env.validate(); err != nil {
		return Result{}, err
	}
	if _, err := claim.Decide(claim.State{}, cmd); err != nil {
		return Result{}, fmt.Errorf("ledger: submit claim %s: %w", cmd.ClaimID, err)
	}
	env.named("SubmitClaim", cmd)
	agg := ClaimAggregate(cmd.ClaimID)
	decide := func(st claim.State) ([]domain.Event, error) { return claim.Decide(st, cmd) }
	multi := s.multi != nil
	tried := uuid.Nil // the command ID the one-commit try below ran under
	if multi && prepare == nil && env.IdempotencyKey != "" && len(cmd.UniquenessKeys) > 0 {
		// Most submissions are new: try the one commit before reading
		// anything. A claim stream, idempotency key or uniqueness key
		// written already refuses the whole commit, which then wrote
		// nothing, and the steps below find out why. Only with an
		// idempotency key: the store accepts a claim part whose events
		// are a committed run's (same command ID) as a retry, and
		// without the key's part, which then refuses, a retry carrying
		// other uniqueness keys would reserve them beside the replayed
		// claim. Only with uniqueness keys: without them a taken claim
		// ID is a conflict that costs an attempt and a backoff, where
		// the read below goes straight to the refusal.
		res, err := submitTogether(ctx, s, agg, env, decide, cmd.UniquenessKeys)
		if !errors.Is(err, errWithTaken) {
			return submitted(ctx, s, cmd.ClaimID, res, err)
		}
		tried = env.ID
	}
	exists, err := s.streamExists(ctx, agg.Stream)
	if err != nil {
		return Result{}, err
	}
	if exists {
		return Handle(ctx, s, agg, env, decide)
	}
	again, err := s.repeated(ctx, agg.Stream, &env, nil)
	if err != nil {
		return Result{}, fmt.Errorf("ledger: submit claim %s: %w", cmd.ClaimID, err)
	}
	if again {
		return Handle(ctx, s, agg, env, decide)
	}
	if prepare != nil {
		if err := prepare(); err != nil {
			return Result{}, err
		}
	}
	// The stream was empty when checked above: the append's expected
	// version (NoStream) checks that it still is. On a store that appends
	// to several streams at once, fresh keys are reserved in the same
	// commit as the claim; any key already written (held, released, or
	// ours from an earlier attempt) or a claim that appeared meanwhile
	// writes nothing and takes the path that reserves key by key. After
	// the try above, under the same command ID, it would only meet the
	// stream that refused that try (streams never go away); under the
	// first run's ID (a key claimed by a run that did not finish) its
	// parts may be that run's, and it is worth one commit again.
	together := multi && len(cmd.UniquenessKeys) > 0 && env.ID != tried
	res, err := Result{}, errWithTaken
	if together {
		res, err = submitTogether(ctx, s, agg, env, decide, cmd.UniquenessKeys)
	}
	if errors.Is(err, errWithTaken) {
		// A submission that took the claim ID meanwhile makes this one
		// a repeat or a refusal, neither of which reserves keys (they
		// would be held in the other claim's name).
		if together {
			if exists, err := s.streamExists(ctx, agg.Stream); err != nil || exists {
				if err != nil {
					return Result{}, err
				}
				return Handle(ctx, s, agg, env, decide)
			}
		}
		if err := s.reserveAll(ctx, cmd.UniquenessKeys, agg.Stream, env.cause()); err != nil {
			return Result{}, fmt.Errorf("ledger: submit claim %s: %w", cmd.ClaimID, err)
		}
		res, err = handle(ctx, s, agg, env, decide, &known[claim.State]{}, nil)
	}
	return submitted(ctx, s, cmd.ClaimID, res, err)
}

// submitted ends a submission that reserved keys: when it replays a first
// run that appended after this one's checks, that claim may have been
// rejected and its keys released before this run reserved them again.
func submitted(ctx context.Context, s *Service, claimID string, res Result, err error) (Result, error) {
	if err == nil && res.Replayed {
		if _, rerr := ReleaseClaimKeys(context.WithoutCancel(ctx), s, claimID); rerr != nil {
			return res, rerr
		}
	}
	return res, err
}

// submitTogether submits the claim with a fresh reservation of each of
// keys in the same commit, on a store that is an eventstore.MultiAppender
// (claim.Decide refuses a key named twice); when a key's stream, or the
// claim's, exists it returns errWithTaken having written nothing.
func submitTogether(ctx context.Context, s *Service, agg Aggregate[claim.State], env Command, decide func(claim.State) ([]domain.Event, error), keys []uniqueness.Key) (Result, error) {
	for _, key := range keys {
		fresh, err := freshReservation(key, agg.Stream, env.cause())
		if err != nil {
			return Result{}, err
		}
		env.with = append(env.with, fresh)
	}
	return handle(ctx, s, agg, env, decide, &known[claim.State]{}, nil)
}

// reserveAll reserves keys for owner in stream-name order, recording
// cause; on the first failure it releases what it reserved and returns
// that failure.
func (s *Service) reserveAll(ctx context.Context, keys []uniqueness.Key, owner string, cause eventstore.Metadata) error {
	ordered := slices.SortedFunc(slices.Values(keys), func(a, b uniqueness.Key) int {
		return strings.Compare(a.Stream(), b.Stream())
	})
	for i, key := range ordered {
		err := s.reserve(ctx, key, owner, cause)
		if err == nil {
			continue
		}
		// Undo with a context of its own: a cancelled ctx must not leave
		// half the claim's keys held by a claim that does not exist.
		undo := context.WithoutCancel(ctx)
		for _, held := range ordered[:i] {
			if rerr := s.release(undo, held, owner, "claim not submitted: "+err.Error(), cause); rerr != nil {
				err = errors.Join(err, fmt.Errorf("ledger: undo reservation of %s: %w", held.Stream(), rerr))
			}
		}
		return err
	}
	return nil
}

// RejectClaim records an approver's rejection of claim id, then releases
// any money it holds on its budget line (see ReconcileClaim) and its
// uniqueness keys (see ReleaseClaimKeys). A retry of the same
// command replays the rejection and completes a release a crash
// interrupted.
func RejectClaim(ctx context.Context, s *Service, id string, cmd claim.Reject, env Command) (Result, error) {
	return closeClaim(ctx, s, id, cmd, env, "RejectClaim")
}

// CancelClaim records the cancellation of claim id, then releases the money
// it holds on its budget line and, when ReleaseClaimKeys's rules allow
// (nothing was paid), its uniqueness keys.
func CancelClaim(ctx context.Context, s *Service, id string, cmd claim.Cancel, env Command) (Result, error) {
	return closeClaim(ctx, s, id, cmd, env, "CancelClaim")
}

func closeClaim(ctx context.Context, s *Service, id string, cmd claim.Command, env Command, name string) (Result, error) {
	env.named(name, cmd)
	res, err := Handle(ctx, s, ClaimAggregate(id), env, func(st claim.State) ([]domain.Event, error) { return claim.Decide(st, cmd) })
	if err != nil {
		return res, err
	}
	// The money first: a rejected or cancelled claim must hold nothing on
	// its budget line. Both steps are idempotent, so a retry after a crash
	// between them completes the rest.
	stream := claim.Stream(id)
	if err := s.finish(ctx, stream, "budget step", func() error { _, err := ReconcileClaim(ctx, s, id); return err }); err != nil {
		return res, err
	}
	err = s.finish(ctx, stream, "release of uniqueness keys", func() error { _, err := ReleaseClaimKeys(ctx, s, id); return err })
	return res, err
}

// KeysReleasable reports whether a claim in state st no longer needs its
// uniqueness keys, and why. The rules:
//
//   - rejected (by an approver, or ineligible at the check): nothing was
//     approved or paid, so the person or employer is free for another
//     claim — a rejected expansion claim frees the person;
//   - cancelled with nothing paid: the grant was never received;
//   - every other status keeps the keys: a submitted, checked, approved or
//     disclosed claim may still be paid, and a paid claim (or a cancelled
//     one with any instalment paid) has used its "once ever" for good,
//     even if money is later clawed back.
func KeysReleasable(st claim.State) (bool, string) {
	switch {
	case st.Status == claim.StatusRejected:
		return true, "claim rejected"
	case st.Status == claim.StatusCancelled && st.Paid.IsZero():
		return true, "claim cancelled before any payment"
	}
	return false, ""
}

// ReleaseClaimKeys releases claim id's uniqueness keys (those it was
// submitted with, and a key BackfillOneTimeKeys added) if KeysReleasable
// allows, and reports whether it did. It is idempotent, so it is also the
// recovery step for a crash between recording a rejection or cancellation
// and releasing the keys. A key it does not hold (taken over by another
// claim after an earlier release, or never reserved because the claim was
// written without SubmitClaim) is left alone. The releases record the
// claim's last event, the rejection or cancellation that freed the keys,
// as their cause, with its actor and role.
func ReleaseClaimKeys(ctx context.Context, s *Service, id string) (bool, error) {
	stream := claim.Stream(id)
	evs, st, err := s.readClaim(ctx, stream)
	if err != nil {
		return false, err
	}
	ok, reason := KeysReleasable(st)
	if !ok {
		return false, nil
	}
	cause := causedBy(&evs[len(evs)-1])
	for _, key := range claimKeys(st) {
		err := s.release(ctx, key, stream, reason, cause)
		if err != nil && !errors.Is(err, ErrNotOwner) {
			return false, fmt.Errorf("ledger: release keys of %s: %w", stream, err)
		}
	}
	return true, nil
}

// loadClaim folds a claim's stream into its state.
func (s *Service) loadClaim(ctx context.Context, stream string) (claim.State, error) {
	_, st, err := s.readClaim(ctx, stream)
	return st, err
}

// readClaim reads a claim's stream and folds it into its state.
func (s *Service) readClaim(ctx context.Context, stream string) ([]eventstore.Event, claim.State, error) {
	evs, err := s.store.ReadStream(ctx, stream, 0, 0)
	if err != nil {
		return nil, claim.State{}, fmt.Errorf("ledger: read %s: %w", stream, err)
	}
	var st claim.State
	for i := range evs {
		ev, err := s.codec.Decode(&evs[i])
		if err != nil {
			return nil, claim.State{}, fmt.Errorf("ledger: %s version %d: %w", stream, evs[i].Version, err)
		}
		st = claim.Evolve(st, ev)
	}
	return evs, st, nil
}

func (s *Service) streamExists(ctx context.Context, stream string) (bool, error) {
	evs, err := s.store.ReadStreamBackward(ctx, stream, 1)
	if err != nil {
		return false, fmt.Errorf("ledger: read %s: %w", stream, err)
	}
	return len(evs) > 0, nil
}
