package absorption

import (
	"github.com/haixi-hrss/fundledger/domain"
	"github.com/haixi-hrss/fundledger/domain/calendar"
	"github.com/haixi-hrss/fundledger/domain/eligibility"
	"github.com/haixi-hrss/fundledger/domain/identity"
	"github.com/haixi-hrss/fundledger/domain/money"
	"github.com/haixi-hrss/fundledger/domain/policy"
	"github.com/haixi-hrss/fundledger/domain/programme"
	"github.com/haixi-hrss/fundledger/domain/uniqueness"
)

// HireFacts describe one monthly instalment for an employer that hired a
// person with employment difficulty.
type HireFacts struct {
	Person   identity.PersonRef  `json:"person"`
	Employer identity.CreditCode `json:"employer"`
	// Category is the person's certified hardship category, e.g.
	// "zero-employment-family".
	Category string `json:"category"`
	// FirstApproval is the date the subsidy for this hire was first
	// approved; the period is counted from its month.
	FirstApproval calendar.Date `json:"firstApproval"`
	// RetirementDate is the person's statutory retirement date, from the
	// pension system (it depends on sex, birth date and the transition
	// rules, which are not this package's business).
	RetirementDate calendar.Date `json:"retirementDate"`
	// Month is any day of the month the premiums are for.
	Month calendar.Date `json:"month"`
	// The employer's shares of the premiums paid for the person for Month.
	PensionPremium      money.Amount `json:"pensionPremium"`
	MedicalPremium      money.Amount `json:"medicalPremium"`
	UnemploymentPremium money.Amount `json:"unemploymentPremium"`
}

// RuleCreditCode is the review check of the employer's credit code.
const RuleCreditCode = "employer-credit-code"

func (f HireFacts) validate() error {
	if _, err := identity.ParsePersonRef("person", string(f.Person)); err != nil {
		return err
	}
	switch {
	case f.Employer == "":
		return domain.Invalid("employer", "required", "the employer's credit code is required")
	case f.FirstApproval.IsZero():
		return domain.Invalid("firstApproval", "required", "the date of first approval is required")
	case f.Month.IsZero():
		return domain.Invalid("month", "required", "the month of the premiums is required")
	case f.PensionPremium.IsNegative(), f.MedicalPremium.IsNegative(), f.UnemploymentPremium.IsNegative():
		return domain.Invalid("premiums", "non-negative", "premiums must not be negative")
	}
	return nil
}

// AssessHire checks one monthly instalment under version v on the
// effective date. The amount is the employer's pension + medical + UI
// premiums for the person for the month.
func AssessHire(v policy.Version, effective calendar.Date, f HireFacts) (eligibility.Assessment, error) {
	if err := v.Applies(programme.Absorption, effective); err != nil {
		return eligibility.Assessment{}, err
	}
	if err := f.validate(); err != nil {
		return eligibility.Assessment{}, err
	}
	p := v.Absorption
	var r eligibility.Recorder
	r.Review(RuleCreditCode, f.Employer.CheckCharValid(), "credit code %s: GB 32100 check character valid = %v", f.Employer, f.Employer.CheckCharValid())
	checkCategory(&r, f.Category, p.HardshipCategories)
	subsidyPeriod(f.FirstApproval, f.RetirementDate, p.MaxMonths, p.NearRetirementYears).check(&r, f.Month.FirstOfMonth(), p.MaxMonths)
	amount := f.PensionPremium.Add(f.MedicalPremium).Add(f.UnemploymentPremium)
	r.Require(RulePremiumsPaid, amount.IsPositive(), "employer premiums for the month: pension %s + medical %s + unemployment %s = %s yuan",
		f.PensionPremium, f.MedicalPremium, f.UnemploymentPremium, amount)
	return r.Assess(programme.Absorption, v.ID, effective, amount), nil
}

// HireKeys returns the reservation that subsidises the person's month
// once.
func HireKeys(f HireFacts) []uniqueness.Key { return monthKey(f.Person, f.Month) }
