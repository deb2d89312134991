// Package absorption holds the rules of the social-insurance subsidies for
// employment: the subsidy of an employer's premiums for a hired person with
// employment difficulty (吸纳就业补贴, programme "absorption"), and of a
// flexibly employed person's own premiums (灵活就业社会保险补贴, programme
// "social-insurance"). Both are paid in monthly instalments within a
// subsidy period that starts at first approval.
package absorption

import (
	"fmt"
	"slices"

	"github.com/haixi-hrss/fundledger/domain/calendar"
	"github.com/haixi-hrss/fundledger/domain/eligibility"
	"github.com/haixi-hrss/fundledger/domain/identity"
	"github.com/haixi-hrss/fundledger/domain/uniqueness"
)

// KeyPersonMonth is the uniqueness rule shared by both programmes: a
// person's premiums for one month are subsidised once, whoever claims.
const KeyPersonMonth = "social-insurance-person-month"

// Rule names shared by both assessments.
const (
	RuleHardshipCategory = "hardship-category"
	RuleSubsidyPeriod    = "subsidy-period"
	RulePremiumsPaid     = "premiums-paid"
)

// period is the months a subsidy may cover: from the month of first
// approval to the month before end (exclusive).
type period struct {
	start, end     calendar.Date
	nearRetirement bool
}

// subsidyPeriod returns the period of a subsidy first approved on first:
// maxMonths long, or to retirement if retirement falls within
// nearRetirementYears of first approval.
func subsidyPeriod(first, retirement calendar.Date, maxMonths, nearRetirementYears int) period {
	start := first.FirstOfMonth()
	if !retirement.IsZero() && !retirement.After(first.AddYears(nearRetirementYears)) {
		return period{start: start, end: retirement, nearRetirement: true}
	}
	return period{start: start, end: start.AddMonths(maxMonths)}
}

// check records whether month (its first day) lies in the period.
func (p period) check(r *eligibility.Recorder, month calendar.Date, maxMonths int) {
	inside := !month.Before(p.start) && month.Before(p.end)
	if p.nearRetirement {
		r.Require(RuleSubsidyPeriod, inside, "month %s; retirement on %s is within the near-retirement window of first approval, so the period runs from %s to retirement",
			month.String()[:7], p.end, p.start.String()[:7])
		return
	}
	r.Require(RuleSubsidyPeriod, inside, "month %s; the %d-month period runs from %s to %s",
		month.String()[:7], maxMonths, p.start.String()[:7], p.end.AddMonths(-1).String()[:7])
}

func checkCategory(r *eligibility.Recorder, category string, categories []string) {
	r.Require(RuleHardshipCategory, slices.Contains(categories, category), "category %q; recognised: %v", category, categories)
}

func monthKey(person identity.PersonRef, month calendar.Date) []uniqueness.Key {
	return []uniqueness.Key{{Rule: KeyPersonMonth, Value: fmt.Sprintf("%s|%s", person, month.String()[:7])}}
}
