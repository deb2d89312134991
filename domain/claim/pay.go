package claim

import (
	"slices"
	"time"

	"github.com/haixi-hrss/fundledger/domain"
	"github.com/haixi-hrss/fundledger/domain/calendar"
	"github.com/haixi-hrss/fundledger/domain/role"
)

// ReleasePayment sends one instalment to the bank under PaymentID, a new ID
// for every attempt.
type ReleasePayment struct {
	Instalment int
	PaymentID  string
	Actor      string
	Role       string
	At         time.Time
}

// RecordPaymentResult records the bank's answer for the instalment's
// payment in flight: paid (with the bank's reference) or failed (with a
// reason).
type RecordPaymentResult struct {
	Instalment int
	PaymentID  string
	Paid       bool
	BankRef    string
	Reason     string
	On         calendar.Date
	Actor      string
	Role       string
	At         time.Time
}

// Cancel ends an approved claim: its unpaid instalments are cancelled and
// their money released. A payment in flight must be answered first.
type Cancel struct {
	Reason string
	Actor  string
	Role   string
	At     time.Time
}

func (ReleasePayment) claimCommand()      {}
func (RecordPaymentResult) claimCommand() {}
func (Cancel) claimCommand()              {}

func decideReleasePayment(s State, c ReleasePayment) ([]domain.Event, error) {
	if err := first(required("paymentId", c.PaymentID, "the payment ID"), role.Authorize(c.Actor, c.Role, c.At, role.Treasurer)); err != nil {
		return nil, err
	}
	if err := in(s, "claim-disclosed", StatusDisclosed); err != nil {
		return nil, err
	}
	i, ok := s.instalment(c.Instalment)
	if !ok {
		return nil, domain.Invalid("instalment", "instalment-number", "the claim has instalments 1 to %d, not %d", len(s.Instalments), c.Instalment)
	}
	in := s.Instalments[i]
	if in.Status != InstalmentScheduled && in.Status != InstalmentFailed {
		return nil, domain.Reject("instalment-payable", "instalment", "instalment %d is %s", c.Instalment, in.Status)
	}
	if slices.ContainsFunc(s.Instalments, func(x Instalment) bool { return x.PaymentID == c.PaymentID }) {
		return nil, domain.Reject("payment-id-unique", "paymentId", "payment %s was already used for this claim", c.PaymentID)
	}
	return []domain.Event{&PaymentReleased{Instalment: c.Instalment, Amount: in.Amount, PaymentID: c.PaymentID, By: By{c.Actor, c.Role, c.At}}}, nil
}

func decidePaymentResult(s State, c RecordPaymentResult) ([]domain.Event, error) {
	if c.On.IsZero() {
		return nil, domain.Invalid("on", "required", "the date of the bank's answer is missing")
	}
	if c.Paid {
		if err := required("bankRef", c.BankRef, "the bank's reference"); err != nil {
			return nil, err
		}
	} else if err := required("reason", c.Reason, "the reason the payment failed"); err != nil {
		return nil, err
	}
	if err := role.Authorize(c.Actor, c.Role, c.At, role.Treasurer); err != nil {
		return nil, err
	}
	i, ok := s.instalment(c.Instalment)
	if !ok {
		return nil, domain.Invalid("instalment", "instalment-number", "the claim has instalments 1 to %d, not %d", len(s.Instalments), c.Instalment)
	}
	in := s.Instalments[i]
	if in.Status != InstalmentInFlight || in.PaymentID != c.PaymentID {
		return nil, domain.Reject("payment-in-flight", "paymentId", "instalment %d has no payment %s awaiting the bank (it is %s)", c.Instalment, c.PaymentID, in.Status)
	}
	by := By{c.Actor, c.Role, c.At}
	if c.Paid {
		return []domain.Event{&InstalmentPaid{
			Instalment: c.Instalment, Amount: in.Amount, PaymentID: c.PaymentID, SpendID: s.ID + "/spend/" + c.PaymentID, BankRef: c.BankRef,
			On: c.On, BudgetLineID: s.BudgetLineID, By: by,
		}}, nil
	}
	return []domain.Event{&PaymentFailed{Instalment: c.Instalment, PaymentID: c.PaymentID, Reason: c.Reason, On: c.On, By: by}}, nil
}

func decideCancel(s State, c Cancel) ([]domain.Event, error) {
	if err := first(required("reason", c.Reason, "the reason for cancelling"), role.Authorize(c.Actor, c.Role, c.At, role.Approver, role.Treasurer)); err != nil {
		return nil, err
	}
	if err := in(s, "claim-cancellable", StatusApproved, StatusInDisclosure, StatusDisclosed); err != nil {
		return nil, err
	}
	if slices.ContainsFunc(s.Instalments, func(x Instalment) bool { return x.Status == InstalmentInFlight }) {
		return nil, domain.Reject("no-payment-in-flight", "status", "a payment is awaiting the bank's answer")
	}
	return []domain.Event{&Cancelled{
		Reason: c.Reason, BudgetLineID: s.BudgetLineID, ReleaseID: s.ID + "/cancel",
		Release: s.Outstanding(), By: By{c.Actor, c.Role, c.At},
	}}, nil
}
