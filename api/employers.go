package api

import (
	"errors"
	"net/http"

	"github.com/labstack/echo/v4"

	"github.com/haixi-hrss/fundledger/domain"
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
	var in RegisterEmployerRequest
	if err := decode(c, &in); err != nil {
		return err
	}
	r, err := s.begin(c)
	if err != nil {
		return err
	}
	code, err := identity.ParseCreditCode("creditCode", in.CreditCode)
	if err != nil && !errors.Is(err, identity.ErrNeedsReview) {
		return err
	}
	cmd := employer.Register{CreditCode: in.CreditCode, Name: in.Name, SizeClass: in.SizeClass, Region: in.Region,
		Actor: r.p.Name, Role: r.p.Role, At: r.at}
	if _, err := employer.Decide(employer.State{}, cmd); err != nil {
		return err
	}
	res, err := ledger.Handle(c.Request().Context(), s.svc, schema.Employer(code.String()), r.env("register", "RegisterEmployer", calendar.Date{}, in), decideEmployer(cmd))
	if err != nil {
		return err
	}
	c.Response().Header().Set(echo.HeaderLocation, "/v1/employers/"+code.String())
	return s.respond(r, created(res), res)
}

func decideEmployer(cmd employer.Command) func(employer.State) ([]domain.Event, error) {
	return func(st employer.State) ([]domain.Event, error) { return employer.Decide(st, cmd) }
}

// employerCmd runs one command on the registered employer of the :code
// path parameter.
func employerCmd[In any](s *server, c echo.Context, name string, effective func(In) calendar.Date, build func(r *request, in In) employer.Command) error {
	var in In
	if err := decode(c, &in); err != nil {
		return err
	}
	r, err := s.begin(c)
	if err != nil {
		return err
	}
	code := c.Param("code")
	agg := schema.Employer(code)
	if _, err := mustExist(c.Request().Context(), s, agg, "code", "employer", code); err != nil {
		return err
	}
	var eff calendar.Date
	if effective != nil {
		eff = effective(in)
	}
	res, err := ledger.Handle(c.Request().Context(), s.svc, agg, r.env(name, name, eff, in), decideEmployer(build(r, in)))
	if err != nil {
		return err
	}
	return s.respond(r, created(res), res)
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
	return c.JSON(http.StatusOK, st)
}
