package ledger

import (
	"context"
	"errors"

	"github.com/google/uuid"

	"github.com/haixi-hrss/fundledger/domain"
	"github.com/haixi-hrss/fundledger/domain/budget"
	"github.com/haixi-hrss/fundledger/domain/claim"
	"github.com/haixi-hrss/fundledger/eventstore"
)

// finish runs step, the follow-up of a claim event already recorded on
// stream (a budget movement, a release of keys), until it succeeds. Once
// the claim event stands, answering "conflict" would tell the client that
// nothing happened, so a step beaten by other writers is tried again,
// after a jittered wait, for as long as ctx lasts. Any other failure, or
// ctx ending, is a *StepPendingError: the event stands and the ledger
// completes the step on a retry or at start-up.
func (s *Service) finish(ctx context.Context, stream, name string, step func() error) error {
	for attempt := 1; ; attempt++ {
		err := step()
		if err == nil {
			return nil
		}
		if !errors.Is(err, ErrConflict) {
			return &StepPendingError{Stream: stream, Step: name, Err: err}
		}
		if werr := s.wait(ctx, attempt); werr != nil {
			return &StepPendingError{Stream: stream, Step: name, Err: errors.Join(err, werr)}
		}
	}
}

// settleBudget applies the budget movements of the claim events res
// recorded for cmd on claim id. A fresh payment or clawback is applied as
// its one movement; anything else (a replay, whose events may follow
// moves a crash left undone, an objection, a movement the line refuses
// because an earlier one is missing) goes through ReconcileClaim, which
// reads the whole claim and applies every movement in order.
func (s *Service) settleBudget(ctx context.Context, id string, res Result, cmd *Command) error {
	moves := directMoves(id, res, cmd)
	return s.finish(ctx, claim.Stream(id), "budget step", func() error {
		for _, m := range moves {
			err := s.moveBudget(ctx, m.line, claim.Stream(id), m.opID, m.cmd, m.cause)
			if errors.Is(err, domain.ErrRejected) {
				moves = nil
				break
			}
			if err != nil {
				return err
			}
		}
		if moves != nil {
			return nil
		}
		_, err := ReconcileClaim(ctx, s, id)
		return err
	})
}

// directMoves returns the budget movements of res's events when res is a
// fresh append whose only movements are spends and recoveries; nil means
// ReconcileClaim must decide. The movements carry the metadata
// ReconcileClaim would give them, taken from cmd instead of the log.
func directMoves(id string, res Result, cmd *Command) []budgetStep {
	if res.Replayed {
		return nil
	}
	var moves []budgetStep
	for i, ev := range res.Events {
		var m budgetStep
		switch e := ev.(type) {
		case *claim.InstalmentPaid:
			m = budgetStep{cmd: budget.Spend{PaymentID: e.SpendID, ClaimID: id, Amount: e.Amount, Actor: e.Actor, Role: e.Role, At: e.At}, opID: e.SpendID, line: e.BudgetLineID}
		case *claim.ClawedBack:
			m = budgetStep{cmd: budget.Recover{RecoveryID: e.RecoverID, ClaimID: id, Amount: e.Amount,
				Reason: "clawback (" + e.Reason + "): " + e.Detail, Actor: e.Actor, Role: e.Role, At: e.At}, opID: e.RecoverID, line: e.BudgetLineID}
		case *claim.Approved, *claim.ObjectionRaised, *claim.Cancelled, *claim.Rejected:
			return nil
		default:
			continue
		}
		m.cause = decidedCause(cmd, res.EventIDs[i])
		moves = append(moves, m)
	}
	if len(moves) == 0 {
		return nil
	}
	return moves
}

// decidedCause is causedBy for an event cmd just appended under id: the
// metadata the stored event carries, with the event as the cause.
func decidedCause(cmd *Command, id uuid.UUID) eventstore.Metadata {
	m := cmd.metadata()
	return eventstore.Metadata{Actor: m.Actor, Role: m.Role, CorrelationID: m.CorrelationID,
		CausationID: id.String(), EffectiveDate: m.EffectiveDate}
}
