package claim

import (
	"encoding/json"
	"fmt"
	"time"

	"github.com/haixi-hrss/fundledger/domain"
	"github.com/haixi-hrss/fundledger/domain/calendar"
	"github.com/haixi-hrss/fundledger/domain/eligibility"
	"github.com/haixi-hrss/fundledger/domain/money"
	"github.com/haixi-hrss/fundledger/domain/programme"
	"github.com/haixi-hrss/fundledger/domain/region"
	"github.com/haixi-hrss/fundledger/domain/uniqueness"
)

// By says who made a decision, in which role, and when.
type By struct {
	Actor string    `json:"actor"`
	Role  string    `json:"role"`
	At    time.Time `json:"at"`
}

// Submitted records a claim as a clerk submitted it, with the uniqueness
// keys the ledger reserves before appending it.
type Submitted struct {
	ClaimID        string           `json:"claimId"`
	Programme      programme.Code   `json:"programme"`
	Beneficiary    Beneficiary      `json:"beneficiary"`
	Region         region.Code      `json:"region"`
	BudgetLineID   string           `json:"budgetLineId"`
	EffectiveDate  calendar.Date    `json:"effectiveDate"`
	UniquenessKeys []uniqueness.Key `json:"uniquenessKeys"`
	By
}

// Checked records the eligibility assessment under the policy version
// in force on the effective date, the terms kept from that version and the
// instalments to pay.
type Checked struct {
	Assessment  eligibility.Assessment `json:"assessment"`
	Terms       Terms                  `json:"terms"`
	Approved    money.Amount           `json:"approved"`
	Instalments []Instalment           `json:"instalments"`
	By
}

// Rejected records a rejection, by an approver or, for an ineligible
// assessment, at the check; FailedRules lists the rules that failed.
type Rejected struct {
	Reason      string   `json:"reason"`
	FailedRules []string `json:"failedRules,omitempty"`
	By
}

// ApprovalRecorded records one approver's approval in a review round.
type ApprovalRecorded struct {
	Round  int    `json:"round"`
	Reason string `json:"reason"`
	By
}

// Approved records that a claim has all the approvals it needs. The
// ledger reserves Amount on the budget line under ReservationID.
type Approved struct {
	Round         int          `json:"round"`
	Amount        money.Amount `json:"amount"`
	BudgetLineID  string       `json:"budgetLineId"`
	ReservationID string       `json:"reservationId"`
	Approvers     []string     `json:"approvers"`
	By
}

// DisclosureStarted records the start of public disclosure (公示) with the
// beneficiary's masked identifier.
type DisclosureStarted struct {
	On     calendar.Date `json:"on"`
	Masked string        `json:"masked"`
	By
}

// ObjectionRaised records an objection during disclosure; the claim goes
// back to review and the ledger releases Release under ReleaseID.
type ObjectionRaised struct {
	Reason       string       `json:"reason"`
	Round        int          `json:"round"`
	BudgetLineID string       `json:"budgetLineId"`
	ReleaseID    string       `json:"releaseId"`
	Release      money.Amount `json:"release"`
	By
}

// Disclosed records a disclosure that ran its course unopposed.
type Disclosed struct {
	On          calendar.Date `json:"on"`
	WorkingDays int           `json:"workingDays"`
	By
}

// PaymentReleased records an instalment sent to the bank under PaymentID.
type PaymentReleased struct {
	Instalment int          `json:"instalment"`
	Amount     money.Amount `json:"amount"`
	PaymentID  string       `json:"paymentId"`
	By
}

// InstalmentPaid records the bank's confirmation; the ledger spends Amount
// of the reservation under SpendID, which is scoped to the claim because
// payment IDs come from outside.
type InstalmentPaid struct {
	Instalment   int           `json:"instalment"`
	Amount       money.Amount  `json:"amount"`
	PaymentID    string        `json:"paymentId"`
	SpendID      string        `json:"spendId"`
	BankRef      string        `json:"bankRef"`
	On           calendar.Date `json:"on"`
	BudgetLineID string        `json:"budgetLineId"`
	By
}

// PaymentFailed records a payment the bank refused; the money stays
// reserved until the instalment is released again or the claim cancelled.
type PaymentFailed struct {
	Instalment int           `json:"instalment"`
	PaymentID  string        `json:"paymentId"`
	Reason     string        `json:"reason"`
	On         calendar.Date `json:"on"`
	By
}

