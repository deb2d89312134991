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
//  1. A command applied before (by env.ID, or by its idempotency key,
//     whatever state the claim has reached since) returns the first
//     result through Handle and reserves nothing; a key first used for
//     another command is an *IdempotencyMismatchError and reserves
//     nothing. Without this step a retry arriving after an objection sent
//     the claim back to review would reserve for the new round.
//  2. The approval is decided on the claim's current state without
//     appending, so a refused approval (maker-checker, wrong status, role)
//     reserves nothing.
//  3. If the decision approves the claim, its amount is reserved on the
//     budget line under the claim-scoped reservation ID (claim.State's
//     ReservationID) through Handle; the reservation's causation ID is
//     env.ID, which recovery uses to complete the approval. A line that
//     cannot cover the amount ends the call with the budget's rule error
//     and the claim unchanged.
//  4. The approval is appended to the claim through Handle.
//
// If step 4 is refused (another decision reached the claim first), the
// line is made to agree with the claim (ReconcileClaim): a rejected claim
// gets its reservation released, a claim approved by someone else keeps
// the same reservation. A crash or other failure after step 3 leaves a
// reservation that a retry of the same command (same env.ID or idempotency
// key) or ReconcileClaim completes.
func ApproveClaim(ctx context.Context, s *Service, id string, cmd claim.Approve, env Command) (Result, error) {
	if err := env.validate(); err != nil {
		return Result{}, err
	}
	if env.Name == "" {
		env.Name = "ApproveClaim"
	}
	if env.Payload == nil {
		env.Payload = cmd
	}
	agg := ClaimAggregate(id)
	decide := func(st claim.State) ([]domain.Event, error) { return claim.Decide(st, cmd) }
	loaded, st, err := s.readClaim(ctx, agg.Stream)
	if err != nil {
		return Result{}, err
	}
	again, err := s.repeated(ctx, agg.Stream, &env, loaded)
	if err != nil {
		return Result{}, fmt.Errorf("ledger: approve claim %s: %w", id, err)
	}
	if again {
		return Handle(ctx, s, agg, env, decide)
	}
	decided, err := claim.Decide(st, cmd)
	if err != nil {
		// A refusal Handle repeats, or a concurrent duplicate under the
		// same key that Handle follows.
		return Handle(ctx, s, agg, env, decide)
	}
	approved := approvalIn(decided)
	if approved != nil {
		if err := s.reserveApproved(ctx, st.ID, approved, env); err != nil {
			return Result{}, fmt.Errorf("ledger: approve claim %s: %w", id, err)
		}
	}
	// Decided on the claim as read above: the append's expected version
	// checks that nothing followed, and repeated found no earlier run.
	ids := make([]uuid.UUID, len(loaded))
	for i := range loaded {
		ids[i] = loaded[i].ID
	}
	res, err := handle(ctx, s, agg, env, decide, &known[claim.State]{state: st, next: uint64(len(loaded)), ids: ids})
	if err != nil && approved != nil && (errors.Is(err, domain.ErrRejected) || errors.Is(err, domain.ErrInvalid)) {
		// Compensate with a context of its own: a cancelled ctx must not
		// leave money held for a claim another decision closed.
		if _, rerr := ReconcileClaim(context.WithoutCancel(ctx), s, id); rerr != nil {
			err = errors.Join(err, rerr)
		}
	}
	return res, err
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

// reserveApproved reserves an approval's amount on its budget line. The
// command ID derives from cause, so a retry appends nothing new; the
// budget's operation ID makes a repeat decide nothing anyway.
func (s *Service) reserveApproved(ctx context.Context, claimID string, a *claim.Approved, cause Command) error {
	cmd := budget.Reserve{
		ReservationID: a.ReservationID, ClaimID: claimID, Amount: a.Amount,
		Actor: a.Actor, Role: a.Role, At: a.At,
	}
	env := Command{
		ID:   uuid.NewSHA1(cause.ID, []byte("reserve/"+a.ReservationID)),
		Name: "ReserveForApproval", Actor: a.Actor, Role: a.Role,
		CorrelationID: cause.CorrelationID, CausationID: cause.ID.String(),
		EffectiveDate: cause.EffectiveDate, PolicyVersion: cause.PolicyVersion,
		Payload: cmd,
	}
	_, err := Handle(ctx, s, BudgetLineAggregate(a.BudgetLineID), env, func(st budget.State) ([]domain.Event, error) {
		return budget.Decide(st, cmd)
	})
	return err
}
