package api

import (
	"errors"
	"fmt"
	"net/http"
	"strconv"

	"github.com/labstack/echo/v4"

	"github.com/haixi-hrss/fundledger/domain"
	"github.com/haixi-hrss/fundledger/domain/money"
	"github.com/haixi-hrss/fundledger/domain/programme"
	"github.com/haixi-hrss/fundledger/domain/region"
	"github.com/haixi-hrss/fundledger/ledger/batch"
)

// importWorkers is how many employers of a batch are recorded at once.
const importWorkers = 4

// StabilizationOutcome is what the batch decided for one employer.
type StabilizationOutcome struct {
	Line        int          `json:"line"`
	ClaimID     string       `json:"claimId"`
	Status      string       `json:"status"`
	Amount      money.Amount `json:"amount"`
	FailedRules []string     `json:"failedRules,omitempty"`
	Detail      string       `json:"detail,omitempty"`
}

// StabilizationImport sums up a stabilization batch run.
type StabilizationImport struct {
	PolicyVersion    string                 `json:"policyVersion"`
	Eligible         int                    `json:"eligible"`
	Ineligible       int                    `json:"ineligible"`
	NeedsReview      int                    `json:"needsReview"`
	Duplicates       int                    `json:"duplicates"`
	IneligibleByRule map[string]int         `json:"ineligibleByRule"`
	Total            money.Amount           `json:"total"`
	ReviewTotal      money.Amount           `json:"reviewTotal"`
	Outcomes         []StabilizationOutcome `json:"outcomes"`
}

// importStabilization runs the stabilization refund batch (免申即享) on a
// CSV of insured units (text/csv, the columns of batch.StabilizationColumns)
// for ?year= under ?effectiveDate=, charged to ?budgetLineId= in ?region=.
// A file with any bad row records nothing: the problem lists every row at
// fault. The batch derives its command IDs from the employers and the
// year, so sending the same file again replays instead of paying twice.
func (s *server) importStabilization(c echo.Context) error {
	if err := requireContentType(c, "text/csv"); err != nil {
		return err
	}
	r, err := s.begin(c)
	if err != nil {
		return err
	}
	n, err := strconv.Atoi(c.QueryParam("year"))
	if err != nil {
		return errParam("year", "fiscal-year", "year (the refund year) is required")
	}
	year, err := programme.ParseFiscalYear("year", n)
	if err != nil {
		return errParam("year", "fiscal-year", "%d is not a fiscal year the ledger keeps", n)
	}
	eff, err := queryDate(c, "effectiveDate")
	if err != nil {
		return err
	}
	reg, err := region.Parse("region", c.QueryParam("region"))
	if err != nil {
		return errParam("region", "haixi-region", "region must be Haixi or one of its county-level units")
	}
	lineID := c.QueryParam("budgetLineId")
	if err := s.checkLine(c.Request().Context(), lineID, programme.Stabilization); err != nil {
		return err
	}
	rows, rowErrs, err := batch.ReadStabilizationCSV(c.Request().Body, year)
	if err != nil {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			return err
		}
		return newProblem("invalid-field", "csv", "csv-header", "%s", err.Error())
	}
	if len(rowErrs) > 0 {
		return rowProblem(rowErrs)
	}
	ctx := c.Request().Context()
	policies, err := s.policies(ctx, programme.Stabilization)
	if err != nil {
		return err
	}
	rep, err := batch.RunStabilization(ctx, s.svc, year, rows, batch.StabilizationEnv{
		EffectiveDate: eff, Policies: policies, BudgetLineID: lineID, Region: reg,
		Actor: r.p.Name, Role: r.p.Role, At: r.at, Workers: importWorkers,
	})
	if err != nil {
		return err
	}
	if err := s.syncHead(ctx, 0); err != nil {
		return err
	}
	out := StabilizationImport{PolicyVersion: rep.PolicyVersion, Eligible: rep.Eligible, Ineligible: rep.Ineligible,
		NeedsReview: rep.NeedsReview, Duplicates: rep.Duplicates, IneligibleByRule: rep.IneligibleByRule,
		Total: rep.Total, ReviewTotal: rep.ReviewTotal, Outcomes: make([]StabilizationOutcome, 0, len(rep.Outcomes))}
	for _, o := range rep.Outcomes {
		out.Outcomes = append(out.Outcomes, StabilizationOutcome{Line: o.Line, ClaimID: o.ClaimID, Status: o.Status,
			Amount: o.Amount, FailedRules: o.FailedRules, Detail: o.Detail})
	}
	return writeJSON(c, http.StatusOK, out)
}

// rowProblem reports the first bad row as the problem's field and rule
// and counts the rest in the detail.
func rowProblem(rowErrs []batch.RowError) error {
	first := rowErrs[0]
	field := fmt.Sprintf("line %d", first.Line)
	if first.Column != "" {
		field += ": " + first.Column
	}
	rule := "csv-row"
	var fe *domain.FieldError
	if errors.As(first.Err, &fe) {
		rule = fe.Rule
	}
	return newProblem("invalid-field", field, rule, "%d row(s) are invalid, nothing was recorded; first: %s", len(rowErrs), first.Err.Error())
}
