// Package stabilization holds the rules of the unemployment-insurance
// stabilization refund (失业保险稳岗返还): which insured units qualify for a
// year, and how much of last year's UI premiums they get back.
package stabilization

import (
	"fmt"

	"github.com/haixi-hrss/fundledger/domain"
	"github.com/haixi-hrss/fundledger/domain/calendar"
	"github.com/haixi-hrss/fundledger/domain/eligibility"
	"github.com/haixi-hrss/fundledger/domain/identity"
	"github.com/haixi-hrss/fundledger/domain/money"
	"github.com/haixi-hrss/fundledger/domain/policy"
	"github.com/haixi-hrss/fundledger/domain/programme"
	"github.com/haixi-hrss/fundledger/domain/uniqueness"
	"github.com/shopspring/decimal"
)

// Facts are what the bureau's premium and headcount data say about one
// insured unit for the refund year.
type Facts struct {
	Employer identity.CreditCode `json:"employer"`
	// Year is the refund year; one refund per unit per year.
	Year programme.FiscalYear `json:"year"`
	// InsuredStaff is the unit's insured headcount, which sets its size
	// class and whether the ≤ 30-staff layoff rule applies.
	InsuredStaff int `json:"insuredStaff"`
	// PremiumMonthsPaidInFull counts the months of UI premiums paid in
	// full.
	PremiumMonthsPaidInFull int `json:"premiumMonthsPaidInFull"`
	// PremiumsPaidLastYear is the UI premiums actually paid last year, unit
	// and staff shares, excluding arrears and late fees.
	PremiumsPaidLastYear money.Amount `json:"premiumsPaidLastYear"`
	// NewUIClaimants and AverageMonthlyInsured feed the "claimants"
	// layoff formula.
	NewUIClaimants        int             `json:"newUIClaimants"`
	AverageMonthlyInsured decimal.Decimal `json:"averageMonthlyInsured"`
	// InsuredLastYearEnd and InsuredThisYearEnd feed the
	// "headcount-decline" formula.
	InsuredLastYearEnd int `json:"insuredLastYearEnd"`
	InsuredThisYearEnd int `json:"insuredThisYearEnd"`
	// SeriouslyDishonest is true for units on the list of seriously
	// dishonest entities (严重失信).
	SeriouslyDishonest bool `json:"seriouslyDishonest"`
	// ProvinceReservesOneYear is true where the province's UI fund holds at
	// least a year of reserves, which allows the higher SME rate.
	ProvinceReservesOneYear bool `json:"provinceReservesOneYear"`
}

func (f Facts) validate() error {
	switch {
	case f.Employer == "":
		return domain.Invalid("employer", "required", "the unit's credit code is required")
	case !f.Year.Valid():
		return domain.Invalid("year", "fiscal-year", "refund year %d is out of range", f.Year)
	case f.InsuredStaff < 0, f.PremiumMonthsPaidInFull < 0, f.NewUIClaimants < 0, f.InsuredLastYearEnd < 0, f.InsuredThisYearEnd < 0:
		return domain.Invalid("headcount", "non-negative", "headcounts and month counts must not be negative")
	case f.AverageMonthlyInsured.IsNegative():
		return domain.Invalid("averageMonthlyInsured", "non-negative", "the average insured headcount must not be negative")
	case f.PremiumsPaidLastYear.IsNegative():
		return domain.Invalid("premiumsPaidLastYear", "non-negative", "premiums paid must not be negative")
	}
	return nil
}

// Rule names of the checks Assess makes.
const (
	RuleCreditCode    = "employer-credit-code"
	RulePremiumMonths = "premium-months"
	RuleLayoffRate    = "layoff-rate"
	RuleNotDishonest  = "not-seriously-dishonest"
	RulePremiumsPaid  = "premiums-paid"
	RuleRefundAmount  = "refund-amount"
)

// KeyEmployerYear is the uniqueness rule: one refund per unit per year.
const KeyEmployerYear = "stabilization-employer-year"

// Layoff rates are shown as percentages with two decimals.
const (
	percentPlaces     = 2
	defaultRatePlaces = 4
)

