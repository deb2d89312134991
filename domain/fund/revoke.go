package fund

import (
	"strings"
	"time"

	"github.com/haixi-hrss/fundledger/domain"
	"github.com/haixi-hrss/fundledger/domain/money"
	"github.com/haixi-hrss/fundledger/domain/role"
)

// RecordRevocation takes back money a budget line has already given up from
// its unreserved remainder. It is the second step of the revocation process
// (see the package documentation) and repeats harmlessly: the same
// revocation ID with the same line and amount decides no events.
type RecordRevocation struct {
	RevocationID string
	BudgetLineID string
	Amount       money.Amount
	Reason       string
	Actor        string
	Role         string
	At           time.Time
}

func (RecordRevocation) fundCommand() {}

func decideRevocation(s State, c RecordRevocation) ([]domain.Event, error) {
	if strings.TrimSpace(c.RevocationID) == "" {
		return nil, domain.Invalid("revocationId", "required", "the revocation ID is missing")
	}
	if strings.TrimSpace(c.BudgetLineID) == "" {
		return nil, domain.Invalid("budgetLineId", "required", "the budget line is missing")
	}
	if err := positive("amount", c.Amount); err != nil {
		return nil, err
	}
	if strings.TrimSpace(c.Reason) == "" {
		return nil, domain.Invalid("reason", "required", "a revocation needs a reason")
	}
	if err := role.Authorize(c.Actor, c.Role, c.At, role.Administrator); err != nil {
		return nil, err
	}
	if err := opened(s); err != nil {
		return nil, err
	}
	if prior, seen := s.Revocations[c.RevocationID]; seen {
		if prior.BudgetLineID == c.BudgetLineID && prior.Amount.Equal(c.Amount) {
			return nil, nil
		}
		return nil, domain.Reject("revocation-id-unique", "revocationId", "revocation %s was recorded with other figures", c.RevocationID)
	}
	if held := s.Lines[c.BudgetLineID]; c.Amount.GreaterThan(held) {
		return nil, domain.Reject("revocation-within-allocation", "amount", "revoking %s exceeds the %s allocated to budget line %s", c.Amount, held, c.BudgetLineID)
	}
	return []domain.Event{&AllocationRevoked{
		RevocationID: c.RevocationID, BudgetLineID: c.BudgetLineID, Amount: c.Amount,
		Reason: c.Reason, Actor: c.Actor, Role: c.Role, At: c.At,
	}}, nil
}
