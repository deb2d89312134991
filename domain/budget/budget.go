package budget

import (
	"fmt"
	"strings"
	"time"

	"github.com/haixi-hrss/fundledger/domain"
	"github.com/haixi-hrss/fundledger/domain/money"
	"github.com/haixi-hrss/fundledger/domain/programme"
	"github.com/haixi-hrss/fundledger/domain/region"
	"github.com/haixi-hrss/fundledger/domain/role"
)

// LineID names the budget line of a fund for one programme, county and
// fiscal year, so every allocation to the same combination lands on the
// same line.
func LineID(fundID string, p programme.Code, r region.Code, y programme.FiscalYear) string {
	return fmt.Sprintf("%s-%s-%s-%d", fundID, p, r, y)
}

// Stream returns the name of a budget line's stream.
func Stream(id string) string { return "budget-" + id }

// State is a budget line as its events leave it.
type State struct {
	ID         string               `json:"id"`
	Opened     bool                 `json:"opened"`
	FundID     string               `json:"fundId"`
	Programme  programme.Code       `json:"programme"`
	Region     region.Code          `json:"region"`
	FiscalYear programme.FiscalYear `json:"fiscalYear"`
	Allocated  money.Amount         `json:"allocated"`
	Reserved   money.Amount         `json:"reserved"`
	Spent      money.Amount         `json:"spent"`
	Released   money.Amount         `json:"released"`
	Recovered  money.Amount         `json:"recovered"`
	// Claims holds each claim's two-phase figures.
	Claims map[string]Hold `json:"claims"`
	// Ops holds every operation ID already applied.
	Ops map[string]Op `json:"ops"`
}

// Hold is one claim's money on the line.
type Hold struct {
	// Pending is reserved and neither spent nor released yet.
	Pending   money.Amount `json:"pending"`
	Spent     money.Amount `json:"spent"`
	Released  money.Amount `json:"released"`
	Recovered money.Amount `json:"recovered"`
}

// Op is an applied operation, kept to recognise a repeat.
type Op struct {
	Kind    string       `json:"kind"`
	ClaimID string       `json:"claimId,omitempty"`
	Amount  money.Amount `json:"amount"`
}

// Available is what the line can still reserve or give back to its fund.
func (s State) Available() money.Amount {
	return s.Allocated.Sub(s.Reserved).Sub(s.Spent).Add(s.Recovered)
}

// Command is any budget line command.
type Command interface{ budgetCommand() }

// Decide returns the events cmd causes in state s, or a *domain.FieldError
// for malformed input or a *domain.RuleError for a refused command. A
// repeated operation decides no events and no error.
func Decide(s State, cmd Command) ([]domain.Event, error) {
	switch c := cmd.(type) {
	case RecordAllocation:
		return decideAllocation(s, c)
	case Deallocate:
		return decideDeallocate(s, c)
	case Reserve:
		return decideReserve(s, c)
	case Spend:
		return decideSpend(s, c)
	case Release:
		return decideRelease(s, c)
	case Recover:
		return decideRecover(s, c)
	}
	return nil, domain.Invalid("command", "known-command", "unknown budget command %T", cmd)
}

// Evolve returns s with e applied; s itself is left unchanged.
func Evolve(s State, e domain.Event) State { return FoldFrom(s, e) }

// FoldFrom returns s with events applied in order; s itself is left
// unchanged. It copies s's maps once for the whole run, so folding a line
// with many claims costs time linear in its events, where one Evolve per
// event would copy the maps every time (Apply folds without copying).
func FoldFrom(s State, events ...domain.Event) State {
	s = s.Clone()
	for _, e := range events {
		s.apply(e)
	}
	return s
}

// Fold replays events from the zero state.
func Fold(events []domain.Event) State { return FoldFrom(State{}, events...) }

