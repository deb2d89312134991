package ledger

import (
	"context"
	"errors"

	"github.com/google/uuid"
	"github.com/haixi-hrss/fundledger/domain"
	"github.com/haixi-hrss/fundledger/domain/budget"
	"github.com/haixi-hrss/fundledger/domain/claim"
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
	var moves []budgetStep
	if !res.Replayed {
		moves = directMoves(id, res.Events, res.EventIDs, cmd)
	}
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

// directMoves returns the budget movements of events, freshly decided by
// cmd with IDs ids, when their only movements are spends and recoveries;
// nil means ReconcileClaim must decide. The movements carry the metadata
// ReconcileClaim would give them, taken from cmd instead of the log.
func directMoves(id string, events []domain.Event, ids []uuid.UUID, cmd *Command) []budgetStep {
	var moves []budgetStep
	for i, ev := range events {
		switch ev.(type) {
		case *claim.Approved, *claim.ObjectionRaised, *claim.Cancelled, *claim.Rejected:
			return nil
		}
		m, ok := moneyMove(id, ev)
		if !ok {
			continue
		}
		// The metadata the stored event carries, with it as the cause.
		m.cause = cmd.cause()
		m.cause.CausationID = ids[i].String()
		moves = append(moves, m)
	}
	if len(moves) == 0 {
		return nil
	}
	return moves
}

// moneyMove is the budget movement of a payment or clawback event of claim
// id: a spend or a recovery on its line. ok is false for any other event.
// directMoves and ReconcileClaim both use it, so a fresh payment and a
// repaired one move the line alike.
func moneyMove(id string, ev domain.Event) (m budgetStep, ok bool) {
	switch e := ev.(type) {
	case *claim.InstalmentPaid:
		return budgetStep{cmd: budget.Spend{PaymentID: e.SpendID, ClaimID: id, Amount: e.Amount, Actor: e.Actor, Role: e.Role, At: e.At},
			opID: e.SpendID, line: e.BudgetLineID}, true
	case *claim.ClawedBack:
		return budgetStep{cmd: budget.Recover{RecoveryID: e.RecoverID, ClaimID: id, Amount: e.Amount,
			Reason: "clawback (" + e.Reason + "): " + e.Detail, Actor: e.Actor, Role: e.Role, At: e.At},
			opID: e.RecoverID, line: e.BudgetLineID}, true
	}
	return budgetStep{}, false
}
