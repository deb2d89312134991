package projections

import (
	"fmt"

	"github.com/shopspring/decimal"

	"github.com/haixi-hrss/fundledger/domain"
	"github.com/haixi-hrss/fundledger/domain/factor"
	"github.com/haixi-hrss/fundledger/domain/money"
	"github.com/haixi-hrss/fundledger/domain/programme"
	"github.com/haixi-hrss/fundledger/domain/region"
)

// AllocationRequest asks for a factor-method suggestion (因素法).
type AllocationRequest struct {
	// Year is the allocation year, whose published weights apply.
	Year programme.FiscalYear `json:"year"`
	// Basis is the period whose performance feeds the performance
	// factors, e.g. "2025" for 2026's allocation.
	Basis string `json:"basis"`
	// Programmes restricts the execution rate to these programmes; empty
	// means every programme.
	Programmes []programme.Code `json:"programmes,omitempty"`
	Total      money.Amount     `json:"total"`
	// Counties carry the base and input factors the ledger does not hold
	// (tasks, population, co-funding, fiscal difficulty); their
	// ExecutionRate and Outcomes are replaced by the model's.
	Counties []factor.Input `json:"counties"`
}

// Weights returns the factor weights published for allocation year y.
func (p *Performance) Weights(y programme.FiscalYear) (factor.Weights, bool) {
	w, ok := p.s.Weights[fmt.Sprint(int(y))]
	return w, ok
}

// FactorInputs returns given with each county's performance factors
// filled in from the model, to the end of the basis period:
//
//   - ExecutionRate: net spent ÷ allocated from January to the end of the
//     basis period over programmes (every programme if empty), a ratio
//     to factor.Precision decimals, half-up; 0 where nothing was
//     allocated.
//   - Outcomes: the mean, over the county's indicators with a target in
//     the basis year, of year-to-date value ÷ target, to
//     factor.Precision decimals; 0 where no target is set.
func (p *Performance) FactorInputs(basis string, programmes []programme.Code, given []factor.Input) ([]factor.Input, error) {
	per, err := parsePerfPeriod("basis", basis)
	if err != nil {
		return nil, err
	}
	progs := []string{allKey}
	if len(programmes) > 0 {
		progs = progs[:0]
		for i, pr := range programmes {
			if !pr.Valid() {
				return nil, domain.Invalid(fmt.Sprintf("programmes[%d]", i), "programme", "%q is not a programme", pr)
			}
			progs = append(progs, string(pr))
		}
	}
	out := make([]factor.Input, len(given))
	for i, in := range given {
		if !in.County.Valid() {
			return nil, domain.Invalid(fmt.Sprintf("counties[%d].county", i), "haixi-region", "%q is not Haixi or one of its county-level units", in.County)
		}
		var allocated, spent money.Amount
		for _, pr := range progs {
			a, s := p.toDate(pr, string(in.County), per)
			allocated, spent = allocated.Add(a), spent.Add(s)
		}
		in.ExecutionRate = decimal.Zero
		if allocated.IsPositive() {
			in.ExecutionRate = spent.Decimal().DivRound(allocated.Decimal(), factor.Precision)
		}
		in.Outcomes = p.completionMean(in.County, per)
		out[i] = in
	}
	return out, nil
}

// completionMean is the mean target completion of county r's indicators
// with a target, as a ratio.
func (p *Performance) completionMean(r region.Code, per perfPeriod) decimal.Decimal {
	sum, n := decimal.Zero, int64(0)
	for _, ind := range indicatorOrder {
		row, ok := p.indicator(r, ind, per)
		if !ok || row.Target <= 0 {
			continue
		}
		sum = sum.Add(decimal.NewFromInt(row.Actual).DivRound(decimal.NewFromInt(row.Target), factor.Precision))
		n++
	}
	if n == 0 {
		return decimal.Zero
	}
	return sum.DivRound(decimal.NewFromInt(n), factor.Precision)
}

// SuggestAllocation applies the weights published for req.Year to the
// counties' factors, with the performance factors from the model (see
// FactorInputs). Without published weights it is a *domain.RuleError
// (rule "factor-weights-published"); malformed input is a
// *domain.FieldError naming the field.
func (p *Performance) SuggestAllocation(req AllocationRequest) (factor.Suggestion, error) {
	w, ok := p.Weights(req.Year)
	if !ok {
		return factor.Suggestion{}, domain.Reject("factor-weights-published", "year", "no factor weights are published for %d", req.Year)
	}
	inputs, err := p.FactorInputs(req.Basis, req.Programmes, req.Counties)
	if err != nil {
		return factor.Suggestion{}, err
	}
	return factor.Suggest(req.Total, w, inputs)
}
