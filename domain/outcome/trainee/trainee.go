// Package trainee is the trainee aggregate (stream trainee-<id>): a
// trainee's certification and placement. A trainee employed within the
// policy's window after certification (often 6 months) counts as placed,
// which sets the share of the training subsidy payable.
//
// A certification names the county and the training programme it is
// counted under, so evaluators can put trainees placed per county.
// Certifications recorded before those fields existed decode with both
// empty; readers count them as before (see Certified).
package trainee

import (
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/haixi-hrss/fundledger/domain"
	"github.com/haixi-hrss/fundledger/domain/calendar"
	"github.com/haixi-hrss/fundledger/domain/identity"
	"github.com/haixi-hrss/fundledger/domain/policy"
	"github.com/haixi-hrss/fundledger/domain/programme"
	"github.com/haixi-hrss/fundledger/domain/region"
	"github.com/haixi-hrss/fundledger/domain/role"
)

// Stream returns the name of a trainee's stream.
func Stream(id string) string { return "trainee-" + id }

// State is a trainee as its events leave it.
type State struct {
	ID         string       `json:"id"`
	Person     string       `json:"person"`
	Occupation string       `json:"occupation"`
	Level      policy.Level `json:"level"`
	// County and Programme are what the certification names; both are
	// empty for a certification recorded before they existed.
	County      region.Code    `json:"county,omitempty"`
	Programme   programme.Code `json:"programme,omitempty"`
	CertifiedOn calendar.Date  `json:"certifiedOn"`
	Placed      bool           `json:"placed"`
	PlacedOn    calendar.Date  `json:"placedOn"`
	Employer    string         `json:"employer,omitempty"`
	// WithinWindow reports whether the placement came within the
	// policy's window after certification.
	WithinWindow bool `json:"withinWindow"`
}

// Command is any trainee command.
type Command interface{ traineeCommand() }

// Certify records a trainee's certificate. County is the Haixi county-level
// unit (or the prefecture) whose training budget the trainee counts
// against, and Programme the training programme (vocational training or
// skill upgrade). Both are required of a new certification; only events
// recorded before they existed lack them (see Certified).
type Certify struct {
	TraineeID  string
	Person     string
	Occupation string
	Level      policy.Level
	County     region.Code
	Programme  programme.Code
	On         calendar.Date
	Actor      string
	Role       string
	At         time.Time
}

// Place records the trainee's employment; WindowMonths is the policy's
// placement window (policy.Training.PlacementMonths).
type Place struct {
	Employer     string
	On           calendar.Date
	WindowMonths int
	Actor        string
	Role         string
	At           time.Time
}

func (Certify) traineeCommand() {}
func (Place) traineeCommand()   {}

// Certified records a trainee's certificate. County and Programme say
// where the trainee is counted; a certification recorded before they
// existed has neither (schema version 1 either way, the fields are only
// added), and readers count it as they did: under vocational training, in
// the prefecture until placed, then in the county of the placing employer.
type Certified struct {
	TraineeID  string         `json:"traineeId"`
	Person     string         `json:"person"`
	Occupation string         `json:"occupation"`
	Level      policy.Level   `json:"level"`
	County     region.Code    `json:"county,omitempty"`
	Programme  programme.Code `json:"programme,omitempty"`
	On         calendar.Date  `json:"on"`
	Actor      string         `json:"actor"`
	Role       string         `json:"role"`
	At         time.Time      `json:"at"`
}

// Placed records a trainee's employment.
type Placed struct {
	Employer     string        `json:"employer"`
	On           calendar.Date `json:"on"`
	WindowMonths int           `json:"windowMonths"`
	WithinWindow bool          `json:"withinWindow"`
	Actor        string        `json:"actor"`
	Role         string        `json:"role"`
	At           time.Time     `json:"at"`
}

// EventType implements domain.Event.
func (Certified) EventType() string { return "TraineeCertified" }

// EventType implements domain.Event.
func (Placed) EventType() string { return "TraineePlaced" }

