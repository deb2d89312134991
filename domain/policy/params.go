package policy

import (
	"github.com/haixi-hrss/fundledger/domain"
	"github.com/haixi-hrss/fundledger/domain/calendar"
	"github.com/haixi-hrss/fundledger/domain/money"
	"github.com/shopspring/decimal"
)

// LayoffFormula names how a province computes an employer's layoff rate.
type LayoffFormula string

// The layoff formulas in use.
const (
	// LayoffClaimants is new UI-benefit claimants ÷ average monthly insured
	// headcount.
	LayoffClaimants LayoffFormula = "claimants"
	// LayoffHeadcountDecline is (insured at last year-end − insured at this
	// year-end) ÷ insured at last year-end.
	LayoffHeadcountDecline LayoffFormula = "headcount-decline"
)

// Stabilization parameterises the stabilization refund (稳岗返还).
type Stabilization struct {
	LargeRate decimal.Decimal `json:"largeRate"`
	SMERate   decimal.Decimal `json:"smeRate"`
	// SMERateWithReserves, if not zero, replaces SMERate where the
	// province's UI fund holds at least a year of reserves.
	SMERateWithReserves    decimal.Decimal `json:"smeRateWithReserves"`
	LargeMinInsuredStaff   int             `json:"largeMinInsuredStaff"`
	MinPremiumMonths       int             `json:"minPremiumMonths"`
	LayoffRateMax          decimal.Decimal `json:"layoffRateMax"`
	SmallUnitMaxStaff      int             `json:"smallUnitMaxStaff"`
	SmallUnitLayoffRateMax decimal.Decimal `json:"smallUnitLayoffRateMax"`
	LayoffFormula          LayoffFormula   `json:"layoffFormula"`
}

func (p *Stabilization) validate() error {
	const b = "stabilization."
	return first(
		rate(b+"largeRate", p.LargeRate, false),
		rate(b+"smeRate", p.SMERate, false),
		rate(b+"smeRateWithReserves", p.SMERateWithReserves, true),
		atLeast(b+"largeMinInsuredStaff", p.LargeMinInsuredStaff, 1),
		atLeast(b+"minPremiumMonths", p.MinPremiumMonths, 1),
		rate(b+"layoffRateMax", p.LayoffRateMax, false),
		atLeast(b+"smallUnitMaxStaff", p.SmallUnitMaxStaff, 0),
		rate(b+"smallUnitLayoffRateMax", p.SmallUnitLayoffRateMax, true),
		oneOf(b+"layoffFormula", string(p.LayoffFormula), string(LayoffClaimants), string(LayoffHeadcountDecline)),
	)
}

// Expansion parameterises the one-time job-expansion grant (一次性扩岗补助).
type Expansion struct {
	GrantAmount           money.Amount  `json:"grantAmount"`
	MinInsuredMonths      int           `json:"minInsuredMonths"`
	GraduationWindowYears int           `json:"graduationWindowYears"`
	YouthBornFrom         calendar.Date `json:"youthBornFrom"`
	YouthBornTo           calendar.Date `json:"youthBornTo"`
	// ContractFrom and ContractTo bound the signing date of the labour
	// contract (inclusive).
	ContractFrom    calendar.Date `json:"contractFrom"`
	ContractTo      calendar.Date `json:"contractTo"`
	EnterprisesOnly bool          `json:"enterprisesOnly"`
}

func (p *Expansion) validate() error {
	const b = "expansion."
	return first(
		positive(b+"grantAmount", p.GrantAmount),
		atLeast(b+"minInsuredMonths", p.MinInsuredMonths, 1),
		atLeast(b+"graduationWindowYears", p.GraduationWindowYears, 1),
		dateRange(b+"youthBornFrom", b+"youthBornTo", p.YouthBornFrom, p.YouthBornTo),
		dateRange(b+"contractFrom", b+"contractTo", p.ContractFrom, p.ContractTo),
	)
}