// Assess checks f under version v on the effective date and computes the
// refund: premiums paid last year × the rate of the unit's size class,
// rounded half-up to the fen once. Malformed facts or a version that does
// not apply give an error; failed rules give an ineligible assessment.
func Assess(v policy.Version, effective calendar.Date, f Facts) (eligibility.Assessment, error) {
	if err := v.Applies(programme.Stabilization, effective); err != nil {
		return eligibility.Assessment{}, err
	}
	if err := f.validate(); err != nil {
		return eligibility.Assessment{}, err
	}
	p := v.Stabilization
	var r eligibility.Recorder
	r.Review(RuleCreditCode, f.Employer.CheckCharValid(),
		"credit code %s: GB 32100 check character valid = %v", f.Employer, f.Employer.CheckCharValid())
	r.Require(RulePremiumMonths, f.PremiumMonthsPaidInFull >= p.MinPremiumMonths,
		"UI premiums paid in full for %d months, %d required", f.PremiumMonthsPaidInFull, p.MinPremiumMonths)
	checkLayoff(&r, p, f)
	r.Require(RuleNotDishonest, !f.SeriouslyDishonest, "on the list of seriously dishonest units: %v", f.SeriouslyDishonest)
	r.Require(RulePremiumsPaid, f.PremiumsPaidLastYear.IsPositive(), "UI premiums paid last year: %s yuan", f.PremiumsPaidLastYear)

	rate, class := Rate(p, f.InsuredStaff, f.ProvinceReservesOneYear)
	amount := f.PremiumsPaidLastYear.MulRate(rate)
	r.Note(RuleRefundAmount, "%s unit (%d insured staff): %s × %s%% = %s yuan", class, f.InsuredStaff, f.PremiumsPaidLastYear, percent(rate), amount)
	return r.Assess(programme.Stabilization, v.ID, effective, amount), nil
}

// Rate returns the refund rate and size class ("large" or "SME") of a
// unit with insuredStaff insured staff.
func Rate(p *policy.Stabilization, insuredStaff int, provinceReservesOneYear bool) (decimal.Decimal, string) {
	if insuredStaff >= p.LargeMinInsuredStaff {
		return p.LargeRate, "large"
	}
	if provinceReservesOneYear && p.SMERateWithReserves.IsPositive() {
		return p.SMERateWithReserves, "SME"
	}
	return p.SMERate, "SME"
}

// checkLayoff compares layoffs with the limit without dividing, so a rate
// exactly at the limit passes exactly: layoffs ≤ limit × base.
func checkLayoff(r *eligibility.Recorder, p *policy.Stabilization, f Facts) {
	var layoffs, base decimal.Decimal
	var formula string
	switch p.LayoffFormula {
	case policy.LayoffHeadcountDecline:
		layoffs = decimal.NewFromInt(int64(max(f.InsuredLastYearEnd-f.InsuredThisYearEnd, 0)))
		base = decimal.NewFromInt(int64(f.InsuredLastYearEnd))
		formula = fmt.Sprintf("(%d − %d) ÷ %d insured at year-ends", f.InsuredLastYearEnd, f.InsuredThisYearEnd, f.InsuredLastYearEnd)
	default:
		layoffs = decimal.NewFromInt(int64(f.NewUIClaimants))
		base = f.AverageMonthlyInsured
		formula = fmt.Sprintf("%d new UI claimants ÷ %s average monthly insured", f.NewUIClaimants, f.AverageMonthlyInsured)
	}
	if !base.IsPositive() {
		r.Require(RuleLayoffRate, false, "layoff rate %s cannot be computed: no insured staff", formula)
		return
	}
	rate := layoffs.DivRound(base, defaultRatePlaces+percentPlaces)
	if !layoffs.GreaterThan(p.LayoffRateMax.Mul(base)) {
		r.Require(RuleLayoffRate, true, "layoff rate %s = %s%% ≤ %s%%", formula, percent(rate), percent(p.LayoffRateMax))
		return
	}
	small := f.InsuredStaff <= p.SmallUnitMaxStaff && !layoffs.GreaterThan(p.SmallUnitLayoffRateMax.Mul(base))
	if small {
		r.Require(RuleLayoffRate, true, "layoff rate %s = %s%% > %s%%, but the unit has %d ≤ %d insured staff and %s%% ≤ %s%%",
			formula, percent(rate), percent(p.LayoffRateMax), f.InsuredStaff, p.SmallUnitMaxStaff, percent(rate), percent(p.SmallUnitLayoffRateMax))
		return
	}
	r.Require(RuleLayoffRate, false, "layoff rate %s = %s%% exceeds %s%% (units with ≤ %d insured staff: %s%%; this unit has %d)",
		formula, percent(rate), percent(p.LayoffRateMax), p.SmallUnitMaxStaff, percent(p.SmallUnitLayoffRateMax), f.InsuredStaff)
}

func percent(rate decimal.Decimal) string { return rate.Shift(2).Round(percentPlaces).String() }

// Keys returns the reservations that make the refund once per unit per
// year.
func Keys(f Facts) []uniqueness.Key {
	return []uniqueness.Key{{Rule: KeyEmployerYear, Value: fmt.Sprintf("%s|%d", f.Employer, f.Year)}}
}
