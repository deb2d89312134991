package projections_test

import (
	"errors"
	"testing"

	"github.com/shopspring/decimal"

	"github.com/haixi-hrss/fundledger/domain"
	"github.com/haixi-hrss/fundledger/domain/factor"
	"github.com/haixi-hrss/fundledger/domain/money"
	"github.com/haixi-hrss/fundledger/domain/programme"
	"github.com/haixi-hrss/fundledger/domain/region"
	"github.com/haixi-hrss/fundledger/projections"
)

func weights2026() factor.Weights {
	d := decimal.RequireFromString
	return factor.Weights{Tasks: d("0.25"), Population: d("0.15"), CoFunding: d("0.10"), FiscalDifficulty: d("0.10"),
		Execution: d("0.20"), Outcomes: d("0.20"), SlowSpendingBelow: d("0.05"), SlowSpendingDeduction: d("0.10")}
}

// countyFactors are the base and input factors the ledger does not hold:
// tasks are the new-urban-jobs targets, the rest illustrative.
func countyFactors() []factor.Input {
	var in []factor.Input
	for i, c := range haixiQ1 {
		n := decimal.NewFromInt(int64(i + 1))
		in = append(in, factor.Input{County: c.county, Tasks: decimal.NewFromInt(c.jobsTarget), Population: n.Mul(decimal.NewFromInt(1000)),
			CoFunding: n.Mul(decimal.NewFromInt(50000)), FiscalDifficulty: decimal.RequireFromString("1.2"),
			ExecutionRate: decimal.NewFromInt(9), Outcomes: decimal.NewFromInt(9)})
	}
	return in
}

// TestPerformanceFeedsFactorMethod: the weights recorded as an event, the
// execution rates and outcomes from the model, the rest given; the
// suggestion's parts add up to the total.
func TestPerformanceFeedsFactorMethod(t *testing.T) {
	w := newSchemaWorld(t)
	w.performanceFirstHalf()
	w.performanceSecondHalf()
	w.recordHaixiQ1()
	w.publishWeights(2026, weights2026())
	p := w.performance()

	in, err := p.FactorInputs("2025-Q1", nil, countyFactors())
	if err != nil {
		t.Fatal(err)
	}
	byCounty := map[region.Code]factor.Input{}
	for _, x := range in {
		byCounty[x.County] = x
	}
	for _, tt := range []struct {
		county             region.Code
		execution, outcome string
	}{
		// Golmud: (14,500 + 1,500 + 9,000) ÷ (400,000 + 100,000 + 15,000);
		// outcomes the mean of 1,526 ÷ 5,400 and 8,214 ÷ 22,000.
		{region.Golmud, "0.048543689320", "0.327978114479"},
		// Delingha: 4,000 ÷ 50,000; (538 ÷ 1,900 + 4,786 ÷ 12,000) ÷ 2.
		{region.Delingha, "0.08", "0.340995614035"},
		// Mangya: nothing allocated.
		{region.Mangya, "0", "0.301571428572"},
	} {
		x := byCounty[tt.county]
		if !x.ExecutionRate.Equal(decimal.RequireFromString(tt.execution)) || !x.Outcomes.Equal(decimal.RequireFromString(tt.outcome)) {
			t.Errorf("%s: execution %s outcomes %s, want %s %s", tt.county, x.ExecutionRate, x.Outcomes, tt.execution, tt.outcome)
		}
	}
	if x := byCounty[region.Golmud]; !x.Tasks.Equal(decimal.NewFromInt(5400)) {
		t.Errorf("given factors were not kept: %+v", x)
	}
	only, _ := p.FactorInputs("2025-Q1", []programme.Code{programme.SkillUpgrade}, countyFactors())
	if !only[0].ExecutionRate.IsZero() || !only[1].ExecutionRate.Equal(decimal.RequireFromString("0.08")) {
		t.Errorf("skill upgrade only: Golmud %s, Delingha %s", only[0].ExecutionRate, only[1].ExecutionRate)
	}

	total := money.MustParse("12345678.91")
	s, err := p.SuggestAllocation(projections.AllocationRequest{Year: 2026, Basis: "2025-Q1", Total: total, Counties: countyFactors()})
	if err != nil {
		t.Fatal(err)
	}
	sum := money.Amount{}
	slow := 0
	for _, l := range s.Lines {
		sum = sum.Add(l.Amount)
		if l.SlowSpending {
			slow++
		}
	}
	// Every county but Golmud and Delingha spent nothing: below 5%, as
	// Golmud's 4.8% is.
	if !sum.Equal(total) || len(s.Lines) != 7 || slow != 6 || !s.Weights.Tasks.Equal(decimal.RequireFromString("0.25")) {
		t.Errorf("suggestion sums to %s of %s over %d lines, %d slow, weights %+v", sum, total, len(s.Lines), slow, s.Weights)
	}

	var re *domain.RuleError
	if _, err := p.SuggestAllocation(projections.AllocationRequest{Year: 2027, Basis: "2025", Total: total, Counties: countyFactors()}); !errors.As(err, &re) || re.Rule != "factor-weights-published" {
		t.Errorf("no weights for 2027: %v", err)
	}
	var fe *domain.FieldError
	if _, err := p.FactorInputs("2025-Q9", nil, countyFactors()); !errors.As(err, &fe) || fe.Field != "basis" {
		t.Errorf("bad basis: %v", err)
	}
	if _, err := p.FactorInputs("2025", []programme.Code{"pension"}, countyFactors()); !errors.As(err, &fe) || fe.Field != "programmes[0]" {
		t.Errorf("bad programme: %v", err)
	}
}