// Decide returns the events cmd causes in state s, or a *domain.FieldError
// for malformed input or a *domain.RuleError for a refused command.
func Decide(s State, cmd Command) ([]domain.Event, error) {
	switch c := cmd.(type) {
	case Certify:
		switch {
		case strings.TrimSpace(c.TraineeID) == "":
			return nil, domain.Invalid("traineeId", "required", "the trainee ID is missing")
		case strings.TrimSpace(c.Occupation) == "":
			return nil, domain.Invalid("occupation", "required", "the occupation is missing")
		case !c.Level.Valid():
			return nil, domain.Invalid("level", "certificate-level", "%q is not a certificate level", c.Level)
		case c.On.IsZero():
			return nil, domain.Invalid("on", "required", "the certification date is missing")
		case c.County == "":
			return nil, domain.Invalid("county", "required", "the county whose training budget the trainee counts against is missing")
		case !c.County.Valid():
			return nil, domain.Invalid("county", "haixi-region", "%q is not Haixi or one of its county-level units", c.County)
		case c.Programme == "":
			return nil, domain.Invalid("programme", "required", "the training programme is missing (%s or %s)", programme.VocationalTraining, programme.SkillUpgrade)
		case !trainingProgramme(c.Programme):
			return nil, domain.Invalid("programme", "training-programme", "%q is not a training programme (%s, %s)", c.Programme, programme.VocationalTraining, programme.SkillUpgrade)
		}
		if _, err := identity.ParsePersonRef("person", c.Person); err != nil {
			return nil, err
		}
		if err := role.Authorize(c.Actor, c.Role, c.At, role.Clerk); err != nil {
			return nil, err
		}
		if s.ID != "" {
			return nil, domain.Reject("trainee-certified-once", "traineeId", "trainee %s is already certified", s.ID)
		}
		return []domain.Event{&Certified{TraineeID: c.TraineeID, Person: c.Person, Occupation: c.Occupation, Level: c.Level,
			County: c.County, Programme: c.Programme, On: c.On, Actor: c.Actor, Role: c.Role, At: c.At}}, nil
	case Place:
		code, err := identity.ParseCreditCode("employer", c.Employer)
		switch {
		case err != nil && !errors.Is(err, identity.ErrNeedsReview):
			return nil, err
		case c.On.IsZero():
			return nil, domain.Invalid("on", "required", "the placement date is missing")
		case c.WindowMonths < 1:
			return nil, domain.Invalid("windowMonths", "positive", "a placement window of %d months is not a window", c.WindowMonths)
		}
		if err := role.Authorize(c.Actor, c.Role, c.At, role.Clerk); err != nil {
			return nil, err
		}
		switch {
		case s.ID == "":
			return nil, domain.Reject("trainee-certified", "traineeId", "the trainee is not certified")
		case s.Placed:
			return nil, domain.Reject("trainee-placed-once", "on", "the trainee was already placed on %s", s.PlacedOn)
		case c.On.Before(s.CertifiedOn):
			return nil, domain.Reject("placed-after-certification", "on", "placement on %s precedes certification on %s", c.On, s.CertifiedOn)
		}
		within := !c.On.After(s.CertifiedOn.AddMonths(c.WindowMonths))
		return []domain.Event{&Placed{Employer: code.String(), On: c.On, WindowMonths: c.WindowMonths, WithinWindow: within,
			Actor: c.Actor, Role: c.Role, At: c.At}}, nil
	}
	return nil, domain.Invalid("command", "known-command", "unknown trainee command %T", cmd)
}

// trainingProgramme reports whether p pays for training that ends in a
// certificate.
func trainingProgramme(p programme.Code) bool {
	return p == programme.VocationalTraining || p == programme.SkillUpgrade
}

// Evolve returns s with e applied.
func Evolve(s State, e domain.Event) State {
	switch e := e.(type) {
	case *Certified:
		s.ID, s.Person, s.Occupation, s.Level, s.CertifiedOn = e.TraineeID, e.Person, e.Occupation, e.Level, e.On
		s.County, s.Programme = e.County, e.Programme
	case *Placed:
		s.Placed, s.PlacedOn, s.Employer, s.WithinWindow = true, e.On, e.Employer, e.WithinWindow
	}
	return s
}

// EventTypes is the registry of the trainee's event types.
func EventTypes() map[string]func() domain.Event {
	return map[string]func() domain.Event{
		"TraineeCertified": func() domain.Event { return &Certified{} },
		"TraineePlaced":    func() domain.Event { return &Placed{} },
	}
}

// Decode rebuilds a stored trainee event from its type name and JSON data.
func Decode(eventType string, data []byte) (domain.Event, error) {
	newEvent, ok := EventTypes()[eventType]
	if !ok {
		return nil, domain.Invalid("type", "known-event-type", "%q is not a trainee event", eventType)
	}
	e := newEvent()
	if err := json.Unmarshal(data, e); err != nil {
		return nil, fmt.Errorf("decode %s: %w", eventType, err)
	}
	return e, nil
}
