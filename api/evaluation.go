package api

import (
	"errors"
	"fmt"
	"net/http"
	"strconv"

	"github.com/labstack/echo/v4"

	"github.com/haixi-hrss/fundledger/domain"
	"github.com/haixi-hrss/fundledger/domain/calendar"
	"github.com/haixi-hrss/fundledger/domain/factor"
	"github.com/haixi-hrss/fundledger/domain/money"
	"github.com/haixi-hrss/fundledger/domain/paymentbatch"
	"github.com/haixi-hrss/fundledger/domain/programme"
	"github.com/haixi-hrss/fundledger/domain/region"
	"github.com/haixi-hrss/fundledger/ledger"
	"github.com/haixi-hrss/fundledger/ledger/schema"
	"github.com/haixi-hrss/fundledger/projections"
)

// asParam turns a read model's complaint about a query parameter into a
// 400 problem naming it.
func asParam(err error) error {
	var fe *domain.FieldError
	if errors.As(err, &fe) {
		return errParam(fe.Field, fe.Rule, "%s", fe.Detail)
	}
	return err
}

// performance lists the evaluators' rows for ?period= (2025-03, 2025-Q1
// or 2025), by ?programme= and ?county= when given. Rows hold money and
// counts only, never an identifier.
func (s *server) performance(c echo.Context) error {
	q, err := parsePage(c)
	if err != nil {
		return err
	}
	f := projections.PerformanceFilter{Period: c.QueryParam("period"), Programme: programme.Code(c.QueryParam("programme")),
		County: region.Code(c.QueryParam("county"))}
	var (
		rows    []projections.PerformanceRow
		rowsErr error
	)
	if err := s.readViews(c.Request().Context(), func() { rows, rowsErr = s.l.Views.Performance.Rows(f) }); err != nil {
		return err
	}
	if rowsErr != nil {
		return asParam(rowsErr)
	}
	// Rows come in a fixed order that is not their key's: the cursor is
	// the row's place in it.
	idx := make([]int, len(rows))
	for i := range idx {
		idx[i] = i
	}
	p := paginate(idx, func(i int) string { return fmt.Sprintf("%06d", i) }, q)
	page := Page[projections.PerformanceRow]{Items: make([]projections.PerformanceRow, 0, len(p.Items)), NextCursor: p.NextCursor}
	for _, i := range p.Items {
		page.Items = append(page.Items, rows[i])
	}
	return writeJSON(c, http.StatusOK, page)
}

// indicatorReport lists a county's (or the prefecture's) indicators to the
// end of ?period= against their targets.
func (s *server) indicatorReport(c echo.Context) error {
	r, err := region.Parse("region", c.Param("region"))
	if err != nil {
		return errParam("region", "haixi-region", "%q is not Haixi or one of its county-level units", c.Param("region"))
	}
	var (
		rows    []projections.IndicatorRow
		rowsErr error
	)
	if err := s.readViews(c.Request().Context(), func() { rows, rowsErr = s.l.Views.Performance.Indicators(r, c.QueryParam("period")) }); err != nil {
		return err
	}
	if rowsErr != nil {
		return asParam(rowsErr)
	}
	return writeJSON(c, http.StatusOK, map[string]any{"items": rows})
}

// FactorWeightsRequest publishes, or with a reason replaces, the factor
// method's weights for an allocation year.
type FactorWeightsRequest struct {
	Year     programme.FiscalYear `json:"year"`
	Weights  factor.Weights       `json:"weights"`
	Document string               `json:"document"`
	Reason   string               `json:"reason"`
}

func (s *server) publishWeights(c echo.Context) error {
	var in FactorWeightsRequest
	if err := decode(c, &in); err != nil {
		return err
	}
	r, err := s.begin(c)
	if err != nil {
		return err
	}
	cmd := factor.Publish{Year: in.Year, Weights: in.Weights, Document: in.Document, Reason: in.Reason, Actor: r.p.Name, Role: r.p.Role, At: r.at}
	if _, err := factor.Decide(factor.State{}, cmd); err != nil {
		return err
	}
	res, err := ledger.Handle(c.Request().Context(), s.svc, schema.Factors(in.Year), r.env("weights", "PublishFactorWeights", calendar.Date{}, in),
		func(st factor.State) ([]domain.Event, error) { return factor.Decide(st, cmd) })
	if err != nil {
		return err
	}
	return s.respond(r, created(res), res)
}

func (s *server) weightsOf(c echo.Context, field, raw string) (factor.State, error) {
	n, err := strconv.Atoi(raw)
	if err != nil {
		return factor.State{}, errParam(field, "fiscal-year", "%s must be a year", field)
	}
	y, err := programme.ParseFiscalYear(field, n)
	if err != nil {
		return factor.State{}, errParam(field, "fiscal-year", "%d is not a fiscal year the ledger keeps", n)
	}
	return mustExist(c.Request().Context(), s, schema.Factors(y), field, "factor weights for", raw)
}

func (s *server) getWeights(c echo.Context) error {
	st, err := s.weightsOf(c, "year", c.Param("year"))
	if err != nil {
		return err
	}
	return writeJSON(c, http.StatusOK, st)
}

// FactorSuggestionRequest asks for the factor method's allocation of
// Total over the counties for Year, under Year's published weights. The
// caller gives each county's base and input factors; the performance
// factors (execution rate, target completion) are taken from the ledger
// up to the end of Basis (a period such as 2025 or 2025-Q3), over
// Programmes (every programme when empty).
type FactorSuggestionRequest struct {
	Year       programme.FiscalYear `json:"year"`
	Basis      string               `json:"basis"`
	Total      money.Amount         `json:"total"`
	Programmes []programme.Code     `json:"programmes"`
	Inputs     []factor.Input       `json:"inputs"`
}

// suggestAllocation computes the factor method's suggestion. It records
// nothing.
func (s *server) suggestAllocation(c echo.Context) error {
	var in FactorSuggestionRequest
	if err := decode(c, &in); err != nil {
		return err
	}
	weights, err := s.weightsOf(c, "year", strconv.Itoa(int(in.Year)))
	if err != nil {
		return err
	}
	var (
		inputs  []factor.Input
		fillErr error
	)
	if err := s.readViews(c.Request().Context(), func() { inputs, fillErr = s.l.Views.Performance.FactorInputs(in.Basis, in.Programmes, in.Inputs) }); err != nil {
		return err
	}
	if fillErr != nil {
		return fillErr
	}
	sug, err := factor.Suggest(in.Total, weights.Weights, inputs)
	if err != nil {
		return err
	}
	return writeJSON(c, http.StatusOK, sug)
}

// listBatches lists payment batches by ID, with ?status= when given.
func (s *server) listBatches(c echo.Context) error {
	q, err := parsePage(c)
	if err != nil {
		return err
	}
	st := paymentbatch.Status(c.QueryParam("status"))
	var all []projections.PaymentBatch
	if err := s.readViews(c.Request().Context(), func() { all = s.l.Views.Batches.Batches(st) }); err != nil {
		return err
	}
	return writeJSON(c, http.StatusOK, paginate(all, func(b projections.PaymentBatch) string { return b.ID }, q))
}
