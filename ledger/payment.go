package ledger

import (
	"context"

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
//   - Paid: ClaimInstalmentPaid is appended first, naming the spend
//     (SpendID, scoped to the claim) and the budget line; then the
//     instalment's amount is spent from the claim's reservation on the
//     line under that SpendID. A crash between the two
//     leaves the spend to a retry of the command (same command ID or
//     idempotency key) or to ReconcileClaim at start-up; the SpendID
//     makes a repeated spend decide nothing.
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
// claim's events call for (settleBudget). The movements run on a replay
// too, which is how a retry completes a step a crash interrupted. Once
// the claim event is recorded, a failed movement is a *StepPendingError,
// never a conflict.
func claimStep(ctx context.Context, s *Service, id string, cmd claim.Command, env Command, name string, settle bool) (Result, error) {
	if env.Name == "" {
		env.Name = name
	}
	if env.Payload == nil {
		env.Payload = cmd
	}
	res, err := Handle(ctx, s, ClaimAggregate(id), env, func(st claim.State) ([]domain.Event, error) { return claim.Decide(st, cmd) })
	if err != nil || !settle {
		return res, err
	}
	return res, s.settleBudget(ctx, id, res, &env)
}
