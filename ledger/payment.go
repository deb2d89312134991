package ledger

import (
	"context"
	"errors"

	"github.com/haixi-hrss/fundledger/domain"
	"github.com/haixi-hrss/fundledger/domain/claim"
)

// ReleasePayment records that a treasurer sent instalment cmd.Instalment
// of claim id to the bank under cmd.PaymentID. No money moves: the
// instalment's amount stays reserved on the budget line until the bank
// answers (RecordPaymentResult). The claim allows one payment in flight per
// instalment, so of concurrent releases exactly one succeeds.
func ReleasePayment(ctx context.Context, s *Service, id string, cmd claim.ReleasePayment, env Command) (Result, error) {
	return claimStep(ctx, s, id, cmd, env, "ReleasePayment", false)
}

// RecordPaymentResult records the bank's answer for claim id's payment in
// flight.
//
//   - Paid: ClaimInstalmentPaid is appended, naming the spend (SpendID,
//     scoped to the claim) and the budget line, and the instalment's
//     amount is spent from the claim's reservation on the line under that
//     SpendID. On a store that is an eventstore.MultiAppender both (and
//     the command's key claim) are normally one commit, the payment
//     first. Otherwise (another store, or a line that does not take the
//     spend in that commit: see claimStep) the payment is appended first
//     and the spend follows, and a crash between the two leaves the spend
//     to a retry of the command (same command ID or idempotency key) or to
//     ReconcileClaim at start-up; the SpendID makes a repeated spend
//     decide nothing.
//   - Failed: ClaimPaymentFailed is appended and no money moves. The
//     instalment's amount stays reserved for a retry: the treasurer
//     releases the instalment again under a new payment ID, or cancels
//     the claim (CancelClaim), which releases the reservation.
//
// The claim accepts one result per payment, so the instalment is paid at
// most once (design invariant 5) however often the result is recorded.
func RecordPaymentResult(ctx context.Context, s *Service, id string, cmd claim.RecordPaymentResult, env Command) (Result, error) {
	return claimStep(ctx, s, id, cmd, env, "RecordPaymentResult", cmd.Paid)
}

// claimStep runs cmd on claim id through Handle, named name unless env
// names it, and then, when settle is set, applies the budget movements the
// claim's events call for. A fresh decision with one movement (a payment's
// spend, a clawback's recovery) on a store that appends to several
// streams at once records it in the claim's commit (moveWithClaim);
// anything else is moved after the claim's append (settleBudget). The
// movements run on a replay too, which is how a retry completes a step a
// crash interrupted. Once the claim event is recorded, a failed movement
// is a *StepPendingError, never a conflict.
func claimStep(ctx context.Context, s *Service, id string, cmd claim.Command, env Command, name string, settle bool) (Result, error) {
	env.named(name, cmd)
	decide := func(st claim.State) ([]domain.Event, error) { return claim.Decide(st, cmd) }
	if !settle {
		return Handle(ctx, s, ClaimAggregate(id), env, decide)
	}
	moved := false
	res, err := handle(ctx, s, ClaimAggregate(id), env, decide, nil, func(c *Command, decided []domain.Event, key *keyClaim, own *ownPart) error {
		var err error
		moved, err = s.moveWithClaim(ctx, id, c, decided, key, own)
		return err
	})
	if err != nil || moved {
		return res, err
	}
	return res, s.settleBudget(ctx, id, res, &env)
}

// moveWithClaim applies the one budget movement that decided (claim
// command c's events on claim id) call for, in one commit with own (those
// events) and key (c's key claim, if any), and reports whether it did.
// It leaves the events to be appended on their own, and their movements
// to settleBudget, when there is no own part (a store without
// multi-stream appends), no movement or several, or the line does not
// take this one (refused, a repeat, a failure): then nothing was written.
// A key found taken or a claim that moved since the decision is returned
// (errKeyTaken, errPartMoved), for the run to follow or decide again.
func (s *Service) moveWithClaim(ctx context.Context, id string, c *Command, decided []domain.Event, key *keyClaim, own *ownPart) (bool, error) {
	if own == nil {
		return false, nil
	}
	moves := directMoves(id, decided, own.ids, c)
	if len(moves) != 1 {
		return false, nil
	}
	m := moves[0]
	own.first = true // the payment, then the spend it calls for
	err := s.moveBudgetWith(ctx, m.line, claim.Stream(id), m.opID, m.cmd, m.cause, key, own)
	switch {
	case errors.Is(err, errKeyTaken), errors.Is(err, errPartMoved):
		return false, err
	case err == nil && own.done:
		return true, nil
	}
	return false, nil
}
