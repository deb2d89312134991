package fund

import (
	"encoding/json"
	"fmt"
	"time"

	"github.com/haixi-hrss/fundledger/domain"
	"github.com/haixi-hrss/fundledger/domain/calendar"
	"github.com/haixi-hrss/fundledger/domain/money"
	"github.com/haixi-hrss/fundledger/domain/programme"
	"github.com/haixi-hrss/fundledger/domain/region"
)

// Opened records that a fund was opened.
type Opened struct {
	FundID     string               `json:"fundId"`
	Name       string               `json:"name"`
	FiscalYear programme.FiscalYear `json:"fiscalYear"`
	Kind       programme.FundKind   `json:"kind"`
	Level      Level                `json:"level"`
	Region     region.Code          `json:"region"`
	Actor      string               `json:"actor"`
	Role       string               `json:"role"`
	At         time.Time            `json:"at"`
}

// TransferReceived records money received into the fund under a transfer
// document.
type TransferReceived struct {
	Document   string        `json:"document"`
	Amount     money.Amount  `json:"amount"`
	Source     string        `json:"source"`
	ReceivedOn calendar.Date `json:"receivedOn"`
	Actor      string        `json:"actor"`
	Role       string        `json:"role"`
	At         time.Time     `json:"at"`
}

// Allocated records money the fund allocated to a budget line. The budget
// line records the same allocation ID when it takes the money in.
type Allocated struct {
	AllocationID string               `json:"allocationId"`
	BudgetLineID string               `json:"budgetLineId"`
	FundID       string               `json:"fundId"`
	Programme    programme.Code       `json:"programme"`
	Region       region.Code          `json:"region"`
	FiscalYear   programme.FiscalYear `json:"fiscalYear"`
	Amount       money.Amount         `json:"amount"`
	Actor        string               `json:"actor"`
	Role         string               `json:"role"`
	At           time.Time            `json:"at"`
}

// AllocationRevoked records money a budget line gave back to the fund after
// the budget line released it from its unreserved remainder.
type AllocationRevoked struct {
	RevocationID string       `json:"revocationId"`
	BudgetLineID string       `json:"budgetLineId"`
	Amount       money.Amount `json:"amount"`
	Reason       string       `json:"reason"`
	Actor        string       `json:"actor"`
	Role         string       `json:"role"`
	At           time.Time    `json:"at"`
}

// EventType implements domain.Event.
func (Opened) EventType() string { return "FundOpened" }

// EventType implements domain.Event.
func (TransferReceived) EventType() string { return "FundTransferReceived" }

// EventType implements domain.Event.
func (Allocated) EventType() string { return "FundAllocated" }

// EventType implements domain.Event.
func (AllocationRevoked) EventType() string { return "FundAllocationRevoked" }

// EventTypes is the registry of the fund's event types: each stored type
// name with a constructor of a zero value to decode into.
func EventTypes() map[string]func() domain.Event {
	return map[string]func() domain.Event{
		"FundOpened":            func() domain.Event { return &Opened{} },
		"FundTransferReceived":  func() domain.Event { return &TransferReceived{} },
		"FundAllocated":         func() domain.Event { return &Allocated{} },
		"FundAllocationRevoked": func() domain.Event { return &AllocationRevoked{} },
	}
}

// Decode rebuilds a stored fund event from its type name and JSON data.
func Decode(eventType string, data []byte) (domain.Event, error) {
	newEvent, ok := EventTypes()[eventType]
	if !ok {
		return nil, domain.Invalid("type", "known-event-type", "%q is not a fund event", eventType)
	}
	e := newEvent()
	if err := json.Unmarshal(data, e); err != nil {
		return nil, fmt.Errorf("decode %s: %w", eventType, err)
	}
	return e, nil
}
