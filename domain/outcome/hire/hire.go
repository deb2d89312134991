// Package hire is the hire aggregate (stream hire-<id>): a hire a subsidy
// paid for (an expansion grant or an absorption subsidy), and whether the
// person is still insured at +3, +6 and +12 months, which is what the
// evaluators count as jobs absorbed.
package hire

import (
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/haixi-hrss/fundledger/domain"
	"github.com/haixi-hrss/fundledger/domain/calendar"
	"github.com/haixi-hrss/fundledger/domain/identity"
	"github.com/haixi-hrss/fundledger/domain/outcome"
	"github.com/haixi-hrss/fundledger/domain/role"
)

// Stream returns the name of a hire's stream.
func Stream(id string) string { return "hire-" + id }

// Status is the insured status found at a checkpoint.
type Status struct {
	AsOf    calendar.Date `json:"asOf"`
	Insured bool          `json:"insured"`
}

// State is a hire as its events leave it.
type State struct {
	ID       string        `json:"id"`
	Person   string        `json:"person"`
	Employer string        `json:"employer"`
	HiredOn  calendar.Date `json:"hiredOn"`
	Insured  bool          `json:"insured"`
	ClaimID  string        `json:"claimId,omitempty"`
	// Checkpoints maps months after the hire (3, 6, 12) to the status
	// found.
	Checkpoints map[int]Status `json:"checkpoints"`
}

// Command is any hire command.
type Command interface{ hireCommand() }

// Record records a hire: the person (by keyed reference), the employer (by
// credit code), the hiring date, whether the person was insured then, and
// the claim that paid for it, if any.
type Record struct {
	HireID   string
	Person   string
	Employer string
	HiredOn  calendar.Date
	Insured  bool
	ClaimID  string
	Actor    string
	Role     string
	At       time.Time
}

// RecordInsuredStatus records whether the person was still insured at a
// checkpoint, as of a date on or after it.
type RecordInsuredStatus struct {
	Months  int
	AsOf    calendar.Date
	Insured bool
	Actor   string
	Role    string
	At      time.Time
}

func (Record) hireCommand()              {}
func (RecordInsuredStatus) hireCommand() {}

// Recorded records a hire.
type Recorded struct {
	HireID   string        `json:"hireId"`
	Person   string        `json:"person"`
	Employer string        `json:"employer"`
	HiredOn  calendar.Date `json:"hiredOn"`
	Insured  bool          `json:"insured"`
	ClaimID  string        `json:"claimId,omitempty"`
	Actor    string        `json:"actor"`
	Role     string        `json:"role"`
	At       time.Time     `json:"at"`
}

// InsuredStatusRecorded records the status found at a checkpoint.
type InsuredStatusRecorded struct {
	Months  int           `json:"months"`
	AsOf    calendar.Date `json:"asOf"`
	Insured bool          `json:"insured"`
	Actor   string        `json:"actor"`
	Role    string        `json:"role"`
	At      time.Time     `json:"at"`
}

// EventType implements domain.Event.
func (Recorded) EventType() string { return "HireRecorded" }

// EventType implements domain.Event.
func (InsuredStatusRecorded) EventType() string { return "HireInsuredStatusRecorded" }

// Decide returns the events cmd causes in state s, or a *domain.FieldError
// for malformed input or a *domain.RuleError for a refused command.
func Decide(s State, cmd Command) ([]domain.Event, error) {
	switch c := cmd.(type) {
	case Record:
		if err := validRecord(c); err != nil {
			return nil, err
		}
		if s.ID != "" {
			return nil, domain.Reject("hire-recorded-once", "hireId", "hire %s is already recorded", s.ID)
		}
		code, _ := identity.ParseCreditCode("employer", c.Employer)
		return []domain.Event{&Recorded{HireID: c.HireID, Person: c.Person, Employer: code.String(), HiredOn: c.HiredOn,
			Insured: c.Insured, ClaimID: c.ClaimID, Actor: c.Actor, Role: c.Role, At: c.At}}, nil
	case RecordInsuredStatus:
		switch {
		case !outcome.IsCheckpoint(c.Months):
			return nil, domain.Invalid("months", "checkpoint", "%d months is not a checkpoint (3, 6 or 12)", c.Months)
		case c.AsOf.IsZero():
			return nil, domain.Invalid("asOf", "required", "the date of the finding is missing")
		}
		if err := role.Authorize(c.Actor, c.Role, c.At, role.Clerk); err != nil {
			return nil, err
		}
		if s.ID == "" {
			return nil, domain.Reject("hire-recorded", "hireId", "the hire is not recorded")
		}
		if due := s.HiredOn.AddMonths(c.Months); c.AsOf.Before(due) {
			return nil, domain.Reject("checkpoint-reached", "asOf", "the +%d-month checkpoint of a hire on %s falls on %s, after %s", c.Months, s.HiredOn, due, c.AsOf)
		}
		if _, done := s.Checkpoints[c.Months]; done {
			return nil, domain.Reject("checkpoint-once", "months", "the +%d-month status is already recorded", c.Months)
		}
		return []domain.Event{&InsuredStatusRecorded{Months: c.Months, AsOf: c.AsOf, Insured: c.Insured, Actor: c.Actor, Role: c.Role, At: c.At}}, nil
	}
	return nil, domain.Invalid("command", "known-command", "unknown hire command %T", cmd)
}

func validRecord(c Record) error {
	switch {
	case strings.TrimSpace(c.HireID) == "":
		return domain.Invalid("hireId", "required", "the hire ID is missing")
	case c.HiredOn.IsZero():
		return domain.Invalid("hiredOn", "required", "the hiring date is missing")
	}
	if _, err := identity.ParsePersonRef("person", c.Person); err != nil {
		return err
	}
	if _, err := identity.ParseCreditCode("employer", c.Employer); err != nil && !errors.Is(err, identity.ErrNeedsReview) {
		return err
	}
	return role.Authorize(c.Actor, c.Role, c.At, role.Clerk)
}

// Evolve returns s with e applied; s itself is left unchanged.
func Evolve(s State, e domain.Event) State {
	checkpoints := make(map[int]Status, len(s.Checkpoints)+1)
	for k, v := range s.Checkpoints {
		checkpoints[k] = v
	}
	s.Checkpoints = checkpoints
	switch e := e.(type) {
	case *Recorded:
		s.ID, s.Person, s.Employer, s.HiredOn = e.HireID, e.Person, e.Employer, e.HiredOn
		s.Insured, s.ClaimID = e.Insured, e.ClaimID
	case *InsuredStatusRecorded:
		s.Checkpoints[e.Months] = Status{AsOf: e.AsOf, Insured: e.Insured}
	}
	return s
}

// EventTypes is the registry of the hire's event types.
func EventTypes() map[string]func() domain.Event {
	return map[string]func() domain.Event{
		"HireRecorded":              func() domain.Event { return &Recorded{} },
		"HireInsuredStatusRecorded": func() domain.Event { return &InsuredStatusRecorded{} },
	}
}

// Decode rebuilds a stored hire event from its type name and JSON data.
func Decode(eventType string, data []byte) (domain.Event, error) {
	newEvent, ok := EventTypes()[eventType]
	if !ok {
		return nil, domain.Invalid("type", "known-event-type", "%q is not a hire event", eventType)
	}
	e := newEvent()
	if err := json.Unmarshal(data, e); err != nil {
		return nil, fmt.Errorf("decode %s: %w", eventType, err)
	}
	return e, nil
}
