package ledger

import (
	"context"
	"errors"
	"fmt"

	"github.com/google/uuid"

	"github.com/haixi-hrss/fundledger/domain"
	"github.com/haixi-hrss/fundledger/domain/budget"
	"github.com/haixi-hrss/fundledger/domain/claim"
)

// BudgetLineAggregate describes budget line id's stream to Handle. Every
// writer of a line goes through it, so that the writers of one process
// queue on the line's lock and share its cached state instead of racing
// each other to the store.
func BudgetLineAggregate(id string) Aggregate[budget.State] {
	return Aggregate[budget.State]{Stream: budget.Stream(id), Evolve: budget.Evolve, Fold: budget.FoldFrom,
		Apply: (*budget.State).Apply, Clone: budget.State.Clone, shared: true}
}

// ApproveClaim records an approver's approval of claim id and, when it is
// the approval the claim needs, reserves the approved amount on the
// claim's budget line (design invariant 7). The service's codec must know
// the claim and budget event types.
//
//  1. The approval is decided on the claim as this process last saw it
//     (the fold of a claim it recently wrote, as HandleNext decides; the
//     stream as read otherwise). A refusal (maker-checker, wrong status,
//     role) is only given on the stream as read, and reserves nothing.
//  2. A command applied before, by env.ID (its events are in the claim)
//     or by its idempotency key (whatever state the claim has reached
//     since), returns the first result and reserves nothing; a key
//     first used for another command is an *IdempotencyMismatchError
//     and reserves nothing. A fresh key is not read: it is claimed no
//     later than the reservation (in the reservation's commit on a store
//     that is an eventstore.MultiAppender, just before it otherwise), and
//     a claim that finds it taken reserves nothing, reads the key and
//     follows it (see Handle). Without this a retry arriving after an
//     objection sent the claim back to review would reserve for the new
//     round.
//  3. If the decision approves the claim, its amount is reserved on the
//     budget line under the claim-scoped reservation ID (claim.State's
//     ReservationID) through Handle; the reservation's causation ID is
//     the command's ID, which recovery uses to complete the approval. A
//     line that cannot cover the amount ends the call with the budget's
//     rule error and the claim unchanged; on a MultiAppender nothing is
//     written, the key's claim included, and on another store the key
//     stays claimed by the command (a retry with the same input is
//     decided afresh either way). A reservation found made already (the
//     budget's operation ID) leaves the key to be claimed with the
//     approval.
//  4. The approval is appended to the claim with the exact expected
//     version of the state it was decided on: on a MultiAppender in the
//     reservation's commit (the line's combined append carries it), so
//     the key's claim, the reservation and the approval are recorded
//     together or not at all, and a claim that moved since the decision
//     refuses the whole commit, which reserved nothing; the approval is
//     then decided again on the claim as read, from step 1. On another
//     store it is appended after the reservation; when that is refused
//     (another writer got there first), the approval is decided again on
//     the claim as read, and appended only if it is still the approval
//     the reservation was made for; if it is another (a later review
//     round, or a second approval that now completes the claim), the
//     call starts again from step 1 on the claim as read.
//
// When the reservation was made but this call's approval was not
// appended (on a store without multi-stream appends: refused after
// another decision reached the claim first, decided on a claim that had
// moved on; on any store: found already applied), the line is made to
// agree with the claim (ReconcileClaim): a rejected claim gets its
// reservation released, a claim approved by someone else keeps the same
// reservation. A crash or other failure after step 3 on such a store
// leaves a reservation that a retry of the same command (same env.ID or
// idempotency key) or ReconcileClaim completes.
func ApproveClaim(ctx context.Context, s *Service, id string, cmd claim.Approve, env Command) (Result, error) {
	if err := env.validate(); err != nil {
		return Result{}, err
	}
	env.named("ApproveClaim", cmd)
	for attempt := 1; ; attempt++ {
		res, err := approveOnce(ctx, s, id, cmd, env)
		if !errors.Is(err, errApprovalMoved) {
			return res, err
		}
		if attempt >= s.maxAttempts {
			return Result{}, &ConflictError{Stream: claim.Stream(id), Attempts: attempt, Last: err}
		}
	}
}

