// Package skillupgrade holds the rules of the skill-upgrade subsidy
// (技能提升补贴) paid to an insured worker who obtains a vocational skill
// certificate.
package skillupgrade

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
)

// Prior is a skill-upgrade subsidy the person already received.
type Prior struct {
	Occupation string       `json:"occupation"`
	Level      policy.Level `json:"level"`
	// Date is the effective date of the earlier claim; the yearly count
	// groups by its calendar year.
	Date calendar.Date `json:"date"`
	// Urgent is whether the occupation was on the urgently-needed list.
	Urgent bool `json:"urgent"`
}

// Facts describe one claim.
type Facts struct {
	Person identity.PersonRef `json:"person"`
	// InsuredMonths is the months of unemployment insurance paid.
	InsuredMonths int `json:"insuredMonths"`
	// Occupation is the code of the occupation in the national
	// classification; Level is the certificate's level.
	Occupation      string        `json:"occupation"`
	Level           policy.Level  `json:"level"`
	CertificateDate calendar.Date `json:"certificateDate"`
	// Urgent is whether the occupation is on the urgently-needed list.
	Urgent bool `json:"urgent"`
	// Prior lists the person's earlier skill-upgrade subsidies, from the
	// real-name register.
	Prior []Prior `json:"prior"`
}

// Rule names of the checks Assess makes.
const (
	RuleInsured            = "insured-years"
	RuleLevelSubsidised    = "level-subsidised"
	RuleCertificateDate    = "certificate-date"
	RuleOncePerLevel       = "same-occupation-level-once"
	RuleNoLowerAfterHigher = "no-lower-after-higher"
	RuleYearlyCount        = "yearly-count"
)

// The uniqueness rules. KeyOccupationLevel: one subsidy per person,
// occupation and level. KeyYearSlot and KeyGeneralSlot number the person's
// subsidies in a year (all of them, and those not for urgently needed
// occupations): two claims counting the same earlier subsidies reserve the
// same slot, so only one of them can pass the yearly count, however close
// together they arrive.
const (
	KeyOccupationLevel = "skill-upgrade-person-occupation-level"
	KeyYearSlot        = "skill-upgrade-person-year-slot"
	KeyGeneralSlot     = "skill-upgrade-person-year-general-slot"
)

func (f Facts) validate() error {
	if _, err := identity.ParsePersonRef("person", string(f.Person)); err != nil {
		return err
	}
	if f.InsuredMonths < 0 {
		return domain.Invalid("insuredMonths", "non-negative", "insured months must not be negative")
	}
	if f.Occupation == "" {
		return domain.Invalid("occupation", "required", "the occupation code is required")
	}
	if _, err := policy.ParseLevel("level", string(f.Level)); err != nil {
		return err
	}
	if f.CertificateDate.IsZero() {
		return domain.Invalid("certificateDate", "required", "the certificate's date is required")
	}
	for i, p := range f.Prior {
		if _, err := policy.ParseLevel(fmt.Sprintf("prior[%d].level", i), string(p.Level)); err != nil {
			return err
		}
		if p.Date.IsZero() {
			return domain.Invalid(fmt.Sprintf("prior[%d].date", i), "required", "the date of an earlier subsidy is required")
		}
	}
	return nil
}

