package factor

import (
	"fmt"
	"math/big"
	"slices"
	"strings"

	"github.com/shopspring/decimal"

	"github.com/haixi-hrss/fundledger/domain"
	"github.com/haixi-hrss/fundledger/domain/money"
	"github.com/haixi-hrss/fundledger/domain/region"
)

// Precision is the number of decimal places shares and scores are rounded
// to (half-up), once each. The amounts are then computed in whole fen
// with integer arithmetic, so this rounding never makes the parts miss
// the total.
const Precision = 12

// Input is one county's factors. Every value is ≥ 0; each factor is
// compared only with the same factor of the other counties, so its unit
// is the caller's choice (people, yuan, a coefficient, a ratio).
type Input struct {
	County region.Code `json:"county"`
	// Tasks is the county's workload, e.g. its new-urban-jobs target.
	Tasks decimal.Decimal `json:"tasks"`
	// Population is e.g. the registered urban unemployed or the
	// labour force.
	Population decimal.Decimal `json:"population"`
	// CoFunding is the county's own money put into the programmes.
	CoFunding decimal.Decimal `json:"coFunding"`
	// FiscalDifficulty is a coefficient that grows as the county's own
	// revenue covers less of its spending.
	FiscalDifficulty decimal.Decimal `json:"fiscalDifficulty"`
	// ExecutionRate is spent ÷ allocated (a ratio) in the basis period.
	ExecutionRate decimal.Decimal `json:"executionRate"`
	// Outcomes measures what the money bought, e.g. mean target
	// completion (a ratio).
	Outcomes decimal.Decimal `json:"outcomes"`
}

func (in Input) values() []namedValue {
	return []namedValue{
		{"tasks", in.Tasks, true}, {"population", in.Population, true},
		{"coFunding", in.CoFunding, true}, {"fiscalDifficulty", in.FiscalDifficulty, true},
		{"executionRate", in.ExecutionRate, true}, {"outcomes", in.Outcomes, true},
	}
}

// Shares are one county's normalised factor shares: its value ÷ the sum
// over the counties, or 1 ÷ the number of counties where every county's
// value is 0 (the factor then tells the counties apart in no way).
type Shares struct {
	Tasks            decimal.Decimal `json:"tasks"`
	Population       decimal.Decimal `json:"population"`
	CoFunding        decimal.Decimal `json:"coFunding"`
	FiscalDifficulty decimal.Decimal `json:"fiscalDifficulty"`
	Execution        decimal.Decimal `json:"execution"`
	Outcomes         decimal.Decimal `json:"outcomes"`
}

// Line is one county's suggestion with every step of its computation.
type Line struct {
	Input  Input  `json:"input"`
	Shares Shares `json:"shares"`
	// WeightedScore is Σ weight × share.
	WeightedScore decimal.Decimal `json:"weightedScore"`
	// SlowSpending is set when ExecutionRate < SlowSpendingBelow;
	// Deduction is then WeightedScore × SlowSpendingDeduction.
	SlowSpending bool            `json:"slowSpending"`
	Deduction    decimal.Decimal `json:"deduction"`
	// Score is WeightedScore − Deduction; ScoreShare is Score ÷ Σ Score.
	Score      decimal.Decimal `json:"score"`
	ScoreShare decimal.Decimal `json:"scoreShare"`
	// Exact is Total × Score ÷ Σ Score before rounding to the fen (shown
	// to six decimals).
	Exact decimal.Decimal `json:"exact"`
	// Amount is Exact rounded down to the fen, plus Residue: one fen for
	// the counties with the largest remainders until the parts add up to
	// the total.
	Amount  money.Amount `json:"amount"`
	Residue money.Amount `json:"residue"`
}

// Suggestion is the factor method's answer for a total.
type Suggestion struct {
	Total     money.Amount `json:"total"`
	Weights   Weights      `json:"weights"`
	Precision int          `json:"precision"`
	// Lines are by county code; their amounts sum to Total exactly.
	Lines []Line `json:"lines"`
	// Residue is the fen handed out by the largest-remainder rule.
	Residue money.Amount `json:"residue"`
}

