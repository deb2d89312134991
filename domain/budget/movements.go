package budget

import (
	"strings"
	"time"

	"github.com/haixi-hrss/fundledger/domain"
	"github.com/haixi-hrss/fundledger/domain/money"
	"github.com/haixi-hrss/fundledger/domain/role"
)

// Reserve holds Amount of the line's available money for an approved claim.
type Reserve struct {
	ReservationID string
	ClaimID       string
	Amount        money.Amount
	Actor         string
	Role          string
	At            time.Time
}

// Spend posts Amount of the claim's hold when a payment settles; the rest of
// the hold stays reserved.
type Spend struct {
	PaymentID string
	ClaimID   string
	Amount    money.Amount
	Actor     string
	Role      string
	At        time.Time
}

// Release voids Amount of the claim's hold, making it available again.
type Release struct {
	ReleaseID string
	ClaimID   string
	Amount    money.Amount
	Reason    string
	Actor     string
	Role      string
	At        time.Time
}

// Recover credits Amount clawed back from a claim's recipient to the line;
// it cannot exceed what the claim was paid less what was already
// recovered.
type Recover struct {
	RecoveryID string
	ClaimID    string
	Amount     money.Amount
	Reason     string
	Actor      string
	Role       string
	At         time.Time
}

func (Reserve) budgetCommand() {}
func (Spend) budgetCommand()   {}
func (Release) budgetCommand() {}
func (Recover) budgetCommand() {}

func decideReserve(s State, c Reserve) ([]domain.Event, error) {
	m := movement{opID: c.ReservationID, opField: "reservationId", claimID: c.ClaimID, amount: c.Amount, actor: c.Actor, role: c.Role, at: c.At}
	repeat, err := m.check(s, opReserve, role.Approver)
	if err != nil || repeat {
		return nil, err
	}
	if h := s.Claims[c.ClaimID]; h.Pending.IsPositive() {
		return nil, domain.Reject("claim-reserved-once", "claimId", "claim %s already has %s reserved", c.ClaimID, h.Pending)
	}
	if c.Amount.GreaterThan(s.Available()) {
		return nil, domain.Reject("budget-available", "amount", "reserving %s exceeds the line's available %s", c.Amount, s.Available())
	}
	return []domain.Event{&FundsReserved{ReservationID: c.ReservationID, ClaimID: c.ClaimID, Amount: c.Amount, By: By{c.Actor, c.Role, c.At}}}, nil
}

func decideSpend(s State, c Spend) ([]domain.Event, error) {
	m := movement{opID: c.PaymentID, opField: "paymentId", claimID: c.ClaimID, amount: c.Amount, actor: c.Actor, role: c.Role, at: c.At}
	repeat, err := m.check(s, opSpend, role.Treasurer)
	if err != nil || repeat {
		return nil, err
	}
	if h := s.Claims[c.ClaimID]; c.Amount.GreaterThan(h.Pending) {
		return nil, domain.Reject("spend-within-reservation", "amount", "spending %s exceeds the %s reserved for claim %s", c.Amount, h.Pending, c.ClaimID)
	}
	return []domain.Event{&FundsSpent{PaymentID: c.PaymentID, ClaimID: c.ClaimID, Amount: c.Amount, By: By{c.Actor, c.Role, c.At}}}, nil
}

func decideRelease(s State, c Release) ([]domain.Event, error) {
	if strings.TrimSpace(c.Reason) == "" {
		return nil, domain.Invalid("reason", "required", "a release needs a reason")
	}
	m := movement{opID: c.ReleaseID, opField: "releaseId", claimID: c.ClaimID, amount: c.Amount, actor: c.Actor, role: c.Role, at: c.At}
	repeat, err := m.check(s, opRelease, role.Approver, role.Treasurer)
	if err != nil || repeat {
		return nil, err
	}
	if h := s.Claims[c.ClaimID]; c.Amount.GreaterThan(h.Pending) {
		return nil, domain.Reject("release-within-reservation", "amount", "releasing %s exceeds the %s reserved for claim %s", c.Amount, h.Pending, c.ClaimID)
	}
	return []domain.Event{&FundsReleased{ReleaseID: c.ReleaseID, ClaimID: c.ClaimID, Amount: c.Amount, Reason: c.Reason, By: By{c.Actor, c.Role, c.At}}}, nil
}

func decideRecover(s State, c Recover) ([]domain.Event, error) {
	if strings.TrimSpace(c.Reason) == "" {
		return nil, domain.Invalid("reason", "required", "a recovery needs a reason")
	}
	m := movement{opID: c.RecoveryID, opField: "recoveryId", claimID: c.ClaimID, amount: c.Amount, actor: c.Actor, role: c.Role, at: c.At}
	repeat, err := m.check(s, opRecover, role.Treasurer)
	if err != nil || repeat {
		return nil, err
	}
	h := s.Claims[c.ClaimID]
	if left := h.Spent.Sub(h.Recovered); c.Amount.GreaterThan(left) {
		return nil, domain.Reject("recover-within-spent", "amount", "recovering %s exceeds the %s paid and not yet recovered for claim %s", c.Amount, left, c.ClaimID)
	}
	return []domain.Event{&FundsRecovered{RecoveryID: c.RecoveryID, ClaimID: c.ClaimID, Amount: c.Amount, Reason: c.Reason, By: By{c.Actor, c.Role, c.At}}}, nil
}
