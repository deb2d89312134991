package fund

import (
	"github.com/haixi-hrss/fundledger/domain"
	"github.com/haixi-hrss/fundledger/domain/money"
	"github.com/haixi-hrss/fundledger/domain/programme"
	"github.com/haixi-hrss/fundledger/domain/region"
)

// Stream returns the name of a fund's stream.
func Stream(id string) string { return "fund-" + id }

// Level is the level of government that holds a fund.
type Level string

// The levels money flows down through.
const (
	Central    Level = "central"
	Province   Level = "province"
	Prefecture Level = "prefecture"
	County     Level = "county"
)

func (l Level) valid() bool {
	switch l {
	case Central, Province, Prefecture, County:
		return true
	}
	return false
}

// State is a fund as its events leave it.
type State struct {
	ID         string               `json:"id"`
	Opened     bool                 `json:"opened"`
	Name       string               `json:"name"`
	FiscalYear programme.FiscalYear `json:"fiscalYear"`
	Kind       programme.FundKind   `json:"kind"`
	Level      Level                `json:"level"`
	Region     region.Code          `json:"region"`
	// Received is the sum of every transfer received.
	Received money.Amount `json:"received"`
	// Allocated is what budget lines hold from this fund, net of
	// revocations.
	Allocated money.Amount `json:"allocated"`
	// Documents holds the transfer document numbers already received.
	Documents map[string]money.Amount `json:"documents"`
	// Lines holds the net amount allocated to each budget line.
	Lines map[string]money.Amount `json:"lines"`
	// Allocations and Revocations hold the process IDs already recorded, so
	// a repeated process step is recognised.
	Allocations map[string]Movement `json:"allocations"`
	Revocations map[string]Movement `json:"revocations"`
}

// Movement is one allocation or revocation as recorded.
type Movement struct {
	BudgetLineID string       `json:"budgetLineId"`
	Amount       money.Amount `json:"amount"`
}

// Unallocated is what the fund can still allocate.
func (s State) Unallocated() money.Amount { return s.Received.Sub(s.Allocated) }

// Command is any fund command.
type Command interface{ fundCommand() }

// Decide returns the events cmd causes in state s, or a *domain.FieldError
// for malformed input or a *domain.RuleError for a refused command.
func Decide(s State, cmd Command) ([]domain.Event, error) {
	switch c := cmd.(type) {
	case Open:
		return decideOpen(s, c)
	case ReceiveTransfer:
		return decideReceive(s, c)
	case Allocate:
		return decideAllocate(s, c)
	case RecordRevocation:
		return decideRevocation(s, c)
	}
	return nil, domain.Invalid("command", "known-command", "unknown fund command %T", cmd)
}

// Evolve returns s with e applied; s itself is left unchanged. Events of
// other aggregates leave the state as it was.
func Evolve(s State, e domain.Event) State {
	s.Documents = clone(s.Documents)
	s.Lines = clone(s.Lines)
	s.Allocations = clone(s.Allocations)
	s.Revocations = clone(s.Revocations)
	switch e := e.(type) {
	case *Opened:
		s.ID, s.Opened, s.Name = e.FundID, true, e.Name
		s.FiscalYear, s.Kind, s.Level, s.Region = e.FiscalYear, e.Kind, e.Level, e.Region
	case *TransferReceived:
		s.Received = s.Received.Add(e.Amount)
		s.Documents[e.Document] = e.Amount
	case *Allocated:
		s.Allocated = s.Allocated.Add(e.Amount)
		s.Lines[e.BudgetLineID] = s.Lines[e.BudgetLineID].Add(e.Amount)
		s.Allocations[e.AllocationID] = Movement{e.BudgetLineID, e.Amount}
	case *AllocationRevoked:
		s.Allocated = s.Allocated.Sub(e.Amount)
		s.Lines[e.BudgetLineID] = s.Lines[e.BudgetLineID].Sub(e.Amount)
		s.Revocations[e.RevocationID] = Movement{e.BudgetLineID, e.Amount}
	}
	return s
}

// Fold replays events from the zero state.
func Fold(events []domain.Event) State {
	var s State
	for _, e := range events {
		s = Evolve(s, e)
	}
	return s
}

func clone[K comparable, V any](m map[K]V) map[K]V {
	c := make(map[K]V, len(m)+1)
	for k, v := range m {
		c[k] = v
	}
	return c
}

func opened(s State) error {
	if !s.Opened {
		return domain.Reject("fund-opened", "fundId", "the fund has not been opened")
	}
	return nil
}

func positive(field string, a money.Amount) error {
	if !a.IsPositive() {
		return domain.Invalid(field, "positive", "amount %s must be greater than zero", a)
	}
	return nil
}