// Absorption parameterises the subsidy of an employer's social-insurance
// premiums for a hired person with employment difficulty (吸纳就业补贴).
type Absorption struct {
	MaxMonths           int `json:"maxMonths"`
	NearRetirementYears int `json:"nearRetirementYears"`
	// HardshipCategories are the groups of people with employment
	// difficulty (就业困难人员) the province recognises.
	HardshipCategories []string `json:"hardshipCategories"`
	// OneTime is the one-time absorption subsidy offered under this
	// version, or nil where the version offers none.
	OneTime *OneTimeAbsorption `json:"oneTime,omitempty"`
}

func (p *Absorption) validate() error {
	const b = "absorption."
	err := first(
		atLeast(b+"maxMonths", p.MaxMonths, 1),
		atLeast(b+"nearRetirementYears", p.NearRetirementYears, 0),
		nonEmpty(b+"hardshipCategories", p.HardshipCategories),
	)
	if err == nil && p.OneTime != nil {
		err = p.OneTime.validate()
	}
	return err
}

// OneTimeAbsorption parameterises the one-time absorption subsidy
// (一次性吸纳就业补贴): a fixed sum to an enterprise per college graduate
// it hires on a contract of at least MinContractMonths. It is not combined
// with the one-time expansion grant for the same person.
type OneTimeAbsorption struct {
	Amount                money.Amount `json:"amount"`
	GraduationWindowYears int          `json:"graduationWindowYears"`
	MinContractMonths     int          `json:"minContractMonths"`
	// MinInsuredMonths is how many months of premiums the employer must
	// have paid for the person.
	MinInsuredMonths int `json:"minInsuredMonths"`
	// ContractFrom and ContractTo bound the signing date of the labour
	// contract (inclusive).
	ContractFrom    calendar.Date `json:"contractFrom"`
	ContractTo      calendar.Date `json:"contractTo"`
	EnterprisesOnly bool          `json:"enterprisesOnly"`
	// SmallAndMediumOnly limits the subsidy to small, medium and micro
	// enterprises (中小微企业).
	SmallAndMediumOnly bool `json:"smallAndMediumOnly"`
}

func (p *OneTimeAbsorption) validate() error {
	const b = "absorption.oneTime."
	return first(
		positive(b+"amount", p.Amount),
		atLeast(b+"graduationWindowYears", p.GraduationWindowYears, 1),
		atLeast(b+"minContractMonths", p.MinContractMonths, 1),
		atLeast(b+"minInsuredMonths", p.MinInsuredMonths, 0),
		dateRange(b+"contractFrom", b+"contractTo", p.ContractFrom, p.ContractTo),
	)
}

// SocialInsurance parameterises the subsidy of a flexibly employed
// person's own premiums (灵活就业社会保险补贴).
type SocialInsurance struct {
	MaxShare              Ratio    `json:"maxShare"`
	HardshipMaxYears      int      `json:"hardshipMaxYears"`
	GraduateMaxYears      int      `json:"graduateMaxYears"`
	GraduationWindowYears int      `json:"graduationWindowYears"`
	NearRetirementYears   int      `json:"nearRetirementYears"`
	HardshipCategories    []string `json:"hardshipCategories"`
}

func (p *SocialInsurance) validate() error {
	const b = "socialInsurance."
	return first(
		p.MaxShare.validate(b+"maxShare"),
		atLeast(b+"hardshipMaxYears", p.HardshipMaxYears, 1),
		atLeast(b+"graduateMaxYears", p.GraduateMaxYears, 1),
		atLeast(b+"graduationWindowYears", p.GraduationWindowYears, 1),
		atLeast(b+"nearRetirementYears", p.NearRetirementYears, 0),
		nonEmpty(b+"hardshipCategories", p.HardshipCategories),
	)
}

// SkillUpgrade parameterises the skill-upgrade subsidy (技能提升补贴).
type SkillUpgrade struct {
	// Caps is the subsidy per certificate level; a level without a cap is
	// not subsidised.
	Caps            map[Level]money.Amount `json:"caps"`
	MinInsuredYears int                    `json:"minInsuredYears"`
	// YearlyCount is how many subsidies a person may receive in a year
	// for any occupation; UrgentExtraPerYear more are allowed for
	// occupations on the urgently-needed list.
	YearlyCount        int `json:"yearlyCount"`
	UrgentExtraPerYear int `json:"urgentExtraPerYear"`
}

