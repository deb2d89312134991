package ledger

import (
	"context"

	"github.com/haixi-hrss/fundledger/domain/claim"
)

// StartDisclosure records the start of public disclosure (公示) of approved
// claim id. No money moves: the approval's reservation stays held.
func StartDisclosure(ctx context.Context, s *Service, id string, cmd claim.StartDisclosure, env Command) (Result, error) {
	return claimStep(ctx, s, id, cmd, env, "StartDisclosure", false)
}

// RaiseObjection records an objection to claim id during disclosure, which
// sends the claim back to review, and then releases the reservation of the
// review round on the budget line under the objection's ReleaseID, as
// CancelClaim does. A crash between the two leaves the release to a retry
// of the command or to ReconcileClaim. The claim's uniqueness keys stay
// held: the claim is under review again, not closed.
func RaiseObjection(ctx context.Context, s *Service, id string, cmd claim.RaiseObjection, env Command) (Result, error) {
	return claimStep(ctx, s, id, cmd, env, "RaiseObjection", true)
}

// CompleteDisclosure records that claim id's disclosure ran its course
// unopposed, which makes the claim payable. No money moves.
func CompleteDisclosure(ctx context.Context, s *Service, id string, cmd claim.CompleteDisclosure, env Command) (Result, error) {
	return claimStep(ctx, s, id, cmd, env, "CompleteDisclosure", false)
}
