// Package employer is the employer aggregate (stream employer-<credit
// code>): a unit registered by its unified social credit code, with the
// monthly insured headcounts and unemployment-insurance premiums the
// stabilization refund is computed from, its layoffs, and the serious-
// dishonesty (严重失信) flag that excludes it from refunds.
//
// A credit code that fails only its check character may be a legal early
// pilot code: it is registered with NeedsManualReview set, and stays so
// until an approver confirms it.
package employer

import (
	"encoding/json"
	"fmt"
	"slices"
	"strings"

	"github.com/haixi-hrss/fundledger/domain"
	"github.com/haixi-hrss/fundledger/domain/calendar"
	"github.com/haixi-hrss/fundledger/domain/money"
)

// Stream returns the name of an employer's stream.
func Stream(code string) string { return "employer-" + code }

// SizeClass is the unit's size per the national statistical
// classification; the policy says which classes count as large.
type SizeClass string

// The size classes.
const (
	Large  SizeClass = "large"
	Medium SizeClass = "medium"
	Small  SizeClass = "small"
	Micro  SizeClass = "micro"
)

func (c SizeClass) valid() bool { return c == Large || c == Medium || c == Small || c == Micro }

// Month is one month's report.
type Month struct {
	InsuredHeadcount int          `json:"insuredHeadcount"`
	PremiumsPaid     money.Amount `json:"premiumsPaid"`
}

// Layoff is one recorded layoff.
type Layoff struct {
	On     calendar.Date `json:"on"`
	Count  int           `json:"count"`
	Reason string        `json:"reason"`
}

// State is an employer as its events leave it.
type State struct {
	CreditCode        string           `json:"creditCode"`
	Registered        bool             `json:"registered"`
	Name              string           `json:"name"`
	UnitType          string           `json:"unitType"`
	SizeClass         SizeClass        `json:"sizeClass"`
	Region            string           `json:"region"`
	NeedsManualReview bool             `json:"needsManualReview"`
	Months            map[string]Month `json:"months"`
	Layoffs           []Layoff         `json:"layoffs"`
	Dishonest         bool             `json:"dishonest"`
	DishonestReason   string           `json:"dishonestReason,omitempty"`
}

// PremiumsPaidIn is the UI premiums the unit paid in the months of year.
func (s State) PremiumsPaidIn(year int) money.Amount {
	var sum money.Amount
	for m, v := range s.Months {
		if m[:4] == fmt.Sprint(year) {
			sum = sum.Add(v.PremiumsPaid)
		}
	}
	return sum
}

// LaidOffIn is the number of staff laid off in year.
func (s State) LaidOffIn(year int) int {
	n := 0
	for _, l := range s.Layoffs {
		if l.On.Year() == year {
			n += l.Count
		}
	}
	return n
}

// Command is any employer command.
type Command interface{ employerCommand() }

// Decide returns the events cmd causes in state s, or a *domain.FieldError
// for malformed input or a *domain.RuleError for a refused command.
func Decide(s State, cmd Command) ([]domain.Event, error) {
	switch c := cmd.(type) {
	case Register:
		return decideRegister(s, c)
	case ConfirmCreditCode:
		return decideConfirm(s, c)
	case ReportMonth:
		return decideReportMonth(s, c)
	case RecordLayoffs:
		return decideLayoffs(s, c)
	case FlagDishonesty:
		return decideFlag(s, c)
	case ClearDishonesty:
		return decideClear(s, c)
	}
	return nil, domain.Invalid("command", "known-command", "unknown employer command %T", cmd)
}

// Evolve returns s with e applied; s itself is left unchanged.
func Evolve(s State, e domain.Event) State {
	months := make(map[string]Month, len(s.Months)+1)
	for k, v := range s.Months {
		months[k] = v
	}
	s.Months, s.Layoffs = months, slices.Clone(s.Layoffs)
	switch e := e.(type) {
	case *Registered:
		s.CreditCode, s.Registered, s.Name, s.UnitType = e.CreditCode, true, e.Name, e.UnitType
		s.SizeClass, s.Region, s.NeedsManualReview = e.SizeClass, e.Region, e.NeedsManualReview
	case *CreditCodeConfirmed:
		s.NeedsManualReview = false
	case *MonthReported:
		s.Months[e.Month] = Month{InsuredHeadcount: e.InsuredHeadcount, PremiumsPaid: e.PremiumsPaid}
	case *LayoffsRecorded:
		s.Layoffs = append(s.Layoffs, Layoff{On: e.On, Count: e.Count, Reason: e.Reason})
	case *DishonestyFlagged:
		s.Dishonest, s.DishonestReason = true, e.Reason
	case *DishonestyCleared:
		s.Dishonest, s.DishonestReason = false, ""
	}
	return s
}

// EventTypes is the registry of the employer's event types: each stored
// type name with a constructor of a zero value to decode into.
func EventTypes() map[string]func() domain.Event {
	return map[string]func() domain.Event{
		"EmployerRegistered":          func() domain.Event { return &Registered{} },
		"EmployerCreditCodeConfirmed": func() domain.Event { return &CreditCodeConfirmed{} },
		"EmployerMonthReported":       func() domain.Event { return &MonthReported{} },
		"EmployerLayoffsRecorded":     func() domain.Event { return &LayoffsRecorded{} },
		"EmployerDishonestyFlagged":   func() domain.Event { return &DishonestyFlagged{} },
		"EmployerDishonestyCleared":   func() domain.Event { return &DishonestyCleared{} },
	}
}

// Decode rebuilds a stored employer event from its type name and JSON data.
func Decode(eventType string, data []byte) (domain.Event, error) {
	newEvent, ok := EventTypes()[eventType]
	if !ok {
		return nil, domain.Invalid("type", "known-event-type", "%q is not an employer event", eventType)
	}
	e := newEvent()
	if err := json.Unmarshal(data, e); err != nil {
		return nil, fmt.Errorf("decode %s: %w", eventType, err)
	}
	return e, nil
}

func registered(s State) error {
	if !s.Registered {
		return domain.Reject("employer-registered", "creditCode", "the employer is not registered")
	}
	return nil
}

func reason(r string) error {
	if strings.TrimSpace(r) == "" {
		return domain.Invalid("reason", "required", "a reason is required")
	}
	return nil
}
