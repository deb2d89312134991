package employer

import (
	"time"

	"github.com/haixi-hrss/fundledger/domain/calendar"
	"github.com/haixi-hrss/fundledger/domain/money"
)

// By says who recorded an employer event, in which role, and when.
type By struct {
	Actor string    `json:"actor"`
	Role  string    `json:"role"`
	At    time.Time `json:"at"`
}

// Registered records an employer's registration.
type Registered struct {
	CreditCode        string    `json:"creditCode"`
	Name              string    `json:"name"`
	UnitType          string    `json:"unitType"`
	SizeClass         SizeClass `json:"sizeClass"`
	Region            string    `json:"region"`
	NeedsManualReview bool      `json:"needsManualReview"`
	ReviewDetail      string    `json:"reviewDetail,omitempty"`
	By
}

// CreditCodeConfirmed records an approver's confirmation of a credit code
// that failed its check character.
type CreditCodeConfirmed struct {
	Reason string `json:"reason"`
	By
}

// MonthReported records a month's insured headcount and UI premiums paid
// (unit and staff shares, without arrears or late fees); Correction holds
// the reason when it replaces an earlier report.
type MonthReported struct {
	Month            string       `json:"month"`
	InsuredHeadcount int          `json:"insuredHeadcount"`
	PremiumsPaid     money.Amount `json:"premiumsPaid"`
	Correction       string       `json:"correction,omitempty"`
	By
}

// LayoffsRecorded records staff laid off on a date.
type LayoffsRecorded struct {
	On     calendar.Date `json:"on"`
	Count  int           `json:"count"`
	Reason string        `json:"reason"`
	By
}

// DishonestyFlagged records the unit's listing as seriously dishonest.
type DishonestyFlagged struct {
	On     calendar.Date `json:"on"`
	Reason string        `json:"reason"`
	By
}

// DishonestyCleared records the unit's removal from the list.
type DishonestyCleared struct {
	On     calendar.Date `json:"on"`
	Reason string        `json:"reason"`
	By
}

// EventType implements domain.Event.
func (Registered) EventType() string { return "EmployerRegistered" }

// EventType implements domain.Event.
func (CreditCodeConfirmed) EventType() string { return "EmployerCreditCodeConfirmed" }

// EventType implements domain.Event.
func (MonthReported) EventType() string { return "EmployerMonthReported" }

// EventType implements domain.Event.
func (LayoffsRecorded) EventType() string { return "EmployerLayoffsRecorded" }

// EventType implements domain.Event.
func (DishonestyFlagged) EventType() string { return "EmployerDishonestyFlagged" }

// EventType implements domain.Event.
func (DishonestyCleared) EventType() string { return "EmployerDishonestyCleared" }
