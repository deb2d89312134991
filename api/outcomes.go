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
	var in HireRequest
	if err := decode(c, &in); err != nil {
		return err
	}
	r, err := s.begin(c)
	if err != nil {
		return err
	}
	if in.Person, err = s.personOf(in.Person, &in.ResidentID); err != nil {
		return err
	}
	if err := checkRecordID("hireId", in.HireID); err != nil {
		return err
	}
	cmd := hire.Record{HireID: in.HireID, Person: in.Person, Employer: in.Employer, HiredOn: in.HiredOn, Insured: in.Insured,
		ClaimID: in.ClaimID, Actor: r.p.Name, Role: r.p.Role, At: r.at}
	if _, err := hire.Decide(hire.State{}, cmd); err != nil {
		return err
	}
	res, err := ledger.Handle(c.Request().Context(), s.svc, schema.Hire(in.HireID), r.env("hire", "RecordHire", in.HiredOn, in),
		func(st hire.State) ([]domain.Event, error) { return hire.Decide(st, cmd) })
	if err != nil {
		return err
	}
	c.Response().Header().Set(echo.HeaderLocation, "/v1/hires/"+in.HireID)
	return s.respond(r, created(res), res)
}

// CheckpointRequest records whether a hired person was still insured at
// +3, +6 or +12 months.
type CheckpointRequest struct {
	Months  int           `json:"months"`
	AsOf    calendar.Date `json:"asOf"`
	Insured bool          `json:"insured"`
}

func (s *server) recordInsuredStatus(c echo.Context) error {
	var in CheckpointRequest
	if err := decode(c, &in); err != nil {
		return err
	}
	r, err := s.begin(c)
	if err != nil {
		return err
	}
	id := c.Param("hireId")
	agg := schema.Hire(id)
	if _, err := mustExist(c.Request().Context(), s, agg, "hireId", "hire", id); err != nil {
		return err
	}
	cmd := hire.RecordInsuredStatus{Months: in.Months, AsOf: in.AsOf, Insured: in.Insured, Actor: r.p.Name, Role: r.p.Role, At: r.at}
	res, err := ledger.Handle(c.Request().Context(), s.svc, agg, r.env("checkpoint", "RecordInsuredStatus", in.AsOf, in),
		func(st hire.State) ([]domain.Event, error) { return hire.Decide(st, cmd) })
	if err != nil {
		return err
	}
	return s.respond(r, created(res), res)
}

func (s *server) getHire(c echo.Context) error {
	id := c.Param("hireId")
	st, err := mustExist(c.Request().Context(), s, schema.Hire(id), "hireId", "hire", id)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, st)
}

// CertifyRequest records a trainee's certificate.
type CertifyRequest struct {
	TraineeID  string        `json:"traineeId"`
	Person     string        `json:"person,omitempty"`
	ResidentID string        `json:"residentId,omitempty"`
	Occupation string        `json:"occupation"`
	Level      policy.Level  `json:"level"`
	On         calendar.Date `json:"on"`
}

func (s *server) certifyTrainee(c echo.Context) error {
	var in CertifyRequest
	if err := decode(c, &in); err != nil {
		return err
	}
	r, err := s.begin(c)
	if err != nil {
		return err
	}
	if in.Person, err = s.personOf(in.Person, &in.ResidentID); err != nil {
		return err
	}
	if err := checkRecordID("traineeId", in.TraineeID); err != nil {
		return err
	}
	cmd := trainee.Certify{TraineeID: in.TraineeID, Person: in.Person, Occupation: in.Occupation, Level: in.Level, On: in.On,
		Actor: r.p.Name, Role: r.p.Role, At: r.at}
	if _, err := trainee.Decide(trainee.State{}, cmd); err != nil {
		return err
	}
	res, err := ledger.Handle(c.Request().Context(), s.svc, schema.Trainee(in.TraineeID), r.env("certify", "CertifyTrainee", in.On, in),
		func(st trainee.State) ([]domain.Event, error) { return trainee.Decide(st, cmd) })
	if err != nil {
		return err
	}
	c.Response().Header().Set(echo.HeaderLocation, "/v1/trainees/"+in.TraineeID)
	return s.respond(r, created(res), res)
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
	var in PlacementRequest
	if err := decode(c, &in); err != nil {
		return err
	}
	r, err := s.begin(c)
	if err != nil {
		return err
	}
	id := c.Param("traineeId")
	agg := schema.Trainee(id)
	if _, err := mustExist(c.Request().Context(), s, agg, "traineeId", "trainee", id); err != nil {
		return err
	}
	cmd := trainee.Place{Employer: in.Employer, On: in.On, WindowMonths: in.WindowMonths, Actor: r.p.Name, Role: r.p.Role, At: r.at}
	res, err := ledger.Handle(c.Request().Context(), s.svc, agg, r.env("place", "PlaceTrainee", in.On, in),
		func(st trainee.State) ([]domain.Event, error) { return trainee.Decide(st, cmd) })
	if err != nil {
		return err
	}
	return s.respond(r, created(res), res)
}

func (s *server) getTrainee(c echo.Context) error {
	id := c.Param("traineeId")
	st, err := mustExist(c.Request().Context(), s, schema.Trainee(id), "traineeId", "trainee", id)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, st)
}
