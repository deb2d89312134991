package paymentbatch

import (
	"time"

	"github.com/haixi-hrss/fundledger/domain"
	"github.com/haixi-hrss/fundledger/domain/money"
	"github.com/haixi-hrss/fundledger/domain/role"
)

// Open starts a batch paying from one fund or one budget line.
type Open struct {
	BatchID string
	Scope   Scope
	Actor   string
	Role    string
	At      time.Time
}

// AddItem puts one claim instalment in an open batch under a payment ID
// not used elsewhere in the batch.
type AddItem struct {
	ClaimID        string
	Instalment     int
	PaymentID      string
	Amount         money.Amount
	BudgetLineID   string
	BeneficiaryRef string
	Actor          string
	Role           string
	At             time.Time
}

// Close makes a batch's items final.
type Close struct {
	Actor string
	Role  string
	At    time.Time
}

// Send orders a closed batch paid; the ledger then releases its items.
type Send struct {
	Actor string
	Role  string
	At    time.Time
}

func (Open) batchCommand()    {}
func (AddItem) batchCommand() {}
func (Close) batchCommand()   {}
func (Send) batchCommand()    {}

func decideOpen(s State, c Open) ([]domain.Event, error) {
	if !streamID.MatchString(c.BatchID) {
		return nil, domain.Invalid("batchId", "stream-id", "batch ID %q must be 1–64 letters, digits, '.', '_' or '-'", c.BatchID)
	}
	if c.Scope.Kind != ScopeFund && c.Scope.Kind != ScopeBudgetLine {
		return nil, domain.Invalid("scope.kind", "batch-scope", "%q is not %s or %s", c.Scope.Kind, ScopeFund, ScopeBudgetLine)
	}
	if err := required("scope.id", c.Scope.ID, "the fund or budget line the batch pays from"); err != nil {
		return nil, err
	}
	if err := role.Authorize(c.Actor, c.Role, c.At, role.Treasurer); err != nil {
		return nil, err
	}
	if s.Status != "" {
		return nil, domain.Reject("batch-open-once", "batchId", "batch %s is already open", s.ID)
	}
	return []domain.Event{&Opened{BatchID: c.BatchID, Scope: c.Scope, By: By{c.Actor, c.Role, c.At}}}, nil
}

func decideAddItem(s State, c AddItem) ([]domain.Event, error) {
	switch {
	case !streamID.MatchString(c.ClaimID):
		return nil, domain.Invalid("claimId", "stream-id", "claim ID %q must be 1–64 letters, digits, '.', '_' or '-'", c.ClaimID)
	case c.Instalment < 1:
		return nil, domain.Invalid("instalment", "instalment-number", "instalment %d must be 1 or more", c.Instalment)
	case !c.Amount.IsPositive():
		return nil, domain.Invalid("amount", "positive", "amount %s must be greater than zero", c.Amount)
	}
	err := firstErr(
		required("paymentId", c.PaymentID, "the payment ID"),
		required("budgetLineId", c.BudgetLineID, "the budget line paying the item"),
		required("beneficiaryRef", c.BeneficiaryRef, "the payee"),
		role.Authorize(c.Actor, c.Role, c.At, role.Treasurer),
		in(s, "batch-open", StatusOpen),
	)
	if err != nil {
		return nil, err
	}
	if s.Scope.Kind == ScopeBudgetLine && c.BudgetLineID != s.Scope.ID {
		return nil, domain.Reject("item-in-scope", "budgetLineId", "the batch pays from budget line %s, not %s", s.Scope.ID, c.BudgetLineID)
	}
	if _, dup := s.Find(c.ClaimID, c.Instalment); dup {
		return nil, domain.Reject("item-once-per-batch", "instalment", "instalment %d of claim %s is already in the batch", c.Instalment, c.ClaimID)
	}
	for _, it := range s.Items {
		if it.PaymentID == c.PaymentID {
			return nil, domain.Reject("payment-id-unique", "paymentId", "payment %s is already used for claim %s", c.PaymentID, it.ClaimID)
		}
	}
	return []domain.Event{&ItemAdded{Item: Item{
		ClaimID: c.ClaimID, Instalment: c.Instalment, PaymentID: c.PaymentID, Amount: c.Amount,
		BudgetLineID: c.BudgetLineID, BeneficiaryRef: c.BeneficiaryRef,
	}, By: By{c.Actor, c.Role, c.At}}}, nil
}

func decideClose(s State, c Close) ([]domain.Event, error) {
	if err := firstErr(role.Authorize(c.Actor, c.Role, c.At, role.Treasurer), in(s, "batch-open", StatusOpen)); err != nil {
		return nil, err
	}
	if len(s.Items) == 0 {
		return nil, domain.Reject("batch-not-empty", "items", "an empty batch cannot be closed")
	}
	//lint:ignore S1016 a conversion would break as soon as the command gains a field; every decider builds By the same way
	return []domain.Event{&Closed{Items: len(s.Items), Total: s.Total, By: By{c.Actor, c.Role, c.At}}}, nil
}

func decideSend(s State, c Send) ([]domain.Event, error) {
	if err := firstErr(role.Authorize(c.Actor, c.Role, c.At, role.Treasurer), in(s, "batch-closed", StatusClosed)); err != nil {
		return nil, err
	}
	//lint:ignore S1016 as in decideClose
	return []domain.Event{&Sent{By: By{c.Actor, c.Role, c.At}}}, nil
}

// firstErr returns the first non-nil error.
func firstErr(errs ...error) error {
	for _, err := range errs {
		if err != nil {
			return err
		}
	}
	return nil
}
