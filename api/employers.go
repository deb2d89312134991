package api

import (
	"errors"
	"net/http"

	"github.com/labstack/echo/v4"

	"github.com/haixi-hrss/fundledger/domain/calendar"
	"github.com/haixi-hrss/fundledger/domain/employer"
	"github.com/haixi-hrss/fundledger/domain/identity"
	"github.com/haixi-hrss/fundledger/domain/money"
	"github.com/haixi-hrss/fundledger/domain/region"
	"github.com/haixi-hrss/fundledger/ledger"
	"github.com/haixi-hrss/fundledger/ledger/schema"
)

// RegisterEmployerRequest registers an employer by its unified social
// credit code.
type RegisterEmployerRequest struct {
	CreditCode string             `json:"creditCode"`
	Name       string             `json:"name"`
	SizeClass  employer.SizeClass `json:"sizeClass"`
	Region     region.Code        `json:"region"`
}

func (s *server) registerEmployer(c echo.Context) error {
	return runOne(s, c, oneCommand[RegisterEmployerRequest, employer.State, employer.Command]{
		name: "RegisterEmployer", step: "register",
		// A code whose check character does not match is registered for
		// an approver to confirm; any other malformed code is refused.
		created: func(in RegisterEmployerRequest) (ledger.Aggregate[employer.State], string, error) {
			code, err := identity.ParseCreditCode("creditCode", in.CreditCode)
			if err != nil && !errors.Is(err, identity.ErrNeedsReview) {
				return ledger.Aggregate[employer.State]{}, "", err
			}
			return schema.Employer(code.String()), "/v1/employers/" + code.String(), nil
		},
		command: func(r *request, in RegisterEmployerRequest) employer.Command {
			return employer.Register{CreditCode: in.CreditCode, Name: in.Name, SizeClass: in.SizeClass, Region: in.Region,
				Actor: r.p.Name, Role: r.p.Role, At: r.at}
		},
		decide: employer.Decide,
	})
}

// employerCmd runs one command on the registered employer of the :code
// path parameter.
func employerCmd[In any](s *server, c echo.Context, name string, effective func(In) calendar.Date, command func(r *request, in In) employer.Command) error {
	return runOne(s, c, oneCommand[In, employer.State, employer.Command]{
		name: name, existing: schema.Employer, param: "code", what: "employer",
		effective: effective, command: command, decide: employer.Decide,
	})
}

// MonthReportRequest reports a month's insured headcount and premiums.
type MonthReportRequest struct {
	Month            string       `json:"month"`
	InsuredHeadcount int          `json:"insuredHeadcount"`
	PremiumsPaid     money.Amount `json:"premiumsPaid"`
	// Correction is required when the month was reported before.
	Correction string `json:"correction"`
}

func (s *server) reportMonth(c echo.Context) error {
	return employerCmd(s, c, "ReportMonth", nil, func(r *request, in MonthReportRequest) employer.Command {
		return employer.ReportMonth{Month: in.Month, InsuredHeadcount: in.InsuredHeadcount, PremiumsPaid: in.PremiumsPaid,
			Correction: in.Correction, Actor: r.p.Name, Role: r.p.Role, At: r.at}
	})
}

// LayoffRequest records staff laid off on a day.
type LayoffRequest struct {
	On     calendar.Date `json:"on"`
	Count  int           `json:"count"`
	Reason string        `json:"reason"`
}

func (s *server) recordLayoffs(c echo.Context) error {
	on := func(in LayoffRequest) calendar.Date { return in.On }
	return employerCmd(s, c, "RecordLayoffs", on, func(r *request, in LayoffRequest) employer.Command {
		return employer.RecordLayoffs{On: in.On, Count: in.Count, Reason: in.Reason, Actor: r.p.Name, Role: r.p.Role, At: r.at}
	})
}

// ListingRequest records a listing on, or removal from, the list of
// seriously dishonest units (严重失信).
type ListingRequest struct {
	On     calendar.Date `json:"on"`
	Reason string        `json:"reason"`
}

func (s *server) flagDishonesty(c echo.Context) error {
	on := func(in ListingRequest) calendar.Date { return in.On }
	return employerCmd(s, c, "FlagDishonesty", on, func(r *request, in ListingRequest) employer.Command {
		return employer.FlagDishonesty{On: in.On, Reason: in.Reason, Actor: r.p.Name, Role: r.p.Role, At: r.at}
	})
}

func (s *server) clearDishonesty(c echo.Context) error {
	on := func(in ListingRequest) calendar.Date { return in.On }
	return employerCmd(s, c, "ClearDishonesty", on, func(r *request, in ListingRequest) employer.Command {
		return employer.ClearDishonesty{On: in.On, Reason: in.Reason, Actor: r.p.Name, Role: r.p.Role, At: r.at}
	})
}

func (s *server) confirmCreditCode(c echo.Context) error {
	return employerCmd(s, c, "ConfirmCreditCode", nil, func(r *request, in ReasonRequest) employer.Command {
		return employer.ConfirmCreditCode{Reason: in.Reason, Actor: r.p.Name, Role: r.p.Role, At: r.at}
	})
}

func (s *server) getEmployer(c echo.Context) error {
	code := c.Param("code")
	st, err := mustExist(c.Request().Context(), s, schema.Employer(code), "code", "employer", code)
	if err != nil {
		return err
	}
	return writeJSON(c, http.StatusOK, st)
}
