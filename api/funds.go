package api

import (
	"errors"
	"net/http"

	"github.com/labstack/echo/v4"

	"github.com/haixi-hrss/fundledger/domain"
	"github.com/haixi-hrss/fundledger/domain/budget"
	"github.com/haixi-hrss/fundledger/domain/calendar"
	"github.com/haixi-hrss/fundledger/domain/fund"
	"github.com/haixi-hrss/fundledger/domain/money"
	"github.com/haixi-hrss/fundledger/domain/programme"
	"github.com/haixi-hrss/fundledger/domain/region"
	"github.com/haixi-hrss/fundledger/ledger"
	"github.com/haixi-hrss/fundledger/ledger/schema"
	"github.com/haixi-hrss/fundledger/projections"
)

// OpenFundRequest opens a fund.
type OpenFundRequest struct {
	FundID     string               `json:"fundId"`
	Name       string               `json:"name"`
	FiscalYear programme.FiscalYear `json:"fiscalYear"`
	Kind       programme.FundKind   `json:"kind"`
	Level      fund.Level           `json:"level"`
	Region     region.Code          `json:"region"`
}

func (s *server) openFund(c echo.Context) error {
	return runOne(s, c, oneCommand[OpenFundRequest, fund.State, fund.Command]{
		name: "OpenFund", step: "open",
		created: func(in OpenFundRequest) (ledger.Aggregate[fund.State], string, error) {
			return schema.Fund(in.FundID), "/v1/funds/" + in.FundID, nil
		},
		command: func(r *request, in OpenFundRequest) fund.Command {
			return fund.Open{FundID: in.FundID, Name: in.Name, FiscalYear: in.FiscalYear, Kind: in.Kind, Level: in.Level,
				Region: in.Region, Actor: r.p.Name, Role: r.p.Role, At: r.at}
		},
		decide: fund.Decide,
	})
}

// TransferRequest records money received into a fund.
type TransferRequest struct {
	Document   string        `json:"document"`
	Amount     money.Amount  `json:"amount"`
	Source     string        `json:"source"`
	ReceivedOn calendar.Date `json:"receivedOn"`
}

func (s *server) receiveTransfer(c echo.Context) error {
	return runOne(s, c, oneCommand[TransferRequest, fund.State, fund.Command]{
		name: "ReceiveTransfer", step: "receive",
		existing: schema.Fund, param: "fundId", what: "fund",
		effective: func(in TransferRequest) calendar.Date { return in.ReceivedOn },
		command: func(r *request, in TransferRequest) fund.Command {
			return fund.ReceiveTransfer{Document: in.Document, Amount: in.Amount, Source: in.Source, ReceivedOn: in.ReceivedOn,
				Actor: r.p.Name, Role: r.p.Role, At: r.at}
		},
		decide: fund.Decide,
	})
}

// AllocationRequest allocates money of a fund to a budget line (fund ×
// programme × county × the fund's fiscal year).
type AllocationRequest struct {
	AllocationID string         `json:"allocationId"`
	Programme    programme.Code `json:"programme"`
	Region       region.Code    `json:"region"`
	Amount       money.Amount   `json:"amount"`
}