// errApprovalMoved ends an approval whose decision, made again on the
// claim as read after its append was refused, is not the approval its
// reservation was made for.
var errApprovalMoved = errors.New("ledger: the claim moved on since the approval was decided")

// approveOnce is one run of ApproveClaim's steps.
func approveOnce(ctx context.Context, s *Service, id string, cmd claim.Approve, env Command) (Result, error) {
	var (
		stepped  bool            // the reservation step ran
		reserved *claim.Approved // what it reserved for, if anything
		moved    bool            // and money moved (or was found moved)
	)
	decide := func(st claim.State) ([]domain.Event, error) {
		evs, err := claim.Decide(st, cmd)
		if err == nil && stepped && !sameApproval(approvalIn(evs), reserved) {
			return nil, errApprovalMoved
		}
		return evs, err
	}
	reserve := func(c *Command, decided []domain.Event, claim *keyClaim, own *ownPart) error {
		stepped, reserved = true, approvalIn(decided)
		if reserved == nil {
			return nil
		}
		if err := s.reserveApproved(ctx, id, reserved, *c, claim, own); err != nil {
			if errors.Is(err, errKeyTaken) || errors.Is(err, errPartMoved) {
				// Nothing was reserved: the key's owner is followed as
				// if its claim had been found before the step, or the
				// claim is read and decided again.
				stepped, reserved = false, nil
			}
			return fmt.Errorf("ledger: approve claim %s: %w", id, err)
		}
		moved = true
		return nil
	}
	res, err := handle(ctx, s, ClaimAggregate(id), env, decide, nil, reserve)
	refused := errors.Is(err, errApprovalMoved) || errors.Is(err, domain.ErrRejected) || errors.Is(err, domain.ErrInvalid)
	if moved && (refused || (err == nil && res.Replayed)) {
		// Compensate with a context of its own: a cancelled ctx must not
		// leave money held for a claim another decision closed.
		if _, rerr := ReconcileClaim(context.WithoutCancel(ctx), s, id); rerr != nil {
			err = errors.Join(err, rerr)
		}
	}
	return res, err
}

// sameApproval reports whether a and b approve the same claim round for
// the same money (both nil: neither approves).
func sameApproval(a, b *claim.Approved) bool {
	if a == nil || b == nil {
		return a == b
	}
	return a.ReservationID == b.ReservationID && a.BudgetLineID == b.BudgetLineID && a.Amount.Equal(b.Amount)
}

// approvalIn returns the Approved event among evs, if any.
func approvalIn(evs []domain.Event) *claim.Approved {
	for _, ev := range evs {
		if a, ok := ev.(*claim.Approved); ok {
			return a
		}
	}
	return nil
}

// reserveApproved reserves an approval's amount on its budget line, and
// records claim (the approval's key claim) and own (the approval itself)
// in the same commit when they are not nil. The command ID derives from
// cause, so a retry appends nothing new; the budget's operation ID makes a
// repeat decide nothing anyway, and then claim and own are left to the
// approval's own append.
func (s *Service) reserveApproved(ctx context.Context, claimID string, a *claim.Approved, cause Command, claim *keyClaim, own *ownPart) error {
	cmd := budget.Reserve{
		ReservationID: a.ReservationID, ClaimID: claimID, Amount: a.Amount,
		Actor: a.Actor, Role: a.Role, At: a.At,
	}
	env := Command{
		ID:   uuid.NewSHA1(cause.ID, []byte("reserve/"+a.ReservationID)),
		Name: "ReserveForApproval", Actor: a.Actor, Role: a.Role,
		CorrelationID: cause.CorrelationID, CausationID: cause.ID.String(),
		EffectiveDate: cause.EffectiveDate, PolicyVersion: cause.PolicyVersion,
		Payload: cmd, keyOf: claim, partOf: own,
	}
	_, err := Handle(ctx, s, BudgetLineAggregate(a.BudgetLineID), env, func(st budget.State) ([]domain.Event, error) {
		return budget.Decide(st, cmd)
	})
	return err
}
