package ledger

import (
	"context"

	"github.com/haixi-hrss/fundledger/domain/claim"
)

// RecordClawback records money recovered (追回) from the beneficiary of
// claim id, then credits it back to the claim's budget line under the
// event's RecoverID (ReconcileClaim). The claim refuses to recover more
// than it paid, and the RecoverID, scoped to the claim and its recovery
// ID, makes a repeated credit decide nothing. A crash between the two
// steps leaves the credit to a retry of the command or to ReconcileClaim.
func RecordClawback(ctx context.Context, s *Service, id string, cmd claim.RecordClawback, env Command) (Result, error) {
	return claimStep(ctx, s, id, cmd, env, "RecordClawback", true)
}
