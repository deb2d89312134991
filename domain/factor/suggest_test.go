package factor

import (
	"fmt"
	"math/rand/v2"
	"testing"

	"github.com/shopspring/decimal"

	"github.com/haixi-hrss/fundledger/domain"
	"github.com/haixi-hrss/fundledger/domain/money"
	"github.com/haixi-hrss/fundledger/domain/region"
)

func amounts(s Suggestion) []string {
	out := make([]string, len(s.Lines))
	for i, l := range s.Lines {
		out[i] = fmt.Sprintf("%s %s", l.Input.County, l.Amount)
	}
	return out
}

// TestSuggestByHand checks figures worked out by hand. Half the weight on
// tasks (equal, so a third each) and half on execution (only Golmud spent):
// Golmud's score is 0.5/3 + 0.5 = 0.6666666666665 → 0.666666666667, the
// others' 0.5/3 → 0.166666666667, Σ 1.000000000001. Of 100,000 fen Golmud's
// exact share is 66,666.66666663 fen, the others' 16,666.66666668 each:
// floors 66,666 + 16,666 + 16,666 leave 2 fen, which go to the two
// largest remainders, Delingha's and Mangya's.
func TestSuggestByHand(t *testing.T) {
	w := Weights{Tasks: dec("0.5"), Execution: dec("0.5")}
	in := []Input{
		{County: region.Mangya, Tasks: dec("7")},
		{County: region.Golmud, Tasks: dec("7"), ExecutionRate: dec("0.8")},
		{County: region.Delingha, Tasks: dec("7")},
	}
	s, err := Suggest(money.MustParse("1000.00"), w, in)
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"632801 666.66", "632802 166.67", "632803 166.67"}
	if got := amounts(s); fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("amounts %v, want %v", got, want)
	}
	g := s.Lines[0]
	checks := []struct {
		what      string
		got, want decimal.Decimal
	}{
		{"Golmud tasks share", g.Shares.Tasks, dec("0.333333333333")},
		{"Golmud execution share", g.Shares.Execution, dec("1")},
		{"Golmud population share (all zero: equal)", g.Shares.Population, dec("0.333333333333")},
		{"Golmud weighted score", g.WeightedScore, dec("0.666666666667")},
		{"Golmud exact", g.Exact, dec("666.666667")},
		{"Delingha score", s.Lines[1].Score, dec("0.166666666667")},
	}
	for _, c := range checks {
		if !c.got.Equal(c.want) {
			t.Errorf("%s = %s, want %s", c.what, c.got, c.want)
		}
	}
	if !s.Residue.Equal(money.MustParse("0.02")) || !g.Residue.IsZero() || !s.Lines[1].Residue.Equal(money.MustParse("0.01")) {
		t.Errorf("residue %s, Golmud %s, Delingha %s", s.Residue, g.Residue, s.Lines[1].Residue)
	}
}

// TestSuggestSlowSpendingDeduction: with every factor equal, a county
// below the execution threshold loses its deduction and the rest share
// the difference; 0.2 off one of two equal scores gives 0.4 : 0.5.
func TestSuggestSlowSpendingDeduction(t *testing.T) {
	w := Weights{Tasks: dec("1"), SlowSpendingBelow: dec("0.6"), SlowSpendingDeduction: dec("0.2")}
	in := []Input{
		{County: region.Ulan, Tasks: dec("10"), ExecutionRate: dec("0.59")},
		{County: region.Dulan, Tasks: dec("10"), ExecutionRate: dec("0.60")},
	}
	s, err := Suggest(money.MustParse("900.00"), w, in)
	if err != nil {
		t.Fatal(err)
	}
	if got := amounts(s); fmt.Sprint(got) != "[632821 400.00 632822 500.00]" {
		t.Errorf("amounts %v", got)
	}
	if !s.Lines[0].SlowSpending || s.Lines[1].SlowSpending || !s.Lines[0].Deduction.Equal(dec("0.1")) {
		t.Errorf("deductions %+v", s.Lines)
	}
}

// TestSuggestSumsExactly draws random factors and totals: the parts
// always add up to the total to the fen, each within a fen of its exact
// share, and the same input gives the same answer.
func TestSuggestSumsExactly(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	for range 300 {
		var in []Input
		for _, c := range region.Counties()[:1+rng.IntN(7)] {
			r := func() decimal.Decimal { return decimal.New(rng.Int64N(100000), -int32(rng.IntN(4))) }
			in = append(in, Input{County: c, Tasks: r(), Population: r(), CoFunding: r(), FiscalDifficulty: r(), ExecutionRate: r(), Outcomes: r()})
		}
		total := money.FromDecimal(decimal.New(1+rng.Int64N(1e10), -2))
		s, err := Suggest(total, haixiWeights(), in)
		if err != nil {
			t.Fatal(err)
		}
		sum := money.Amount{}
		for _, l := range s.Lines {
			sum = sum.Add(l.Amount)
			if diff := l.Amount.Decimal().Sub(l.Exact).Abs(); diff.GreaterThanOrEqual(dec("0.01")) {
				t.Fatalf("%s: amount %s is %s from exact %s", l.Input.County, l.Amount, diff, l.Exact)
			}
		}
		if !sum.Equal(total) {
			t.Fatalf("parts sum to %s, total %s (%v)", sum, total, amounts(s))
		}
		again, _ := Suggest(total, haixiWeights(), in)
		if fmt.Sprint(amounts(again)) != fmt.Sprint(amounts(s)) {
			t.Fatalf("not deterministic: %v vs %v", amounts(again), amounts(s))
		}
	}
}

func TestSuggestRejects(t *testing.T) {
	ok := []Input{{County: region.Golmud, Tasks: dec("1")}}
	for _, tt := range []struct {
		name        string
		total       string
		w           Weights
		in          []Input
		target      error
		field, rule string
	}{
		{"zero total", "0", haixiWeights(), ok, domain.ErrInvalid, "total", "positive"},
		{"bad weights", "1", Weights{}, ok, domain.ErrInvalid, "weights", "sum-to-one"},
		{"no counties", "1", haixiWeights(), nil, domain.ErrInvalid, "inputs", "required"},
		{"unknown county", "1", haixiWeights(), []Input{{County: "110000"}}, domain.ErrInvalid, "inputs[0].county", "haixi-region"},
		{"twice", "1", haixiWeights(), append(ok, ok[0]), domain.ErrInvalid, "inputs[1].county", "unique"},
		{"negative", "1", haixiWeights(), []Input{{County: region.Golmud, Population: dec("-1")}}, domain.ErrInvalid, "inputs[0].population", "not-negative"},
		{"all cut", "1", Weights{Tasks: dec("1"), SlowSpendingBelow: dec("1"), SlowSpendingDeduction: dec("1")}, ok, domain.ErrRejected, "inputs", "factor-scores-positive"},
	} {
		_, err := Suggest(money.MustParse(tt.total), tt.w, tt.in)
		wantRule(t, tt.name, err, tt.target, tt.field, tt.rule)
	}
}
