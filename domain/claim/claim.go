package claim

import (
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/haixi-hrss/fundledger/domain"
	"github.com/haixi-hrss/fundledger/domain/calendar"
	"github.com/haixi-hrss/fundledger/domain/eligibility"
	"github.com/haixi-hrss/fundledger/domain/money"
	"github.com/haixi-hrss/fundledger/domain/programme"
	"github.com/haixi-hrss/fundledger/domain/region"
	"github.com/haixi-hrss/fundledger/domain/uniqueness"
)

// Stream returns the name of a claim's stream.
func Stream(id string) string { return "claim-" + id }

// Status is where a claim is in its life.
type Status string

// The statuses.
const (
	StatusSubmitted    Status = "submitted"
	StatusChecked      Status = "checked" // under review by approvers
	StatusRejected     Status = "rejected"
	StatusApproved     Status = "approved"
	StatusInDisclosure Status = "in-disclosure"
	StatusDisclosed    Status = "disclosed" // payable
	StatusPaid         Status = "paid"
	StatusCancelled    Status = "cancelled"
)

// InstalmentStatus is where one instalment's payment is.
type InstalmentStatus string

// The instalment statuses.
const (
	InstalmentScheduled InstalmentStatus = "scheduled"
	InstalmentInFlight  InstalmentStatus = "released"
	InstalmentSettled   InstalmentStatus = "paid"
	InstalmentFailed    InstalmentStatus = "failed"
	InstalmentCancelled InstalmentStatus = "cancelled"
)

// Instalment is one payment of a claim.
type Instalment struct {
	// Number counts from 1.
	Number int `json:"number"`
	// Label is the month ("2025-03") of a monthly subsidy, empty for a
	// one-off payment.
	Label  string           `json:"label,omitempty"`
	Amount money.Amount     `json:"amount"`
	Status InstalmentStatus `json:"status"`
	// PaymentID identifies the payment attempt in flight or settled.
	PaymentID string `json:"paymentId,omitempty"`
	Attempts  int    `json:"attempts"`
}

// Beneficiary is who receives the money: an employer by credit code, a
// person by keyed reference, or a training provider by credit code.
type Beneficiary struct {
	Kind string `json:"kind"`
	Ref  string `json:"ref"`
}

// The beneficiary kinds.
const (
	Employer = "employer"
	Person   = "person"
	Provider = "provider"
)

// Decision is a recorded approval.
type Decision struct {
	Actor  string    `json:"actor"`
	Role   string    `json:"role"`
	At     time.Time `json:"at"`
	Reason string    `json:"reason"`
}

// Terms are the policy parameters a checked claim keeps for its later
// steps, copied from the version it was assessed under.
type Terms struct {
	PolicyVersion         string       `json:"policyVersion"`
	TwoApproverThreshold  money.Amount `json:"twoApproverThreshold"`
	DisclosureWorkingDays int          `json:"disclosureWorkingDays"`
}

// State is a claim as its events leave it.
type State struct {
	ID             string                  `json:"id"`
	Status         Status                  `json:"status"`
	Programme      programme.Code          `json:"programme"`
	Beneficiary    Beneficiary             `json:"beneficiary"`
	Region         region.Code             `json:"region"`
	BudgetLineID   string                  `json:"budgetLineId"`
	EffectiveDate  calendar.Date           `json:"effectiveDate"`
	UniquenessKeys []uniqueness.Key        `json:"uniquenessKeys"`
	SubmittedBy    string                  `json:"submittedBy"`
	Assessment     *eligibility.Assessment `json:"assessment,omitempty"`
	Terms          Terms                   `json:"terms"`
	// Approved is the amount approved; Payable is what remains payable
	// after a cancellation, paid or not.
	Approved    money.Amount `json:"approved"`
	Payable     money.Amount `json:"payable"`
	Paid        money.Amount `json:"paid"`
	Recovered   money.Amount `json:"recovered"`
	Instalments []Instalment `json:"instalments"`
	// Round counts review rounds; an objection starts a new one.
	Round           int           `json:"round"`
	Approvals       []Decision    `json:"approvals"`
	DisclosureStart calendar.Date `json:"disclosureStart"`
	// Recoveries holds the recovery IDs already recorded.
	Recoveries []string `json:"recoveries"`
	// Evidence lists the documents received, in the order recorded.
	Evidence []Evidence `json:"evidence"`
}

// RequiredApprovals is how many different approvers the claim needs: two
// above the policy's threshold, one at or below it.
func (s State) RequiredApprovals() int {
	if s.Approved.GreaterThan(s.Terms.TwoApproverThreshold) {
		return 2
	}
	return 1
}

// ReservationID is the budget reservation of the current review round.
func (s State) ReservationID() string { return fmt.Sprintf("%s/reserve/%d", s.ID, s.Round) }

// Outstanding is what the claim still holds reserved on its budget line:
// payable and neither paid nor released.
func (s State) Outstanding() money.Amount { return s.Payable.Sub(s.Paid) }

// Command is any claim command.
type Command interface{ claimCommand() }

// Decide returns the events cmd causes in state s, or a *domain.FieldError
// for malformed input or a *domain.RuleError for a refused command.
func Decide(s State, cmd Command) ([]domain.Event, error) {
	switch c := cmd.(type) {
	case Submit:
		return decideSubmit(s, c)
	case Check:
		return decideCheck(s, c)
	case Approve:
		return decideApprove(s, c)
	case Reject:
		return decideReject(s, c)
	case StartDisclosure:
		return decideStartDisclosure(s, c)
	case RaiseObjection:
		return decideObjection(s, c)
	case CompleteDisclosure:
		return decideCompleteDisclosure(s, c)
	case ReleasePayment:
		return decideReleasePayment(s, c)
	case RecordPaymentResult:
		return decidePaymentResult(s, c)
	case Cancel:
		return decideCancel(s, c)
	case RecordClawback:
		return decideClawback(s, c)
	case RecordEvidence:
		return decideEvidence(s, c)
	}
	return nil, domain.Invalid("command", "known-command", "unknown claim command %T", cmd)
}

// Fold replays events from the zero state.
func Fold(events []domain.Event) State {
	var s State
	for _, e := range events {
		s = Evolve(s, e)
	}
	return s
}

// in refuses a command unless the claim is in one of statuses.
func in(s State, rule string, statuses ...Status) error {
	if slices.Contains(statuses, s.Status) {
		return nil
	}
	if s.Status == "" {
		return domain.Reject(rule, "claimId", "the claim has not been submitted")
	}
	return domain.Reject(rule, "status", "the claim is %s", s.Status)
}

func required(field, v, what string) error {
	if strings.TrimSpace(v) == "" {
		return domain.Invalid(field, "required", "%s is missing", what)
	}
	return nil
}

// first returns the first non-nil error.
func first(errs ...error) error {
	for _, err := range errs {
		if err != nil {
			return err
		}
	}
	return nil
}
