package projections

import (
	"encoding/json"
	"fmt"
	"slices"
	"strings"

	"github.com/haixi-hrss/fundledger/domain"
	"github.com/haixi-hrss/fundledger/domain/budget"
	"github.com/haixi-hrss/fundledger/domain/fund"
	"github.com/haixi-hrss/fundledger/domain/money"
	"github.com/haixi-hrss/fundledger/domain/programme"
	"github.com/haixi-hrss/fundledger/domain/region"
	"github.com/haixi-hrss/fundledger/eventstore"
)

// BudgetLine is a finance officer's view of one budget line.
type BudgetLine struct {
	ID         string               `json:"id"`
	FundID     string               `json:"fundId"`
	Programme  programme.Code       `json:"programme"`
	Region     region.Code          `json:"region"`
	FiscalYear programme.FiscalYear `json:"fiscalYear"`
	// Allocated is net of money given back to the fund.
	Allocated money.Amount `json:"allocated"`
	// Reserved is held for approved claims, neither spent nor released.
	Reserved money.Amount `json:"reserved"`
	Spent    money.Amount `json:"spent"`
	// Released is a running total of voided reservations, for the record.
	Released  money.Amount `json:"released"`
	Recovered money.Amount `json:"recovered"`
	// Available is Allocated − Reserved − Spent + Recovered, the budget
	// aggregate's own formula.
	Available money.Amount `json:"available"`
}

// FundTotals is a finance officer's view of one fund.
type FundTotals struct {
	ID         string               `json:"id"`
	Name       string               `json:"name"`
	FiscalYear programme.FiscalYear `json:"fiscalYear"`
	Kind       programme.FundKind   `json:"kind"`
	Level      fund.Level           `json:"level"`
	Region     region.Code          `json:"region"`
	Received   money.Amount         `json:"received"`
	// Allocated is net of revocations.
	Allocated   money.Amount `json:"allocated"`
	Unallocated money.Amount `json:"unallocated"`
}

// Budgets is the officers' read model of funds and budget lines. It is not
// safe for concurrent use; while a Runner feeds it, query it inside
// Runner.Read.
type Budgets struct {
	lines map[string]*BudgetLine
	funds map[string]*FundTotals
}

// NewBudgets returns an empty model.
func NewBudgets() *Budgets {
	b := &Budgets{}
	b.Reset()
	return b
}

// Name implements Projection.
func (b *Budgets) Name() string { return "budgets" }

// Reset implements Projection.
func (b *Budgets) Reset() {
	b.lines = map[string]*BudgetLine{}
	b.funds = map[string]*FundTotals{}
}

// Line returns budget line id.
func (b *Budgets) Line(id string) (BudgetLine, bool) {
	l, ok := b.lines[id]
	if !ok {
		return BudgetLine{}, false
	}
	return *l, true
}

// Lines returns every budget line, by ID.
func (b *Budgets) Lines() []BudgetLine {
	return sorted(b.lines, func(l BudgetLine) string { return l.ID })
}

// Fund returns fund id's totals.
func (b *Budgets) Fund(id string) (FundTotals, bool) {
	f, ok := b.funds[id]
	if !ok {
		return FundTotals{}, false
	}
	return *f, true
}

// Funds returns every fund's totals, by ID.
func (b *Budgets) Funds() []FundTotals {
	return sorted(b.funds, func(f FundTotals) string { return f.ID })
}

func sorted[T any](m map[string]*T, key func(T) string) []T {
	out := make([]T, 0, len(m))
	for _, v := range m {
		out = append(out, *v)
	}
	slices.SortFunc(out, func(a, b T) int { return strings.Compare(key(a), key(b)) })
	return out
}

