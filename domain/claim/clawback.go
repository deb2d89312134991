package claim

import (
	"slices"
	"time"

	"github.com/haixi-hrss/fundledger/domain"
	"github.com/haixi-hrss/fundledger/domain/calendar"
	"github.com/haixi-hrss/fundledger/domain/money"
	"github.com/haixi-hrss/fundledger/domain/role"
)

// The reasons money is clawed back (追回).
const (
	Ineligible = "ineligible"
	Fraudulent = "fraudulent" // 骗取
)

// RecordClawback records money recovered from the beneficiary of a paid
// claim; the total recovered never exceeds what was paid.
type RecordClawback struct {
	RecoveryID string
	Amount     money.Amount
	Reason     string
	Detail     string
	On         calendar.Date
	Actor      string
	Role       string
	At         time.Time
}

func (RecordClawback) claimCommand() {}

func decideClawback(s State, c RecordClawback) ([]domain.Event, error) {
	err := first(
		required("recoveryId", c.RecoveryID, "the recovery ID"),
		required("detail", c.Detail, "the finding behind the clawback"),
	)
	switch {
	case err != nil:
		return nil, err
	case !c.Amount.IsPositive():
		return nil, domain.Invalid("amount", "positive", "amount %s must be greater than zero", c.Amount)
	case c.Reason != Ineligible && c.Reason != Fraudulent:
		return nil, domain.Invalid("reason", "clawback-reason", "%q is not ineligible or fraudulent", c.Reason)
	case c.On.IsZero():
		return nil, domain.Invalid("on", "required", "the date of the recovery is missing")
	}
	if err := role.Authorize(c.Actor, c.Role, c.At, role.Treasurer); err != nil {
		return nil, err
	}
	if slices.Contains(s.Recoveries, c.RecoveryID) {
		return nil, domain.Reject("recovery-id-unique", "recoveryId", "recovery %s is already recorded", c.RecoveryID)
	}
	if left := s.Paid.Sub(s.Recovered); c.Amount.GreaterThan(left) {
		return nil, domain.Reject("recovered-within-paid", "amount", "recovering %s exceeds the %s paid and not yet recovered", c.Amount, left)
	}
	return []domain.Event{&ClawedBack{
		RecoveryID: c.RecoveryID, RecoverID: s.ID + "/recover/" + c.RecoveryID, Amount: c.Amount, Reason: c.Reason, Detail: c.Detail, On: c.On,
		BudgetLineID: s.BudgetLineID, By: By{c.Actor, c.Role, c.At},
	}}, nil
}
