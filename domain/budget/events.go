package budget

import (
	"encoding/json"
	"fmt"
	"time"

	"github.com/haixi-hrss/fundledger/domain"
	"github.com/haixi-hrss/fundledger/domain/money"
	"github.com/haixi-hrss/fundledger/domain/programme"
	"github.com/haixi-hrss/fundledger/domain/region"
)

// By says who caused a budget event, in which role, and when.
type By struct {
	Actor string    `json:"actor"`
	Role  string    `json:"role"`
	At    time.Time `json:"at"`
}

// LineOpened records the first allocation's fund, programme, county and
// year, which every later allocation to the line must match.
type LineOpened struct {
	BudgetLineID string               `json:"budgetLineId"`
	FundID       string               `json:"fundId"`
	Programme    programme.Code       `json:"programme"`
	Region       region.Code          `json:"region"`
	FiscalYear   programme.FiscalYear `json:"fiscalYear"`
	By
}

// Allocated records money the line received from its fund.
type Allocated struct {
	AllocationID string       `json:"allocationId"`
	Amount       money.Amount `json:"amount"`
	By
}

// Deallocated records money the line gave back to its fund from its
// unreserved remainder.
type Deallocated struct {
	RevocationID string       `json:"revocationId"`
	Amount       money.Amount `json:"amount"`
	Reason       string       `json:"reason"`
	By
}

// FundsReserved records money held for an approved claim.
type FundsReserved struct {
	ReservationID string       `json:"reservationId"`
	ClaimID       string       `json:"claimId"`
	Amount        money.Amount `json:"amount"`
	By
}

// FundsSpent records part or all of a claim's hold paid out.
type FundsSpent struct {
	PaymentID string       `json:"paymentId"`
	ClaimID   string       `json:"claimId"`
	Amount    money.Amount `json:"amount"`
	By
}

// FundsReleased records part or all of a claim's hold made available again.
type FundsReleased struct {
	ReleaseID string       `json:"releaseId"`
	ClaimID   string       `json:"claimId"`
	Amount    money.Amount `json:"amount"`
	Reason    string       `json:"reason"`
	By
}

// FundsRecovered records money clawed back from a claim's recipient and
// credited back to the line.
type FundsRecovered struct {
	RecoveryID string       `json:"recoveryId"`
	ClaimID    string       `json:"claimId"`
	Amount     money.Amount `json:"amount"`
	Reason     string       `json:"reason"`
	By
}

// EventType implements domain.Event.
func (LineOpened) EventType() string { return "BudgetLineOpened" }

// EventType implements domain.Event.
func (Allocated) EventType() string { return "BudgetAllocated" }

// EventType implements domain.Event.
func (Deallocated) EventType() string { return "BudgetDeallocated" }

// EventType implements domain.Event.
func (FundsReserved) EventType() string { return "FundsReserved" }

// EventType implements domain.Event.
func (FundsSpent) EventType() string { return "FundsSpent" }

// EventType implements domain.Event.
func (FundsReleased) EventType() string { return "FundsReleased" }

// EventType implements domain.Event.
func (FundsRecovered) EventType() string { return "FundsRecovered" }

// EventTypes is the registry of the budget line's event types: each stored
// type name with a constructor of a zero value to decode into.
func EventTypes() map[string]func() domain.Event {
	return map[string]func() domain.Event{
		"BudgetLineOpened":  func() domain.Event { return &LineOpened{} },
		"BudgetAllocated":   func() domain.Event { return &Allocated{} },
		"BudgetDeallocated": func() domain.Event { return &Deallocated{} },
		"FundsReserved":     func() domain.Event { return &FundsReserved{} },
		"FundsSpent":        func() domain.Event { return &FundsSpent{} },
		"FundsReleased":     func() domain.Event { return &FundsReleased{} },
		"FundsRecovered":    func() domain.Event { return &FundsRecovered{} },
	}
}

// Decode rebuilds a stored budget event from its type name and JSON data.
func Decode(eventType string, data []byte) (domain.Event, error) {
	newEvent, ok := EventTypes()[eventType]
	if !ok {
		return nil, domain.Invalid("type", "known-event-type", "%q is not a budget event", eventType)
	}
	e := newEvent()
	if err := json.Unmarshal(data, e); err != nil {
		return nil, fmt.Errorf("decode %s: %w", eventType, err)
	}
	return e, nil
}