// Apply implements Projection. Budget events name their line only through
// their stream, budget-<line ID>; fund events likewise through fund-<ID>.
func (b *Budgets) Apply(ev domain.Event, env *eventstore.Event) error {
	switch e := ev.(type) {
	case *fund.Opened:
		b.funds[e.FundID] = &FundTotals{ID: e.FundID, Name: e.Name, FiscalYear: e.FiscalYear, Kind: e.Kind, Level: e.Level, Region: e.Region}
	case *fund.TransferReceived:
		return b.fund(env, func(f *FundTotals) { f.Received = f.Received.Add(e.Amount) })
	case *fund.Allocated:
		return b.fund(env, func(f *FundTotals) { f.Allocated = f.Allocated.Add(e.Amount) })
	case *fund.AllocationRevoked:
		return b.fund(env, func(f *FundTotals) { f.Allocated = f.Allocated.Sub(e.Amount) })
	case *budget.LineOpened:
		b.lines[e.BudgetLineID] = &BudgetLine{ID: e.BudgetLineID, FundID: e.FundID, Programme: e.Programme, Region: e.Region, FiscalYear: e.FiscalYear}
	case *budget.Allocated:
		return b.line(env, func(l *BudgetLine) { l.Allocated = l.Allocated.Add(e.Amount) })
	case *budget.Deallocated:
		return b.line(env, func(l *BudgetLine) { l.Allocated = l.Allocated.Sub(e.Amount) })
	case *budget.FundsReserved:
		return b.line(env, func(l *BudgetLine) { l.Reserved = l.Reserved.Add(e.Amount) })
	case *budget.FundsSpent:
		return b.line(env, func(l *BudgetLine) { l.Reserved, l.Spent = l.Reserved.Sub(e.Amount), l.Spent.Add(e.Amount) })
	case *budget.FundsReleased:
		return b.line(env, func(l *BudgetLine) { l.Reserved, l.Released = l.Reserved.Sub(e.Amount), l.Released.Add(e.Amount) })
	case *budget.FundsRecovered:
		return b.line(env, func(l *BudgetLine) { l.Recovered = l.Recovered.Add(e.Amount) })
	}
	return nil
}

func (b *Budgets) fund(env *eventstore.Event, change func(*FundTotals)) error {
	id := strings.TrimPrefix(env.Stream, fund.Stream(""))
	f, ok := b.funds[id]
	if !ok {
		return fmt.Errorf("%s in %s: fund %q was never opened", env.Type, env.Stream, id)
	}
	change(f)
	f.Unallocated = f.Received.Sub(f.Allocated)
	return nil
}

func (b *Budgets) line(env *eventstore.Event, change func(*BudgetLine)) error {
	id := strings.TrimPrefix(env.Stream, budget.Stream(""))
	l, ok := b.lines[id]
	if !ok {
		return fmt.Errorf("%s in %s: budget line %q was never opened", env.Type, env.Stream, id)
	}
	change(l)
	l.Available = l.Allocated.Sub(l.Reserved).Sub(l.Spent).Add(l.Recovered)
	return nil
}

// budgetsState is the persisted form: sorted slices, so equal models
// marshal to equal bytes.
type budgetsState struct {
	Funds []FundTotals `json:"funds"`
	Lines []BudgetLine `json:"lines"`
}

// MarshalState implements Projection.
func (b *Budgets) MarshalState() ([]byte, error) { return b.Freeze()() }

// Freeze implements Freezer: the funds and lines are copied now (a few
// hundred on a real ledger, however long its log) and encoded later.
func (b *Budgets) Freeze() func() ([]byte, error) {
	st := budgetsState{Funds: b.Funds(), Lines: b.Lines()}
	return func() ([]byte, error) { return json.Marshal(st) }
}

// UnmarshalState implements Projection.
func (b *Budgets) UnmarshalState(data []byte) error {
	var s budgetsState
	if err := json.Unmarshal(data, &s); err != nil {
		return fmt.Errorf("budgets: %w", err)
	}
	b.Reset()
	for i := range s.Funds {
		b.funds[s.Funds[i].ID] = &s.Funds[i]
	}
	for i := range s.Lines {
		b.lines[s.Lines[i].ID] = &s.Lines[i]
	}
	return nil
}
