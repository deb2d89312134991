// Package factor is the factor method (因素法) of allocating next year's
// money over the counties: the administrator publishes the year's weights
// as policy data (stream factors-<year>), and Suggest turns the weights and
// each county's factors into a suggested amount per county, with every
// intermediate figure shown so an evaluator can recompute it by hand.
//
// Factors, in three families as the performance-evaluation rules group
// them: base factors (tasks, population), input factors (local co-funding,
// fiscal difficulty) and performance factors (budget execution rate,
// outcomes). A county that spent slowly (execution rate below a
// threshold) has its score cut by a deduction rate.
package factor

import (
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/shopspring/decimal"

	"github.com/haixi-hrss/fundledger/domain"
	"github.com/haixi-hrss/fundledger/domain/programme"
	"github.com/haixi-hrss/fundledger/domain/role"
)

// Stream returns the name of the stream of year y's weights.
func Stream(y programme.FiscalYear) string { return fmt.Sprintf("factors-%d", y) }

// Weights are the factor method's policy data for one allocation year.
// The six factor weights are each in [0, 1] and sum to exactly 1.
type Weights struct {
	// Base factors.
	Tasks      decimal.Decimal `json:"tasks"`
	Population decimal.Decimal `json:"population"`
	// Input factors.
	CoFunding        decimal.Decimal `json:"coFunding"`
	FiscalDifficulty decimal.Decimal `json:"fiscalDifficulty"`
	// Performance factors.
	Execution decimal.Decimal `json:"execution"`
	Outcomes  decimal.Decimal `json:"outcomes"`
	// SlowSpendingBelow is the execution rate (a ratio in [0, 1]) below
	// which a county's score is cut by SlowSpendingDeduction (a ratio in
	// [0, 1]); zero disables the deduction.
	SlowSpendingBelow     decimal.Decimal `json:"slowSpendingBelow"`
	SlowSpendingDeduction decimal.Decimal `json:"slowSpendingDeduction"`
}

var one = decimal.NewFromInt(1)

// Validate checks the weights; the error is a *domain.FieldError naming
// the field ("weights.tasks", ...) and the rule.
func (w Weights) Validate() error {
	sum := decimal.Zero
	for _, f := range w.fields() {
		if f.v.IsNegative() || f.v.GreaterThan(one) {
			return domain.Invalid("weights."+f.name, "unit-interval", "%s is %s, outside [0, 1]", f.name, f.v)
		}
		if f.factor {
			sum = sum.Add(f.v)
		}
	}
	if !sum.Equal(one) {
		return domain.Invalid("weights", "sum-to-one", "the six factor weights sum to %s, not 1", sum)
	}
	return nil
}

type namedValue struct {
	name   string
	v      decimal.Decimal
	factor bool
}

func (w Weights) fields() []namedValue {
	return []namedValue{
		{"tasks", w.Tasks, true}, {"population", w.Population, true},
		{"coFunding", w.CoFunding, true}, {"fiscalDifficulty", w.FiscalDifficulty, true},
		{"execution", w.Execution, true}, {"outcomes", w.Outcomes, true},
		{"slowSpendingBelow", w.SlowSpendingBelow, false}, {"slowSpendingDeduction", w.SlowSpendingDeduction, false},
	}
}

// equal compares weights by value, whatever the decimals' exponents.
func (w Weights) equal(v Weights) bool {
	a, b := w.fields(), v.fields()
	for i := range a {
		if !a[i].v.Equal(b[i].v) {
			return false
		}
	}
	return true
}

// State is one year's published weights.
type State struct {
	Year     programme.FiscalYear `json:"year"`
	Weights  Weights              `json:"weights"`
	Document string               `json:"document"`
	// Version counts publications: 1 for the first, +1 per change.
	Version int `json:"version"`
}

// Command is any factor-weights command.
type Command interface{ factorCommand() }

// Publish publishes, or with a reason replaces, year Year's weights.
type Publish struct {
	Year    programme.FiscalYear
	Weights Weights
	// Document cites the policy text the weights come from.
	Document string
	Reason   string
	Actor    string
	Role     string
	At       time.Time
}

func (Publish) factorCommand() {}

// WeightsPublished records a year's weights; Version is 1 for the first
// publication and counts up with each change.
type WeightsPublished struct {
	Year     programme.FiscalYear `json:"year"`
	Weights  Weights              `json:"weights"`
	Document string               `json:"document"`
	Version  int                  `json:"version"`
	Reason   string               `json:"reason,omitempty"`
	Actor    string               `json:"actor"`
	Role     string               `json:"role"`
	At       time.Time            `json:"at"`
}

// EventType implements domain.Event.
func (WeightsPublished) EventType() string { return "FactorWeightsPublished" }

// Decide returns the events cmd causes in state s, or a *domain.FieldError
// for malformed input or a *domain.RuleError for a refused command.
// Publishing the very weights and document in force again decides
// nothing, so a retry is harmless.
func Decide(s State, cmd Command) ([]domain.Event, error) {
	c, ok := cmd.(Publish)
	if !ok {
		return nil, domain.Invalid("command", "known-command", "unknown factor command %T", cmd)
	}
	switch {
	case !c.Year.Valid():
		return nil, domain.Invalid("year", "fiscal-year", "year %d is outside %d–%d", c.Year, programme.MinFiscalYear, programme.MaxFiscalYear)
	case strings.TrimSpace(c.Document) == "":
		return nil, domain.Invalid("document", "required", "the policy document the weights come from is required")
	}
	if err := c.Weights.Validate(); err != nil {
		return nil, err
	}
	if err := role.Authorize(c.Actor, c.Role, c.At, role.Administrator); err != nil {
		return nil, err
	}
	if s.Version > 0 {
		if c.Year != s.Year {
			return nil, domain.Reject("factor-stream", "year", "this stream holds %d's weights, not %d's", s.Year, c.Year)
		}
		if s.Weights.equal(c.Weights) && s.Document == c.Document {
			return nil, nil
		}
		if strings.TrimSpace(c.Reason) == "" {
			return nil, domain.Reject("factor-weights-change-reason", "reason", "%d's weights are published (version %d); changing them needs a reason", s.Year, s.Version)
		}
	}
	return []domain.Event{&WeightsPublished{Year: c.Year, Weights: c.Weights, Document: c.Document, Version: s.Version + 1,
		Reason: c.Reason, Actor: c.Actor, Role: c.Role, At: c.At}}, nil
}

// Evolve returns s with e applied.
func Evolve(s State, e domain.Event) State {
	if p, ok := e.(*WeightsPublished); ok {
		s = State{Year: p.Year, Weights: p.Weights, Document: p.Document, Version: p.Version}
	}
	return s
}

// EventTypes is the registry of the factor-weights stream's event types.
func EventTypes() map[string]func() domain.Event {
	return map[string]func() domain.Event{"FactorWeightsPublished": func() domain.Event { return &WeightsPublished{} }}
}

// Decode rebuilds a stored factor event from its type name and JSON data.
func Decode(eventType string, data []byte) (domain.Event, error) {
	newEvent, ok := EventTypes()[eventType]
	if !ok {
		return nil, domain.Invalid("type", "known-event-type", "%q is not a factor event", eventType)
	}
	e := newEvent()
	if err := json.Unmarshal(data, e); err != nil {
		return nil, fmt.Errorf("decode %s: %w", eventType, err)
	}
	return e, nil
}
