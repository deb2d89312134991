// Package target is the target aggregate (stream target-<county>-<year>):
// an administrator's yearly targets for one county-level unit (or the
// prefecture), one per indicator.
package target

import (
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/haixi-hrss/fundledger/domain"
	"github.com/haixi-hrss/fundledger/domain/outcome"
	"github.com/haixi-hrss/fundledger/domain/programme"
	"github.com/haixi-hrss/fundledger/domain/region"
	"github.com/haixi-hrss/fundledger/domain/role"
)

// Stream returns the name of a county's target stream for a year.
func Stream(r region.Code, y programme.FiscalYear) string { return fmt.Sprintf("target-%s-%d", r, y) }

// State is a county's targets for a year.
type State struct {
	Region  region.Code                 `json:"region"`
	Year    programme.FiscalYear        `json:"year"`
	Targets map[outcome.Indicator]int64 `json:"targets"`
}

// Command is any target command.
type Command interface{ targetCommand() }

// SetTarget sets, or with a reason replaces, the target for one indicator.
type SetTarget struct {
	Region    region.Code
	Year      programme.FiscalYear
	Indicator outcome.Indicator
	Value     int64
	Reason    string
	Actor     string
	Role      string
	At        time.Time
}

func (SetTarget) targetCommand() {}

// TargetSet records a target; Previous is the value it replaced, 0 if none.
type TargetSet struct {
	Region    region.Code          `json:"region"`
	Year      programme.FiscalYear `json:"year"`
	Indicator outcome.Indicator    `json:"indicator"`
	Value     int64                `json:"value"`
	Previous  int64                `json:"previous"`
	Reason    string               `json:"reason,omitempty"`
	Actor     string               `json:"actor"`
	Role      string               `json:"role"`
	At        time.Time            `json:"at"`
}

// EventType implements domain.Event.
func (TargetSet) EventType() string { return "TargetSet" }

// Decide returns the events cmd causes in state s, or a *domain.FieldError
// for malformed input or a *domain.RuleError for a refused command.
func Decide(s State, cmd Command) ([]domain.Event, error) {
	c, ok := cmd.(SetTarget)
	if !ok {
		return nil, domain.Invalid("command", "known-command", "unknown target command %T", cmd)
	}
	switch {
	case !c.Region.Valid():
		return nil, domain.Invalid("region", "haixi-region", "%q is not Haixi or one of its county-level units", c.Region)
	case !c.Year.Valid():
		return nil, domain.Invalid("year", "fiscal-year", "year %d is outside %d–%d", c.Year, programme.MinFiscalYear, programme.MaxFiscalYear)
	case !c.Indicator.Valid():
		return nil, domain.Invalid("indicator", "indicator", "%q is not an indicator", c.Indicator)
	case c.Value <= 0:
		return nil, domain.Invalid("value", "positive", "a target of %d is not a target", c.Value)
	}
	if err := role.Authorize(c.Actor, c.Role, c.At, role.Administrator); err != nil {
		return nil, err
	}
	if s.Region != "" && (c.Region != s.Region || c.Year != s.Year) {
		return nil, domain.Reject("target-stream", "region", "this stream holds %s %d, not %s %d", s.Region, s.Year, c.Region, c.Year)
	}
	previous, replaces := s.Targets[c.Indicator]
	if replaces && strings.TrimSpace(c.Reason) == "" {
		return nil, domain.Reject("target-change-reason", "reason", "the %s target is already %d; changing it needs a reason", c.Indicator, previous)
	}
	return []domain.Event{&TargetSet{Region: c.Region, Year: c.Year, Indicator: c.Indicator, Value: c.Value, Previous: previous,
		Reason: c.Reason, Actor: c.Actor, Role: c.Role, At: c.At}}, nil
}

// Evolve returns s with e applied; s itself is left unchanged.
func Evolve(s State, e domain.Event) State {
	targets := make(map[outcome.Indicator]int64, len(s.Targets)+1)
	for k, v := range s.Targets {
		targets[k] = v
	}
	s.Targets = targets
	if e, ok := e.(*TargetSet); ok {
		s.Region, s.Year = e.Region, e.Year
		s.Targets[e.Indicator] = e.Value
	}
	return s
}

// EventTypes is the registry of the target stream's event types.
func EventTypes() map[string]func() domain.Event {
	return map[string]func() domain.Event{"TargetSet": func() domain.Event { return &TargetSet{} }}
}

// Decode rebuilds a stored target event from its type name and JSON data.
func Decode(eventType string, data []byte) (domain.Event, error) {
	newEvent, ok := EventTypes()[eventType]
	if !ok {
		return nil, domain.Invalid("type", "known-event-type", "%q is not a target event", eventType)
	}
	e := newEvent()
	if err := json.Unmarshal(data, e); err != nil {
		return nil, fmt.Errorf("decode %s: %w", eventType, err)
	}
	return e, nil
}
