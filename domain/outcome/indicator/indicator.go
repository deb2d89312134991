// Package indicator is the indicator aggregate (stream
// indicator-<county>-<year>): the employment indicators a county-level unit
// (or the prefecture) reports by month, whose year-to-date totals are
// measured against the targets.
package indicator

import (
	"encoding/json"
	"fmt"
	"regexp"
	"strings"
	"time"

	"github.com/haixi-hrss/fundledger/domain"
	"github.com/haixi-hrss/fundledger/domain/outcome"
	"github.com/haixi-hrss/fundledger/domain/programme"
	"github.com/haixi-hrss/fundledger/domain/region"
	"github.com/haixi-hrss/fundledger/domain/role"
)

// Stream returns the name of a county's indicator stream for a year.
func Stream(r region.Code, y programme.FiscalYear) string {
	return fmt.Sprintf("indicator-%s-%d", r, y)
}

// State is a county's indicators for a year: for each indicator, the value
// recorded for each month ("2025-03").
type State struct {
	Region region.Code                            `json:"region"`
	Year   programme.FiscalYear                   `json:"year"`
	Values map[outcome.Indicator]map[string]int64 `json:"values"`
}

// Total is the year-to-date sum of an indicator over the months recorded.
func (s State) Total(i outcome.Indicator) int64 {
	var sum int64
	for _, v := range s.Values[i] {
		sum += v
	}
	return sum
}

// Command is any indicator command.
type Command interface{ indicatorCommand() }

// Record records one indicator's value for one month of the year. A second
// value for the same month must say why it corrects the first.
type Record struct {
	Region     region.Code
	Year       programme.FiscalYear
	Indicator  outcome.Indicator
	Month      string
	Value      int64
	Correction string
	Actor      string
	Role       string
	At         time.Time
}

func (Record) indicatorCommand() {}

// Recorded records an indicator's value for a month.
type Recorded struct {
	Region     region.Code          `json:"region"`
	Year       programme.FiscalYear `json:"year"`
	Indicator  outcome.Indicator    `json:"indicator"`
	Month      string               `json:"month"`
	Value      int64                `json:"value"`
	Correction string               `json:"correction,omitempty"`
	Actor      string               `json:"actor"`
	Role       string               `json:"role"`
	At         time.Time            `json:"at"`
}

// EventType implements domain.Event.
func (Recorded) EventType() string { return "IndicatorRecorded" }

var monthPattern = regexp.MustCompile(`^[0-9]{4}-(0[1-9]|1[0-2])$`)

// Decide returns the events cmd causes in state s, or a *domain.FieldError
// for malformed input or a *domain.RuleError for a refused command.
func Decide(s State, cmd Command) ([]domain.Event, error) {
	c, ok := cmd.(Record)
	if !ok {
		return nil, domain.Invalid("command", "known-command", "unknown indicator command %T", cmd)
	}
	switch {
	case !c.Region.Valid():
		return nil, domain.Invalid("region", "haixi-region", "%q is not Haixi or one of its county-level units", c.Region)
	case !c.Year.Valid():
		return nil, domain.Invalid("year", "fiscal-year", "year %d is outside %d–%d", c.Year, programme.MinFiscalYear, programme.MaxFiscalYear)
	case !c.Indicator.Valid():
		return nil, domain.Invalid("indicator", "indicator", "%q is not an indicator", c.Indicator)
	case !monthPattern.MatchString(c.Month) || c.Month[:4] != fmt.Sprint(int(c.Year)):
		return nil, domain.Invalid("month", "month-of-year", "%q is not a month of %d such as %d-03", c.Month, c.Year, c.Year)
	case c.Value < 0:
		return nil, domain.Invalid("value", "not-negative", "a value of %d is negative", c.Value)
	}
	if err := role.Authorize(c.Actor, c.Role, c.At, role.Clerk); err != nil {
		return nil, err
	}
	if s.Region != "" && (c.Region != s.Region || c.Year != s.Year) {
		return nil, domain.Reject("indicator-stream", "region", "this stream holds %s %d, not %s %d", s.Region, s.Year, c.Region, c.Year)
	}
	if _, done := s.Values[c.Indicator][c.Month]; done && strings.TrimSpace(c.Correction) == "" {
		return nil, domain.Reject("month-recorded-once", "month", "%s for %s is already recorded; a correction needs a reason", c.Indicator, c.Month)
	}
	return []domain.Event{&Recorded{Region: c.Region, Year: c.Year, Indicator: c.Indicator, Month: c.Month, Value: c.Value,
		Correction: c.Correction, Actor: c.Actor, Role: c.Role, At: c.At}}, nil
}

// Evolve returns s with e applied; s itself is left unchanged.
func Evolve(s State, e domain.Event) State {
	r, ok := e.(*Recorded)
	if !ok {
		return s
	}
	values := make(map[outcome.Indicator]map[string]int64, len(s.Values)+1)
	for k, v := range s.Values {
		values[k] = v
	}
	months := make(map[string]int64, len(values[r.Indicator])+1)
	for k, v := range values[r.Indicator] {
		months[k] = v
	}
	months[r.Month] = r.Value
	values[r.Indicator] = months
	s.Region, s.Year, s.Values = r.Region, r.Year, values
	return s
}

// EventTypes is the registry of the indicator stream's event types.
func EventTypes() map[string]func() domain.Event {
	return map[string]func() domain.Event{"IndicatorRecorded": func() domain.Event { return &Recorded{} }}
}

// Decode rebuilds a stored indicator event from its type name and JSON data.
func Decode(eventType string, data []byte) (domain.Event, error) {
	newEvent, ok := EventTypes()[eventType]
	if !ok {
		return nil, domain.Invalid("type", "known-event-type", "%q is not an indicator event", eventType)
	}
	e := newEvent()
	if err := json.Unmarshal(data, e); err != nil {
		return nil, fmt.Errorf("decode %s: %w", eventType, err)
	}
	return e, nil
}
