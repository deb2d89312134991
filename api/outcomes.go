package api

import (
	"net/http"
	"regexp"

	"github.com/labstack/echo/v4"

	"github.com/haixi-hrss/fundledger/domain"
	"github.com/haixi-hrss/fundledger/domain/calendar"
	"github.com/haixi-hrss/fundledger/domain/identity"
	"github.com/haixi-hrss/fundledger/domain/outcome/hire"
	"github.com/haixi-hrss/fundledger/domain/outcome/trainee"
	"github.com/haixi-hrss/fundledger/domain/policy"
	"github.com/haixi-hrss/fundledger/domain/programme"
	"github.com/haixi-hrss/fundledger/domain/region"
	"github.com/haixi-hrss/fundledger/ledger"
	"github.com/haixi-hrss/fundledger/ledger/schema"
)

// recordID is the form of the hire and trainee IDs, as the domain
// requires of claim and fund IDs: they become stream names.
var recordID = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$`)

func checkRecordID(field, id string) error {
	if !recordID.MatchString(id) {
		return domain.Invalid(field, "stream-id", "%s must be 1–64 letters, digits, '.', '_' or '-'", field)
	}
	return nil
}

// personOf returns the person reference a request names, either directly
// or through a resident ID turned into its reference with the ledger's
// secret; it clears the resident ID so it is never fingerprinted.
func (s *server) personOf(ref string, residentID *string) (string, error) {
	if *residentID == "" {
		return ref, nil
	}
	plain := *residentID
	*residentID = ""
	if ref != "" {
		return "", domain.Invalid("residentId", "one-of", "send either person or residentId, not both")
	}
	if s.cfg.Persons == nil {
		return "", newProblem("resident-id-not-accepted", "residentId", "ledger-secret", "this server has no ledger secret; send the person reference")
	}
	id, err := identity.ParseResidentID("residentId", plain)
	if err != nil {
		return "", err
	}
	return string(s.cfg.Persons.Ref(id)), nil
}

// HireRequest records a hire whose outcome is followed.
type HireRequest struct {
	HireID     string        `json:"hireId"`
	Person     string        `json:"person,omitempty"`
	ResidentID string        `json:"residentId,omitempty"`
	Employer   string        `json:"employer"`
	HiredOn    calendar.Date `json:"hiredOn"`
	Insured    bool          `json:"insured"`
	ClaimID    string        `json:"claimId,omitempty"`
}

func (s *server) recordHire(c echo.Context) error {
	return runOne(s, c, oneCommand[HireRequest, hire.State, hire.Command]{
		name: "RecordHire", step: "hire",
		prepare: func(_ *request, in *HireRequest) (err error) {
			if in.Person, err = s.personOf(in.Person, &in.ResidentID); err != nil {
				return err
			}
			return checkRecordID("hireId", in.HireID)
		},
		created: func(in HireRequest) (ledger.Aggregate[hire.State], string, error) {
			return schema.Hire(in.HireID), "/v1/hires/" + in.HireID, nil
		},
		effective: func(in HireRequest) calendar.Date { return in.HiredOn },
		command: func(r *request, in HireRequest) hire.Command {
			return hire.Record{HireID: in.HireID, Person: in.Person, Employer: in.Employer, HiredOn: in.HiredOn, Insured: in.Insured,
				ClaimID: in.ClaimID, Actor: r.p.Name, Role: r.p.Role, At: r.at}
		},
		decide: hire.Decide,
	})
}

// CheckpointRequest records whether a hired person was still insured at
// +3, +6 or +12 months.
type CheckpointRequest struct {
	Months  int           `json:"months"`
	AsOf    calendar.Date `json:"asOf"`
	Insured bool          `json:"insured"`
}

func (s *server) recordInsuredStatus(c echo.Context) error {
	return runOne(s, c, oneCommand[CheckpointRequest, hire.State, hire.Command]{
		name: "RecordInsuredStatus", step: "checkpoint",
		existing: schema.Hire, param: "hireId", what: "hire",
		effective: func(in CheckpointRequest) calendar.Date { return in.AsOf },
		command: func(r *request, in CheckpointRequest) hire.Command {
			return hire.RecordInsuredStatus{Months: in.Months, AsOf: in.AsOf, Insured: in.Insured, Actor: r.p.Name, Role: r.p.Role, At: r.at}
		},
		decide: hire.Decide,
	})
}

func (s *server) getHire(c echo.Context) error {
	id := c.Param("hireId")
	st, err := mustExist(c.Request().Context(), s, schema.Hire(id), "hireId", "hire", id)
	if err != nil {
		return err
	}
	return writeJSON(c, http.StatusOK, st)
}

// CertifyRequest records a trainee's certificate. County is the
// county-level unit (or the prefecture) whose training budget the trainee
// counts against, Programme the training programme (vocational-training
// or skill-upgrade); both are required.
type CertifyRequest struct {
	TraineeID  string         `json:"traineeId"`
	Person     string         `json:"person,omitempty"`
	ResidentID string         `json:"residentId,omitempty"`
	Occupation string         `json:"occupation"`
	Level      policy.Level   `json:"level"`
	County     region.Code    `json:"county"`
	Programme  programme.Code `json:"programme"`
	On         calendar.Date  `json:"on"`
}

func (s *server) certifyTrainee(c echo.Context) error {
	return runOne(s, c, oneCommand[CertifyRequest, trainee.State, trainee.Command]{
		name: "CertifyTrainee", step: "certify",
		prepare: func(_ *request, in *CertifyRequest) (err error) {
			if in.Person, err = s.personOf(in.Person, &in.ResidentID); err != nil {
				return err
			}
			return checkRecordID("traineeId", in.TraineeID)
		},
		created: func(in CertifyRequest) (ledger.Aggregate[trainee.State], string, error) {
			return schema.Trainee(in.TraineeID), "/v1/trainees/" + in.TraineeID, nil
		},
		effective: func(in CertifyRequest) calendar.Date { return in.On },
		command: func(r *request, in CertifyRequest) trainee.Command {
			return trainee.Certify{TraineeID: in.TraineeID, Person: in.Person, Occupation: in.Occupation, Level: in.Level,
				County: in.County, Programme: in.Programme, On: in.On, Actor: r.p.Name, Role: r.p.Role, At: r.at}
		},
		decide: trainee.Decide,
	})
}

// PlacementRequest records a trainee's employment after training.
type PlacementRequest struct {
	Employer string        `json:"employer"`
	On       calendar.Date `json:"on"`
	// WindowMonths is the policy's placement window
	// (policy.Training.PlacementMonths).
	WindowMonths int `json:"windowMonths"`
}

func (s *server) placeTrainee(c echo.Context) error {
	return runOne(s, c, oneCommand[PlacementRequest, trainee.State, trainee.Command]{
		name: "PlaceTrainee", step: "place",
		existing: schema.Trainee, param: "traineeId", what: "trainee",
		effective: func(in PlacementRequest) calendar.Date { return in.On },
		command: func(r *request, in PlacementRequest) trainee.Command {
			return trainee.Place{Employer: in.Employer, On: in.On, WindowMonths: in.WindowMonths, Actor: r.p.Name, Role: r.p.Role, At: r.at}
		},
		decide: trainee.Decide,
	})
}

func (s *server) getTrainee(c echo.Context) error {
	id := c.Param("traineeId")
	st, err := mustExist(c.Request().Context(), s, schema.Trainee(id), "traineeId", "trainee", id)
	if err != nil {
		return err
	}
	return writeJSON(c, http.StatusOK, st)
}