// allocate runs the allocation process: the fund records the allocation,
// then the budget line takes in what the fund's event says. The second
// step repeats harmlessly, so a retry under the same idempotency key
// completes an allocation interrupted between the two.
func (s *server) allocate(c echo.Context) error {
	var in AllocationRequest
	if err := decode(c, &in); err != nil {
		return err
	}
	r, err := s.begin(c)
	if err != nil {
		return err
	}
	ctx := c.Request().Context()
	id := c.Param("fundId")
	agg := schema.Fund(id)
	if err := exists(ctx, s, agg.Stream, "fundId", "fund", id); err != nil {
		return err
	}
	cmd := fund.Allocate{AllocationID: in.AllocationID, Programme: in.Programme, Region: in.Region, Amount: in.Amount,
		Actor: r.p.Name, Role: r.p.Role, At: r.at}
	r.naturalKey("allocation/" + id + "/" + in.AllocationID)
	res, err := ledger.Handle(ctx, s.svc, agg, r.env("fund", "Allocate", calendar.Date{}, in), decideFund(cmd))
	if err != nil {
		return err
	}
	var allocated *fund.Allocated
	if len(res.Events) == 1 {
		allocated, _ = res.Events[0].(*fund.Allocated)
	}
	if allocated == nil {
		return errors.New("api: the fund did not record exactly one FundAllocated")
	}
	record := budget.RecordAllocation{AllocationID: allocated.AllocationID, BudgetLineID: allocated.BudgetLineID,
		FundID: allocated.FundID, Programme: allocated.Programme, Region: allocated.Region,
		FiscalYear: allocated.FiscalYear, Amount: allocated.Amount, Actor: r.p.Name, Role: r.p.Role, At: r.at}
	line, err := ledger.Handle(ctx, s.svc, schema.BudgetLine(allocated.BudgetLineID), r.env("line", "RecordAllocation", calendar.Date{}, in),
		func(st budget.State) ([]domain.Event, error) { return budget.Decide(st, record) })
	if err != nil {
		return err
	}
	c.Response().Header().Set(echo.HeaderLocation, "/v1/budget-lines/"+allocated.BudgetLineID)
	return s.respond(r, created(res, line), res, line)
}

func decideFund(cmd fund.Command) func(fund.State) ([]domain.Event, error) {
	return func(st fund.State) ([]domain.Event, error) { return fund.Decide(st, cmd) }
}

func (s *server) listFunds(c echo.Context) error {
	q, err := parsePage(c)
	if err != nil {
		return err
	}
	var page Page[projections.FundTotals]
	s.l.Runner.Read(func(uint64) {
		page = paginate(s.l.Views.Budgets.Funds(), func(f projections.FundTotals) string { return f.ID }, q)
	})
	return writeJSON(c, http.StatusOK, page)
}

func (s *server) getFund(c echo.Context) error {
	id := c.Param("fundId")
	var (
		f  projections.FundTotals
		ok bool
	)
	s.l.Runner.Read(func(uint64) { f, ok = s.l.Views.Budgets.Fund(id) })
	if !ok {
		return errNotFound("fundId", "no fund %q", id)
	}
	return writeJSON(c, http.StatusOK, f)
}

// listBudgetLines lists budget lines, filtered by fundId, programme and
// county.
func (s *server) listBudgetLines(c echo.Context) error {
	q, err := parsePage(c)
	if err != nil {
		return err
	}
	fundID, prog, county := c.QueryParam("fundId"), programme.Code(c.QueryParam("programme")), region.Code(c.QueryParam("county"))
	if prog != "" && !prog.Valid() {
		return errParam("programme", "programme", "%q is not a programme", prog)
	}
	if county != "" && !county.Valid() {
		return errParam("county", "haixi-region", "%q is not Haixi or one of its county-level units", county)
	}
	var page Page[projections.BudgetLine]
	s.l.Runner.Read(func(uint64) {
		var lines []projections.BudgetLine
		for _, l := range s.l.Views.Budgets.Lines() {
			if (fundID == "" || l.FundID == fundID) && (prog == "" || l.Programme == prog) && (county == "" || l.Region == county) {
				lines = append(lines, l)
			}
		}
		page = paginate(lines, func(l projections.BudgetLine) string { return l.ID }, q)
	})
	return writeJSON(c, http.StatusOK, page)
}

func (s *server) getBudgetLine(c echo.Context) error {
	id := c.Param("lineId")
	var (
		l  projections.BudgetLine
		ok bool
	)
	s.l.Runner.Read(func(uint64) { l, ok = s.l.Views.Budgets.Line(id) })
	if !ok {
		return errNotFound("lineId", "no budget line %q", id)
	}
	return writeJSON(c, http.StatusOK, l)
}
