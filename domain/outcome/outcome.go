// Package outcome names what the money bought and how it is measured
// against targets. Its subpackages hold the aggregates: hire (a subsidised
// hire and whether the person is still insured at +3, +6 and +12 months),
// trainee (certification and placement), indicator (a county's recorded
// employment indicators by period) and target (a county's yearly targets).
package outcome

import (
	"github.com/haixi-hrss/fundledger/domain"
	"github.com/shopspring/decimal"
)

// Indicator names a county employment indicator with a yearly target.
type Indicator string

// The indicators.
const (
	NewUrbanJobs          Indicator = "new-urban-jobs"                   // 城镇新增就业
	LabourTransfer        Indicator = "labour-transfer"                  // 劳动力转移就业 (person-times)
	Reemployment          Indicator = "reemployment"                     // 失业人员再就业
	DifficultyPlaced      Indicator = "difficulty-placed"                // 就业困难人员就业
	ZeroEmploymentCleared Indicator = "zero-employment-families-cleared" // 零就业家庭动态清零
)

// Valid reports whether i is a known indicator.
func (i Indicator) Valid() bool {
	switch i {
	case NewUrbanJobs, LabourTransfer, Reemployment, DifficultyPlaced, ZeroEmploymentCleared:
		return true
	}
	return false
}

// ParseIndicator returns the indicator named s; the error names field.
func ParseIndicator(field, s string) (Indicator, error) {
	if i := Indicator(s); i.Valid() {
		return i, nil
	}
	return "", domain.Invalid(field, "indicator", "%q is not an indicator", s)
}

// Completion is actual as a percentage of target, rounded half-up to two
// decimals: 3,189 of 11,300 is 28.22. The division is exact before the one
// rounding, so no float or intermediate rounding can shift a figure.
func Completion(actual, target int64) (decimal.Decimal, error) {
	if target <= 0 {
		return decimal.Decimal{}, domain.Invalid("target", "positive", "a target of %d cannot measure completion", target)
	}
	if actual < 0 {
		return decimal.Decimal{}, domain.Invalid("actual", "not-negative", "an actual value of %d is negative", actual)
	}
	return decimal.NewFromInt(actual).Mul(decimal.NewFromInt(100)).DivRound(decimal.NewFromInt(target), 2), nil
}

// IsCheckpoint reports whether months is one of the points after a
// subsidised hire (+3, +6 and +12 months) at which the person's insured
// status is recorded.
func IsCheckpoint(months int) bool { return months == 3 || months == 6 || months == 12 }