func (p *SkillUpgrade) validate() error {
	const b = "skillUpgrade."
	if len(p.Caps) == 0 {
		return domain.Invalid(b+"caps", "required", "at least one level needs a cap")
	}
	for l, a := range p.Caps {
		if !l.Valid() {
			return domain.Invalid(b+"caps", "certificate-level", "%q is not a certificate level", l)
		}
		if err := positive(b+"caps."+string(l), a); err != nil {
			return err
		}
	}
	return first(
		atLeast(b+"minInsuredYears", p.MinInsuredYears, 0),
		atLeast(b+"yearlyCount", p.YearlyCount, 1),
		atLeast(b+"urgentExtraPerYear", p.UrgentExtraPerYear, 0),
	)
}

// Training parameterises the vocational training subsidy (职业培训补贴).
type Training struct {
	MaxPerPerson int `json:"maxPerPerson"`
	// AdvanceShare of the course standard may be advanced to the provider.
	AdvanceShare decimal.Decimal `json:"advanceShare"`
	// PlacementMonths is the window after certification in which a
	// trainee counts as placed.
	PlacementMonths int             `json:"placementMonths"`
	PlacedShare     decimal.Decimal `json:"placedShare"`
	UnplacedShare   decimal.Decimal `json:"unplacedShare"`
}

func (p *Training) validate() error {
	const b = "training."
	return first(
		atLeast(b+"maxPerPerson", p.MaxPerPerson, 1),
		rate(b+"advanceShare", p.AdvanceShare, true),
		atLeast(b+"placementMonths", p.PlacementMonths, 1),
		rate(b+"placedShare", p.PlacedShare, false),
		rate(b+"unplacedShare", p.UnplacedShare, true),
	)
}

// StartUp parameterises the one-time start-up subsidy (创业补贴).
type StartUp struct {
	Amount                money.Amount `json:"amount"`
	MinOperatingMonths    int          `json:"minOperatingMonths"`
	GraduationWindowYears int          `json:"graduationWindowYears"`
	// EligibleGroups are the founder groups that qualify, e.g. "graduate"
	// and "hardship".
	EligibleGroups []string `json:"eligibleGroups"`
}

func (p *StartUp) validate() error {
	const b = "startUp."
	return first(
		positive(b+"amount", p.Amount),
		atLeast(b+"minOperatingMonths", p.MinOperatingMonths, 1),
		atLeast(b+"graduationWindowYears", p.GraduationWindowYears, 1),
		nonEmpty(b+"eligibleGroups", p.EligibleGroups),
	)
}

func first(errs ...error) error {
	for _, err := range errs {
		if err != nil {
			return err
		}
	}
	return nil
}

func rate(field string, r decimal.Decimal, zeroOK bool) error {
	if r.IsNegative() || r.GreaterThan(decimal.NewFromInt(1)) || (!zeroOK && r.IsZero()) {
		return domain.Invalid(field, "rate-range", "rate %s must be within (0, 1]", r)
	}
	return nil
}

func atLeast(field string, n, lo int) error {
	if n < lo {
		return domain.Invalid(field, "min", "%d is below the minimum %d", n, lo)
	}
	return nil
}

func positive(field string, a money.Amount) error {
	if !a.IsPositive() {
		return domain.Invalid(field, "positive", "amount %s must be greater than zero", a)
	}
	return nil
}

func nonEmpty(field string, xs []string) error {
	if len(xs) == 0 {
		return domain.Invalid(field, "required", "at least one entry is required")
	}
	for _, x := range xs {
		if x == "" {
			return domain.Invalid(field, "required", "entries must not be empty")
		}
	}
	return nil
}

func oneOf(field, v string, allowed ...string) error {
	for _, a := range allowed {
		if v == a {
			return nil
		}
	}
	return domain.Invalid(field, "one-of", "%q is not one of %v", v, allowed)
}

func dateRange(fromField, toField string, from, to calendar.Date) error {
	if from.IsZero() {
		return domain.Invalid(fromField, "required", "the first day is required")
	}
	if to.IsZero() {
		return domain.Invalid(toField, "required", "the last day is required")
	}
	if to.Before(from) {
		return domain.Invalid(toField, "date-order", "%s is before %s", to, from)
	}
	return nil
}