// Assess checks a claim under version v on the effective date; the amount
// is the cap for the certificate's level.
func Assess(v policy.Version, effective calendar.Date, f Facts) (eligibility.Assessment, error) {
	if err := v.Applies(programme.SkillUpgrade, effective); err != nil {
		return eligibility.Assessment{}, err
	}
	if err := f.validate(); err != nil {
		return eligibility.Assessment{}, err
	}
	p := v.SkillUpgrade
	var r eligibility.Recorder
	r.Require(RuleInsured, f.InsuredMonths >= 12*p.MinInsuredYears, "unemployment insurance paid for %d months, %d required", f.InsuredMonths, 12*p.MinInsuredYears)
	amount, capped := p.Caps[f.Level]
	r.Require(RuleLevelSubsidised, capped, "level %s: subsidy %s yuan (levels with a cap: %v)", f.Level, amount, levels(p.Caps))
	r.Require(RuleCertificateDate, !f.CertificateDate.After(effective), "certificate dated %s, claim effective %s", f.CertificateDate, effective)

	var same, higher *Prior
	for i := range f.Prior {
		pr := &f.Prior[i]
		if pr.Occupation == f.Occupation && pr.Level == f.Level {
			same = pr
		}
		if pr.Occupation == f.Occupation && pr.Level.Rank() > f.Level.Rank() {
			higher = pr
		}
	}
	thisYear, nonUrgentThisYear := f.countIn(effective.Year())
	r.Require(RuleOncePerLevel, same == nil, "occupation %s at level %s subsidised before: %s", f.Occupation, f.Level, priorDate(same))
	r.Require(RuleNoLowerAfterHigher, higher == nil, "a higher level of occupation %s subsidised before: %s", f.Occupation, priorLevel(higher))
	checkYearly(&r, p, f.Urgent, thisYear, nonUrgentThisYear, effective.Year())
	return r.Assess(programme.SkillUpgrade, v.ID, effective, amount), nil
}

// checkYearly allows YearlyCount subsidies a year for any occupation and
// UrgentExtraPerYear more for urgently needed ones: after this claim,
// non-urgent subsidies must fit the base count and all of them the base
// plus the extra.
func checkYearly(r *eligibility.Recorder, p *policy.SkillUpgrade, urgent bool, thisYear, nonUrgent, year int) {
	total := thisYear + 1
	if !urgent {
		nonUrgent++
	}
	ok := nonUrgent <= p.YearlyCount && total <= p.YearlyCount+p.UrgentExtraPerYear
	r.Require(RuleYearlyCount, ok, "%d subsidies in %d with this one (%d not for urgently needed occupations); allowed %d, plus %d for urgently needed occupations",
		total, year, nonUrgent, p.YearlyCount, p.UrgentExtraPerYear)
}

func levels(caps map[policy.Level]money.Amount) []policy.Level {
	var out []policy.Level
	for _, l := range []policy.Level{policy.Initial, policy.Intermediate, policy.Advanced, policy.Technician, policy.SeniorTechnician} {
		if _, ok := caps[l]; ok {
			out = append(out, l)
		}
	}
	return out
}

func priorDate(p *Prior) string {
	if p == nil {
		return "no"
	}
	return p.Date.String()
}

func priorLevel(p *Prior) string {
	if p == nil {
		return "no"
	}
	return fmt.Sprintf("%s on %s", p.Level, p.Date)
}

// countIn returns how many earlier subsidies fall in year, and how many of
// those were not for urgently needed occupations.
func (f Facts) countIn(year int) (all, nonUrgent int) {
	for _, pr := range f.Prior {
		if pr.Date.Year() == year {
			all++
			if !pr.Urgent {
				nonUrgent++
			}
		}
	}
	return all, nonUrgent
}

// Keys returns the reservations of a claim effective on the given date: once
// per person, occupation and level, and the claim's slots in the yearly
// count (the next after the earlier subsidies the facts list).
func Keys(effective calendar.Date, f Facts) []uniqueness.Key {
	year := effective.Year()
	all, nonUrgent := f.countIn(year)
	keys := []uniqueness.Key{
		{Rule: KeyOccupationLevel, Value: fmt.Sprintf("%s|%s|%s", f.Person, f.Occupation, f.Level)},
		{Rule: KeyYearSlot, Value: fmt.Sprintf("%s|%d|%d", f.Person, year, all+1)},
	}
	if !f.Urgent {
		keys = append(keys, uniqueness.Key{Rule: KeyGeneralSlot, Value: fmt.Sprintf("%s|%d|%d", f.Person, year, nonUrgent+1)})
	}
	return keys
}
