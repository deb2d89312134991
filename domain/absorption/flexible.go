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

// FlexibleGroup is the group a flexibly employed person qualifies through.
type FlexibleGroup string

// The groups.
const (
	Hardship FlexibleGroup = "hardship" // person with employment difficulty
	Graduate FlexibleGroup = "graduate" // college graduate within the window
)

// FlexibleFacts describe one monthly instalment for a flexibly employed
// person's own premiums.
type FlexibleFacts struct {
	Person identity.PersonRef `json:"person"`
	Group  FlexibleGroup      `json:"group"`
	// Category is the certified hardship category (Hardship only).
	Category string `json:"category"`
	// GraduationDate matters for Graduate.
	GraduationDate calendar.Date `json:"graduationDate"`
	// Registered is whether the person is registered as flexibly employed.
	Registered     bool          `json:"registered"`
	FirstApproval  calendar.Date `json:"firstApproval"`
	RetirementDate calendar.Date `json:"retirementDate"`
	Month          calendar.Date `json:"month"`
	// PremiumsPaid is what the person paid for Month (pension + medical).
	PremiumsPaid money.Amount `json:"premiumsPaid"`
}

// Rule names of the flexible-employment checks.
const (
	RuleFlexibleRegistered = "flexible-employment-registered"
	RuleGraduationWindow   = "graduation-window"
)

func (f FlexibleFacts) validate() error {
	if _, err := identity.ParsePersonRef("person", string(f.Person)); err != nil {
		return err
	}
	switch {
	case f.Group != Hardship && f.Group != Graduate:
		return domain.Invalid("group", "one-of", "group %q is not hardship or graduate", f.Group)
	case f.Group == Graduate && f.GraduationDate.IsZero():
		return domain.Invalid("graduationDate", "required", "a graduate's graduation date is required")
	case f.FirstApproval.IsZero():
		return domain.Invalid("firstApproval", "required", "the date of first approval is required")
	case f.Month.IsZero():
		return domain.Invalid("month", "required", "the month of the premiums is required")
	case f.PremiumsPaid.IsNegative():
		return domain.Invalid("premiumsPaid", "non-negative", "premiums must not be negative")
	}
	return nil
}

// AssessFlexible checks one monthly instalment under version v on the
// effective date. The amount is the policy's share (e.g. 2/3) of the
// premiums paid, rounded half-up to the fen once. Hardship cases run up to
// HardshipMaxYears (or to retirement when it is near at first approval);
// graduates up to GraduateMaxYears, first approved within the graduation
// window.
func AssessFlexible(v policy.Version, effective calendar.Date, f FlexibleFacts) (eligibility.Assessment, error) {
	if err := v.Applies(programme.SocialInsurance, effective); err != nil {
		return eligibility.Assessment{}, err
	}
	if err := f.validate(); err != nil {
		return eligibility.Assessment{}, err
	}
	p := v.SocialInsurance
	var r eligibility.Recorder
	r.Require(RuleFlexibleRegistered, f.Registered, "registered as flexibly employed: %v", f.Registered)
	var per period
	var maxMonths int
	switch f.Group {
	case Hardship:
		checkCategory(&r, f.Category, p.HardshipCategories)
		maxMonths = 12 * p.HardshipMaxYears
		per = subsidyPeriod(f.FirstApproval, f.RetirementDate, maxMonths, p.NearRetirementYears)
	case Graduate:
		closes := f.GraduationDate.AddYears(p.GraduationWindowYears)
		r.Require(RuleGraduationWindow, f.FirstApproval.Within(f.GraduationDate, closes),
			"graduated %s, first approved %s; the window is %s to %s", f.GraduationDate, f.FirstApproval, f.GraduationDate, closes)
		maxMonths = 12 * p.GraduateMaxYears
		per = subsidyPeriod(f.FirstApproval, calendar.Date{}, maxMonths, 0)
	}
	per.check(&r, f.Month.FirstOfMonth(), maxMonths)
	amount := p.MaxShare.Apply(f.PremiumsPaid)
	r.Require(RulePremiumsPaid, amount.IsPositive(), "premiums paid %s × %s = %s yuan", f.PremiumsPaid, p.MaxShare, amount)
	return r.Assess(programme.SocialInsurance, v.ID, effective, amount), nil
}

// FlexibleKeys returns the reservation that subsidises the person's month
// once; it is the same rule as HireKeys, so a month cannot be paid both to
// an employer and to the person.
func FlexibleKeys(f FlexibleFacts) []uniqueness.Key { return monthKey(f.Person, f.Month) }
