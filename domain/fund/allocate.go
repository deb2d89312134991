package fund

import (
	"strings"
	"time"

	"github.com/haixi-hrss/fundledger/domain"
	"github.com/haixi-hrss/fundledger/domain/budget"
	"github.com/haixi-hrss/fundledger/domain/money"
	"github.com/haixi-hrss/fundledger/domain/programme"
	"github.com/haixi-hrss/fundledger/domain/region"
	"github.com/haixi-hrss/fundledger/domain/role"
)

// Allocate moves money from the fund's unallocated remainder to the budget
// line for one programme and county in the fund's fiscal year, named by
// budget.LineID so the line's own key always matches. It is the first step
// of the allocation process (see the package documentation).
type Allocate struct {
	// AllocationID identifies this allocation in both streams.
	AllocationID string
	Programme    programme.Code
	Region       region.Code
	Amount       money.Amount
	Actor        string
	Role         string
	At           time.Time
}

func (Allocate) fundCommand() {}

func decideAllocate(s State, c Allocate) ([]domain.Event, error) {
	if strings.TrimSpace(c.AllocationID) == "" {
		return nil, domain.Invalid("allocationId", "required", "the allocation ID is missing")
	}
	if !c.Programme.Valid() {
		return nil, domain.Invalid("programme", "programme", "%q is not a programme", c.Programme)
	}
	if !c.Region.Valid() {
		return nil, domain.Invalid("region", "haixi-region", "%q is not Haixi or one of its county-level units", c.Region)
	}
	if err := positive("amount", c.Amount); err != nil {
		return nil, err
	}
	if err := role.Authorize(c.Actor, c.Role, c.At, role.Administrator); err != nil {
		return nil, err
	}
	if err := opened(s); err != nil {
		return nil, err
	}
	if _, dup := s.Allocations[c.AllocationID]; dup {
		return nil, domain.Reject("allocation-id-unique", "allocationId", "allocation %s is already recorded", c.AllocationID)
	}
	if !paysFor(s.Kind, c.Programme) {
		return nil, domain.Reject("programme-fund-kind", "programme", "a %s fund does not pay %s", s.Kind, c.Programme)
	}
	if s.Level == County && c.Region != s.Region {
		return nil, domain.Reject("county-fund-region", "region", "a county fund of %s cannot allocate to %s", s.Region, c.Region)
	}
	if c.Amount.GreaterThan(s.Unallocated()) {
		return nil, domain.Reject("fund-unallocated", "amount", "allocating %s exceeds the fund's unallocated %s", c.Amount, s.Unallocated())
	}
	return []domain.Event{&Allocated{
		AllocationID: c.AllocationID, BudgetLineID: budget.LineID(s.ID, c.Programme, c.Region, s.FiscalYear), FundID: s.ID,
		Programme: c.Programme, Region: c.Region, FiscalYear: s.FiscalYear, Amount: c.Amount,
		Actor: c.Actor, Role: c.Role, At: c.At,
	}}, nil
}

// paysFor reports whether a fund of kind k may pay programme p: the
// programme's own fund, or the employment subsidy fund for an expansion
// grant where the provincial UI fund is short of reserves.
func paysFor(k programme.FundKind, p programme.Code) bool {
	return p.Fund() == k || (p == programme.Expansion && k == programme.EmploymentSubsidy)
}