func (s *State) apply(e domain.Event) {
	switch e := e.(type) {
	case *LineOpened:
		s.ID, s.Opened, s.FundID = e.BudgetLineID, true, e.FundID
		s.Programme, s.Region, s.FiscalYear = e.Programme, e.Region, e.FiscalYear
	case *Allocated:
		s.Allocated = s.Allocated.Add(e.Amount)
		s.Ops[e.AllocationID] = Op{Kind: opAllocate, Amount: e.Amount}
	case *Deallocated:
		s.Allocated = s.Allocated.Sub(e.Amount)
		s.Ops[e.RevocationID] = Op{Kind: opDeallocate, Amount: e.Amount}
	case *FundsReserved:
		h := s.Claims[e.ClaimID]
		h.Pending = h.Pending.Add(e.Amount)
		s.Claims[e.ClaimID] = h
		s.Reserved = s.Reserved.Add(e.Amount)
		s.Ops[e.ReservationID] = Op{Kind: opReserve, ClaimID: e.ClaimID, Amount: e.Amount}
	case *FundsSpent:
		h := s.Claims[e.ClaimID]
		h.Pending, h.Spent = h.Pending.Sub(e.Amount), h.Spent.Add(e.Amount)
		s.Claims[e.ClaimID] = h
		s.Reserved, s.Spent = s.Reserved.Sub(e.Amount), s.Spent.Add(e.Amount)
		s.Ops[e.PaymentID] = Op{Kind: opSpend, ClaimID: e.ClaimID, Amount: e.Amount}
	case *FundsReleased:
		h := s.Claims[e.ClaimID]
		h.Pending, h.Released = h.Pending.Sub(e.Amount), h.Released.Add(e.Amount)
		s.Claims[e.ClaimID] = h
		s.Reserved, s.Released = s.Reserved.Sub(e.Amount), s.Released.Add(e.Amount)
		s.Ops[e.ReleaseID] = Op{Kind: opRelease, ClaimID: e.ClaimID, Amount: e.Amount}
	case *FundsRecovered:
		h := s.Claims[e.ClaimID]
		h.Recovered = h.Recovered.Add(e.Amount)
		s.Claims[e.ClaimID] = h
		s.Recovered = s.Recovered.Add(e.Amount)
		s.Ops[e.RecoveryID] = Op{Kind: opRecover, ClaimID: e.ClaimID, Amount: e.Amount}
	}
}

func clone[K comparable, V any](m map[K]V) map[K]V {
	c := make(map[K]V, len(m)+1)
	for k, v := range m {
		c[k] = v
	}
	return c
}

// The operation kinds kept in State.Ops.
const (
	opAllocate   = "allocate"
	opDeallocate = "deallocate"
	opReserve    = "reserve"
	opSpend      = "spend"
	opRelease    = "release"
	opRecover    = "recover"
)

// movement is what every claim movement command carries.
type movement struct {
	opID, opField, claimID string
	amount                 money.Amount
	actor, role            string
	at                     time.Time
}

// check validates a movement and reports whether it repeats an applied
// operation (decide nothing) or reuses its ID for something else.
func (m movement) check(s State, kind string, roles ...string) (repeat bool, err error) {
	if strings.TrimSpace(m.opID) == "" {
		return false, domain.Invalid(m.opField, "required", "the operation ID is missing")
	}
	if kind != opAllocate && kind != opDeallocate && strings.TrimSpace(m.claimID) == "" {
		return false, domain.Invalid("claimId", "required", "the claim is missing")
	}
	if !m.amount.IsPositive() {
		return false, domain.Invalid("amount", "positive", "amount %s must be greater than zero", m.amount)
	}
	if err := role.Authorize(m.actor, m.role, m.at, roles...); err != nil {
		return false, err
	}
	if prior, seen := s.Ops[m.opID]; seen {
		if prior.Kind == kind && prior.ClaimID == m.claimID && prior.Amount.Equal(m.amount) {
			return true, nil
		}
		return false, domain.Reject("operation-id-reused", m.opField, "operation %s was already applied as %s of %s", m.opID, prior.Kind, prior.Amount)
	}
	if kind != opAllocate && !s.Opened {
		return false, domain.Reject("budget-line-opened", "budgetLineId", "the budget line has received no allocation")
	}
	return false, nil
}
