package paymentbatch

import (
	"encoding/json"
	"fmt"
	"time"

	"github.com/haixi-hrss/fundledger/domain"
	"github.com/haixi-hrss/fundledger/domain/calendar"
	"github.com/haixi-hrss/fundledger/domain/money"
)

// By says who caused a batch event, in which role, and when.
type By struct {
	Actor string    `json:"actor"`
	Role  string    `json:"role"`
	At    time.Time `json:"at"`
}

// Opened records a new batch and the fund or budget line it pays from.
type Opened struct {
	BatchID string `json:"batchId"`
	Scope   Scope  `json:"scope"`
	By
}

// ItemAdded records one claim instalment put in the batch.
type ItemAdded struct {
	Item Item `json:"item"`
	By
}

// Closed records that the batch's items are final.
type Closed struct {
	Items int          `json:"items"`
	Total money.Amount `json:"total"`
	By
}

// Sent records the treasurer's order to pay the batch; the ledger then
// releases every item's instalment for payment.
type Sent struct {
	By
}

// ItemReleased records that the item's claim released its instalment for
// payment under the item's payment ID.
type ItemReleased struct {
	ClaimID    string `json:"claimId"`
	Instalment int    `json:"instalment"`
	PaymentID  string `json:"paymentId"`
	By
}

// ItemWithdrawn records an item the claim refused to release, with the
// claim's rule; it is not paid in this batch.
type ItemWithdrawn struct {
	ClaimID    string `json:"claimId"`
	Instalment int    `json:"instalment"`
	PaymentID  string `json:"paymentId"`
	Rule       string `json:"rule"`
	Detail     string `json:"detail"`
	By
}

// ItemPaid records the bank's confirmation of an item.
type ItemPaid struct {
	ClaimID    string        `json:"claimId"`
	Instalment int           `json:"instalment"`
	PaymentID  string        `json:"paymentId"`
	BankRef    string        `json:"bankRef"`
	On         calendar.Date `json:"on"`
	By
}

// ItemFailed records an item the bank refused.
type ItemFailed struct {
	ClaimID    string        `json:"claimId"`
	Instalment int           `json:"instalment"`
	PaymentID  string        `json:"paymentId"`
	Reason     string        `json:"reason"`
	On         calendar.Date `json:"on"`
	By
}

// Settled records that every item of the batch has an outcome, with the
// batch's figures.
type Settled struct {
	Paid      money.Amount `json:"paid"`
	Failed    money.Amount `json:"failed"`
	Withdrawn money.Amount `json:"withdrawn"`
	By
}

// EventType implements domain.Event.
func (Opened) EventType() string { return "PaymentBatchOpened" }

// EventType implements domain.Event.
func (ItemAdded) EventType() string { return "PaymentBatchItemAdded" }

// EventType implements domain.Event.
func (Closed) EventType() string { return "PaymentBatchClosed" }

// EventType implements domain.Event.
func (Sent) EventType() string { return "PaymentBatchSent" }

// EventType implements domain.Event.
func (ItemReleased) EventType() string { return "PaymentBatchItemReleased" }

// EventType implements domain.Event.
func (ItemWithdrawn) EventType() string { return "PaymentBatchItemWithdrawn" }

// EventType implements domain.Event.
func (ItemPaid) EventType() string { return "PaymentBatchItemPaid" }

// EventType implements domain.Event.
func (ItemFailed) EventType() string { return "PaymentBatchItemFailed" }

// EventType implements domain.Event.
func (Settled) EventType() string { return "PaymentBatchSettled" }

// EventTypes is the registry of the batch's event types: each stored type
// name with a constructor of a zero value to decode into.
func EventTypes() map[string]func() domain.Event {
	return map[string]func() domain.Event{
		"PaymentBatchOpened":        func() domain.Event { return &Opened{} },
		"PaymentBatchItemAdded":     func() domain.Event { return &ItemAdded{} },
		"PaymentBatchClosed":        func() domain.Event { return &Closed{} },
		"PaymentBatchSent":          func() domain.Event { return &Sent{} },
		"PaymentBatchItemReleased":  func() domain.Event { return &ItemReleased{} },
		"PaymentBatchItemWithdrawn": func() domain.Event { return &ItemWithdrawn{} },
		"PaymentBatchItemPaid":      func() domain.Event { return &ItemPaid{} },
		"PaymentBatchItemFailed":    func() domain.Event { return &ItemFailed{} },
		"PaymentBatchSettled":       func() domain.Event { return &Settled{} },
	}
}

// Decode rebuilds a stored batch event from its type name and JSON data.
func Decode(eventType string, data []byte) (domain.Event, error) {
	newEvent, ok := EventTypes()[eventType]
	if !ok {
		return nil, domain.Invalid("type", "known-event-type", "%q is not a payment batch event", eventType)
	}
	e := newEvent()
	if err := json.Unmarshal(data, e); err != nil {
		return nil, fmt.Errorf("decode %s: %w", eventType, err)
	}
	return e, nil
}