// Suggest splits total over the counties of inputs by weights. It rejects
// malformed input with a *domain.FieldError naming the field
// ("inputs[2].population", ...), and a set of inputs whose scores are all
// zero (every county cut to nothing) with a *domain.RuleError.
func Suggest(total money.Amount, w Weights, inputs []Input) (Suggestion, error) {
	if err := validate(total, w, inputs); err != nil {
		return Suggestion{}, err
	}
	lines := make([]Line, len(inputs))
	for i, in := range inputs {
		lines[i].Input = in
	}
	slices.SortFunc(lines, func(a, b Line) int { return strings.Compare(string(a.Input.County), string(b.Input.County)) })

	shares := make([][]decimal.Decimal, len(lines))
	for f := range len(inputs[0].values()) {
		sum := decimal.Zero
		for _, l := range lines {
			sum = sum.Add(l.Input.values()[f].v)
		}
		for i, l := range lines {
			var s decimal.Decimal
			if sum.IsZero() {
				s = one.DivRound(decimal.NewFromInt(int64(len(lines))), Precision)
			} else {
				s = l.Input.values()[f].v.DivRound(sum, Precision)
			}
			shares[i] = append(shares[i], s)
		}
	}
	weights := []decimal.Decimal{w.Tasks, w.Population, w.CoFunding, w.FiscalDifficulty, w.Execution, w.Outcomes}
	scoreSum := decimal.Zero
	for i := range lines {
		l := &lines[i]
		s := shares[i]
		l.Shares = Shares{Tasks: s[0], Population: s[1], CoFunding: s[2], FiscalDifficulty: s[3], Execution: s[4], Outcomes: s[5]}
		score := decimal.Zero
		for f, wt := range weights {
			score = score.Add(wt.Mul(s[f]))
		}
		l.WeightedScore = score.Round(Precision)
		l.Deduction = decimal.Zero
		if l.Input.ExecutionRate.LessThan(w.SlowSpendingBelow) {
			l.SlowSpending = true
			l.Deduction = l.WeightedScore.Mul(w.SlowSpendingDeduction).Round(Precision)
		}
		l.Score = l.WeightedScore.Sub(l.Deduction)
		scoreSum = scoreSum.Add(l.Score)
	}
	if !scoreSum.IsPositive() {
		return Suggestion{}, domain.Reject("factor-scores-positive", "inputs", "every county's score is zero after deductions; nothing can be shared")
	}
	residue := apportion(total, scoreSum, lines)
	return Suggestion{Total: total, Weights: w, Precision: Precision, Lines: lines, Residue: residue}, nil
}

// apportion sets each line's share, exact amount and amount. It works in
// whole fen: with scores scaled to integers, line i's floor is
// ⌊totalFen × Sᵢ ÷ ΣS⌋ exactly, and the fen left over (fewer than the
// number of lines) go one each to the largest remainders, ties to the
// lower county code, so the result is deterministic and sums to total.
func apportion(total money.Amount, scoreSum decimal.Decimal, lines []Line) money.Amount {
	scale := func(d decimal.Decimal) *big.Int { return d.Shift(Precision).BigInt() }
	totalFen := total.Decimal().Shift(2).BigInt()
	sumS := scale(scoreSum)
	rems := make([]*big.Int, len(lines))
	given := new(big.Int)
	for i := range lines {
		l := &lines[i]
		l.ScoreShare = l.Score.DivRound(scoreSum, Precision)
		num := new(big.Int).Mul(totalFen, scale(l.Score))
		q, r := new(big.Int).QuoRem(num, sumS, new(big.Int))
		rems[i] = r
		given.Add(given, q)
		l.Exact = decimal.NewFromBigInt(num, -2).DivRound(decimal.NewFromBigInt(sumS, 0), 6)
		l.Amount = money.FromDecimal(decimal.NewFromBigInt(q, -2))
		l.Residue = money.Amount{}
	}
	left := new(big.Int).Sub(totalFen, given).Int64()
	order := make([]int, len(lines))
	for i := range order {
		order[i] = i
	}
	// Lines are sorted by county, so a stable sort by remainder breaks
	// ties by county code.
	slices.SortStableFunc(order, func(a, b int) int { return rems[b].Cmp(rems[a]) })
	fen := money.MustParse("0.01")
	for _, i := range order[:left] {
		lines[i].Residue = fen
		lines[i].Amount = lines[i].Amount.Add(fen)
	}
	return money.FromDecimal(decimal.New(left, -2))
}

func validate(total money.Amount, w Weights, inputs []Input) error {
	if !total.IsPositive() {
		return domain.Invalid("total", "positive", "the total to allocate must be greater than zero")
	}
	if err := w.Validate(); err != nil {
		return err
	}
	if len(inputs) == 0 {
		return domain.Invalid("inputs", "required", "at least one county's factors are needed")
	}
	seen := map[region.Code]bool{}
	for i, in := range inputs {
		field := fmt.Sprintf("inputs[%d]", i)
		if !in.County.Valid() {
			return domain.Invalid(field+".county", "haixi-region", "%q is not Haixi or one of its county-level units", in.County)
		}
		if seen[in.County] {
			return domain.Invalid(field+".county", "unique", "county %s appears twice", in.County)
		}
		seen[in.County] = true
		for _, v := range in.values() {
			if v.v.IsNegative() {
				return domain.Invalid(field+"."+v.name, "not-negative", "%s is %s", v.name, v.v)
			}
		}
	}
	return nil
}
