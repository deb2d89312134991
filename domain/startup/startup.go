// Package startup holds the rules of the one-time start-up subsidy
// (一次性创业补贴) for first-time founders whose business has run for a
// year. Guaranteed start-up loans and their interest subsidies are paid
// from another fund and are not assessed here.
package startup

import (
	"slices"

	"github.com/haixi-hrss/fundledger/domain"
	"github.com/haixi-hrss/fundledger/domain/calendar"
	"github.com/haixi-hrss/fundledger/domain/eligibility"
	"github.com/haixi-hrss/fundledger/domain/identity"
	"github.com/haixi-hrss/fundledger/domain/policy"
	"github.com/haixi-hrss/fundledger/domain/programme"
	"github.com/haixi-hrss/fundledger/domain/uniqueness"
)

// Graduate is the founder group to which the graduation window applies.
const Graduate = "graduate"

// Facts describe one founder and the business.
type Facts struct {
	Founder identity.PersonRef `json:"founder"`
	// Group is the founder's group, e.g. "graduate" or "hardship".
	Group string `json:"group"`
	// GraduationDate matters for graduates: the business must be
	// registered within the graduation window.
	GraduationDate calendar.Date `json:"graduationDate"`
	// FirstTimeFounder is whether the founder never registered a business
	// before this one.
	FirstTimeFounder bool `json:"firstTimeFounder"`
	// Business is the business's credit code.
	Business   identity.CreditCode `json:"business"`
	Registered calendar.Date       `json:"registered"`
	// Operating is whether the business is still operating normally.
	Operating bool `json:"operating"`
	// PriorSubsidy is whether the founder already received a start-up
	// subsidy.
	PriorSubsidy bool `json:"priorSubsidy"`
}

// Rule names of the checks Assess makes.
const (
	RuleCreditCode       = "business-credit-code"
	RuleGroup            = "eligible-group"
	RuleGraduationWindow = "graduation-window"
	RuleFirstTime        = "first-time-founder"
	RuleOperatingPeriod  = "operating-period"
	RuleOperating        = "still-operating"
	RuleOnce             = "once-per-founder"
)

// KeyFounder is the uniqueness rule: one start-up subsidy per founder.
const KeyFounder = "start-up-founder"

func (f Facts) validate() error {
	if _, err := identity.ParsePersonRef("founder", string(f.Founder)); err != nil {
		return err
	}
	switch {
	case f.Group == "":
		return domain.Invalid("group", "required", "the founder's group is required")
	case f.Group == Graduate && f.GraduationDate.IsZero():
		return domain.Invalid("graduationDate", "required", "a graduate's graduation date is required")
	case f.Business == "":
		return domain.Invalid("business", "required", "the business's credit code is required")
	case f.Registered.IsZero():
		return domain.Invalid("registered", "required", "the business's registration date is required")
	}
	return nil
}

// Assess checks a claim under version v on the effective date; the amount
// is the version's (locally set) subsidy.
func Assess(v policy.Version, effective calendar.Date, f Facts) (eligibility.Assessment, error) {
	if err := v.Applies(programme.StartUp, effective); err != nil {
		return eligibility.Assessment{}, err
	}
	if err := f.validate(); err != nil {
		return eligibility.Assessment{}, err
	}
	p := v.StartUp
	var r eligibility.Recorder
	r.Review(RuleCreditCode, f.Business.CheckCharValid(), "credit code %s: GB 32100 check character valid = %v", f.Business, f.Business.CheckCharValid())
	r.Require(RuleGroup, slices.Contains(p.EligibleGroups, f.Group), "group %q; eligible: %v", f.Group, p.EligibleGroups)
	if f.Group == Graduate {
		closes := f.GraduationDate.AddYears(p.GraduationWindowYears)
		r.Require(RuleGraduationWindow, f.Registered.Within(f.GraduationDate, closes),
			"graduated %s, business registered %s; the window is %s to %s", f.GraduationDate, f.Registered, f.GraduationDate, closes)
	}
	r.Require(RuleFirstTime, f.FirstTimeFounder, "first business of the founder: %v", f.FirstTimeFounder)
	since := f.Registered.AddMonths(p.MinOperatingMonths)
	r.Require(RuleOperatingPeriod, !effective.Before(since), "registered %s; %d months of operation are complete on %s", f.Registered, p.MinOperatingMonths, since)
	r.Require(RuleOperating, f.Operating, "still operating: %v", f.Operating)
	r.Require(RuleOnce, !f.PriorSubsidy, "a start-up subsidy was already paid to the founder: %v", f.PriorSubsidy)
	return r.Assess(programme.StartUp, v.ID, effective, p.Amount), nil
}

// Keys returns the reservation that makes the subsidy once per founder.
func Keys(f Facts) []uniqueness.Key {
	return []uniqueness.Key{{Rule: KeyFounder, Value: string(f.Founder)}}
}