// Cancelled records a claim cancelled with its unpaid instalments; the
// ledger releases Release under ReleaseID.
type Cancelled struct {
	Reason       string       `json:"reason"`
	BudgetLineID string       `json:"budgetLineId"`
	ReleaseID    string       `json:"releaseId"`
	Release      money.Amount `json:"release"`
	By
}

// ClawedBack records money recovered from the beneficiary; the ledger
// credits it back to the budget line under RecoverID, the recovery ID
// scoped to the claim.
type ClawedBack struct {
	RecoveryID   string        `json:"recoveryId"`
	RecoverID    string        `json:"recoverId"`
	Amount       money.Amount  `json:"amount"`
	Reason       string        `json:"reason"`
	Detail       string        `json:"detail"`
	On           calendar.Date `json:"on"`
	BudgetLineID string        `json:"budgetLineId"`
	By
}

// EventType implements domain.Event.
func (Submitted) EventType() string { return "ClaimSubmitted" }

// EventType implements domain.Event.
func (Checked) EventType() string { return "ClaimChecked" }

// EventType implements domain.Event.
func (Rejected) EventType() string { return "ClaimRejected" }

// EventType implements domain.Event.
func (ApprovalRecorded) EventType() string { return "ClaimApprovalRecorded" }

// EventType implements domain.Event.
func (Approved) EventType() string { return "ClaimApproved" }

// EventType implements domain.Event.
func (DisclosureStarted) EventType() string { return "ClaimDisclosureStarted" }

// EventType implements domain.Event.
func (ObjectionRaised) EventType() string { return "ClaimObjectionRaised" }

// EventType implements domain.Event.
func (Disclosed) EventType() string { return "ClaimDisclosed" }

// EventType implements domain.Event.
func (PaymentReleased) EventType() string { return "ClaimPaymentReleased" }

// EventType implements domain.Event.
func (InstalmentPaid) EventType() string { return "ClaimInstalmentPaid" }

// EventType implements domain.Event.
func (PaymentFailed) EventType() string { return "ClaimPaymentFailed" }

// EventType implements domain.Event.
func (Cancelled) EventType() string { return "ClaimCancelled" }

// EventType implements domain.Event.
func (ClawedBack) EventType() string { return "ClaimClawedBack" }

// EventTypes is the registry of the claim's event types: each stored type
// name with a constructor of a zero value to decode into.
func EventTypes() map[string]func() domain.Event {
	return map[string]func() domain.Event{
		"ClaimSubmitted":         func() domain.Event { return &Submitted{} },
		"ClaimChecked":           func() domain.Event { return &Checked{} },
		"ClaimRejected":          func() domain.Event { return &Rejected{} },
		"ClaimApprovalRecorded":  func() domain.Event { return &ApprovalRecorded{} },
		"ClaimApproved":          func() domain.Event { return &Approved{} },
		"ClaimDisclosureStarted": func() domain.Event { return &DisclosureStarted{} },
		"ClaimObjectionRaised":   func() domain.Event { return &ObjectionRaised{} },
		"ClaimDisclosed":         func() domain.Event { return &Disclosed{} },
		"ClaimPaymentReleased":   func() domain.Event { return &PaymentReleased{} },
		"ClaimInstalmentPaid":    func() domain.Event { return &InstalmentPaid{} },
		"ClaimPaymentFailed":     func() domain.Event { return &PaymentFailed{} },
		"ClaimCancelled":         func() domain.Event { return &Cancelled{} },
		"ClaimClawedBack":        func() domain.Event { return &ClawedBack{} },
		"ClaimEvidenceRecorded":  func() domain.Event { return &EvidenceRecorded{} },
	}
}

// Decode rebuilds a stored claim event from its type name and JSON data.
func Decode(eventType string, data []byte) (domain.Event, error) {
	newEvent, ok := EventTypes()[eventType]
	if !ok {
		return nil, domain.Invalid("type", "known-event-type", "%q is not a claim event", eventType)
	}
	e := newEvent()
	if err := json.Unmarshal(data, e); err != nil {
		return nil, fmt.Errorf("decode %s: %w", eventType, err)
	}
	return e, nil
}
