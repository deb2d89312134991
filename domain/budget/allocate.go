package budget

import (
	"strings"
	"time"

	"github.com/haixi-hrss/fundledger/domain"
	"github.com/haixi-hrss/fundledger/domain/money"
	"github.com/haixi-hrss/fundledger/domain/programme"
	"github.com/haixi-hrss/fundledger/domain/region"
	"github.com/haixi-hrss/fundledger/domain/role"
)

// RecordAllocation takes in money its fund allocated (the fund's
// FundAllocated event), opening the line on the first allocation. It is the
// second step of the allocation process and repeats harmlessly.
type RecordAllocation struct {
	AllocationID string
	BudgetLineID string
	FundID       string
	Programme    programme.Code
	Region       region.Code
	FiscalYear   programme.FiscalYear
	Amount       money.Amount
	Actor        string
	Role         string
	At           time.Time
}

func (RecordAllocation) budgetCommand() {}

func decideAllocation(s State, c RecordAllocation) ([]domain.Event, error) {
	if strings.TrimSpace(c.BudgetLineID) == "" {
		return nil, domain.Invalid("budgetLineId", "required", "the budget line is missing")
	}
	if strings.TrimSpace(c.FundID) == "" {
		return nil, domain.Invalid("fundId", "required", "the fund is missing")
	}
	if !c.Programme.Valid() {
		return nil, domain.Invalid("programme", "programme", "%q is not a programme", c.Programme)
	}
	if !c.Region.Valid() {
		return nil, domain.Invalid("region", "haixi-region", "%q is not Haixi or one of its county-level units", c.Region)
	}
	if !c.FiscalYear.Valid() {
		return nil, domain.Invalid("fiscalYear", "fiscal-year", "fiscal year %d is outside %d–%d", c.FiscalYear, programme.MinFiscalYear, programme.MaxFiscalYear)
	}
	m := movement{opID: c.AllocationID, opField: "allocationId", amount: c.Amount, actor: c.Actor, role: c.Role, at: c.At}
	repeat, err := m.check(s, opAllocate, role.Administrator)
	if err != nil || repeat {
		return nil, err
	}
	by := By{c.Actor, c.Role, c.At}
	var events []domain.Event
	if !s.Opened {
		events = append(events, &LineOpened{
			BudgetLineID: c.BudgetLineID, FundID: c.FundID, Programme: c.Programme,
			Region: c.Region, FiscalYear: c.FiscalYear, By: by,
		})
	} else if c.BudgetLineID != s.ID || c.FundID != s.FundID || c.Programme != s.Programme || c.Region != s.Region || c.FiscalYear != s.FiscalYear {
		return nil, domain.Reject("budget-line-key", "budgetLineId", "the allocation is for %s/%s/%s/%s/%d, not this line's %s/%s/%s/%s/%d",
			c.BudgetLineID, c.FundID, c.Programme, c.Region, c.FiscalYear, s.ID, s.FundID, s.Programme, s.Region, s.FiscalYear)
	}
	return append(events, &Allocated{AllocationID: c.AllocationID, Amount: c.Amount, By: by}), nil
}

// Deallocate gives money back to the fund from the line's unreserved
// remainder: the first step of the revocation process. The fund then
// records the same revocation ID.
type Deallocate struct {
	RevocationID string
	Amount       money.Amount
	Reason       string
	Actor        string
	Role         string
	At           time.Time
}

func (Deallocate) budgetCommand() {}

func decideDeallocate(s State, c Deallocate) ([]domain.Event, error) {
	if strings.TrimSpace(c.Reason) == "" {
		return nil, domain.Invalid("reason", "required", "a revocation needs a reason")
	}
	m := movement{opID: c.RevocationID, opField: "revocationId", amount: c.Amount, actor: c.Actor, role: c.Role, at: c.At}
	repeat, err := m.check(s, opDeallocate, role.Administrator)
	if err != nil || repeat {
		return nil, err
	}
	if c.Amount.GreaterThan(s.Available()) {
		return nil, domain.Reject("budget-available", "amount", "revoking %s exceeds the line's unreserved %s", c.Amount, s.Available())
	}
	return []domain.Event{&Deallocated{RevocationID: c.RevocationID, Amount: c.Amount, Reason: c.Reason, By: By{c.Actor, c.Role, c.At}}}, nil
}
