// Package expansion holds the rules of the one-time job-expansion grant
// (一次性扩岗补助): an employer hiring a recent college graduate or a
// registered unemployed youth gets a fixed sum per hire, once per person
// ever.
package expansion

import (
	"github.com/haixi-hrss/fundledger/domain"
	"github.com/haixi-hrss/fundledger/domain/calendar"
	"github.com/haixi-hrss/fundledger/domain/eligibility"
	"github.com/haixi-hrss/fundledger/domain/identity"
	"github.com/haixi-hrss/fundledger/domain/policy"
	"github.com/haixi-hrss/fundledger/domain/programme"
	"github.com/haixi-hrss/fundledger/domain/uniqueness"
)

// Group is the group a hired person qualifies through.
type Group string

// The groups.
const (
	Graduate        Group = "graduate"         // college graduate (高校毕业生)
	UnemployedYouth Group = "unemployed-youth" // registered unemployed youth aged 16–24
)

// Facts describe one hire.
type Facts struct {
	Person   identity.PersonRef  `json:"person"`
	Employer identity.CreditCode `json:"employer"`
	Group    Group               `json:"group"`
	// GraduationDate and RegularDegreeCourse matter for Graduate.
	GraduationDate      calendar.Date `json:"graduationDate"`
	RegularDegreeCourse bool          `json:"regularDegreeCourse"`
	// BirthDate and RegisteredUnemployed matter for UnemployedYouth.
	BirthDate            calendar.Date `json:"birthDate"`
	RegisteredUnemployed bool          `json:"registeredUnemployed"`
	ContractDate         calendar.Date `json:"contractDate"`
	// Months of premiums paid for the person, per insurance.
	InsuredMonthsUnemployment int `json:"insuredMonthsUnemployment"`
	InsuredMonthsWorkInjury   int `json:"insuredMonthsWorkInjury"`
	InsuredMonthsPension      int `json:"insuredMonthsPension"`
	// InsuredAtCheck is whether the person is still insured by the
	// employer when the claim is checked.
	InsuredAtCheck bool `json:"insuredAtCheck"`
	// PriorGrant is whether the real-name register shows an expansion
	// grant for the person already, from any employer.
	PriorGrant bool `json:"priorGrant"`
	// OneTimeAbsorptionReceived is whether the real-name register shows a
	// one-time absorption subsidy for the person, which excludes this
	// grant. The ledger's own claims are excluded by the shared key (see
	// Keys); this fact covers subsidies recorded elsewhere.
	OneTimeAbsorptionReceived bool `json:"oneTimeAbsorptionReceived"`
}

// Rule names of the checks Assess makes.
const (
	RuleCreditCode           = "employer-credit-code"
	RuleEnterprise           = "enterprise-only"
	RuleRegularDegree        = "regular-degree-course"
	RuleGraduationWindow     = "graduation-window"
	RuleRegisteredUnemployed = "registered-unemployed"
	RuleYouthBirthWindow     = "youth-birth-window"
	RuleContractWindow       = "contract-window"
	RuleInsuredUnemployment  = "insured-months-unemployment"
	RuleInsuredWorkInjury    = "insured-months-work-injury"
	RuleInsuredPension       = "insured-months-pension"
	RuleStillInsured         = "still-insured"
	RuleOncePerPerson        = "once-per-person"
	RuleNotWithAbsorption    = "not-combined-with-absorption"
)

// KeyPerson is the uniqueness rule: one expansion grant per person, ever.
const KeyPerson = "expansion-person"

func (f Facts) validate() error {
	if _, err := identity.ParsePersonRef("person", string(f.Person)); err != nil {
		return err
	}
	switch {
	case f.Employer == "":
		return domain.Invalid("employer", "required", "the employer's credit code is required")
	case f.Group != Graduate && f.Group != UnemployedYouth:
		return domain.Invalid("group", "one-of", "group %q is not graduate or unemployed-youth", f.Group)
	case f.Group == Graduate && f.GraduationDate.IsZero():
		return domain.Invalid("graduationDate", "required", "a graduate's graduation date is required")
	case f.Group == UnemployedYouth && f.BirthDate.IsZero():
		return domain.Invalid("birthDate", "required", "a youth's birth date is required")
	case f.ContractDate.IsZero():
		return domain.Invalid("contractDate", "required", "the labour contract's signing date is required")
	case f.InsuredMonthsUnemployment < 0, f.InsuredMonthsWorkInjury < 0, f.InsuredMonthsPension < 0:
		return domain.Invalid("insuredMonths", "non-negative", "insured months must not be negative")
	}
	return nil
}

// Assess checks one hire under version v on the effective date; the grant
// is the version's fixed amount.
func Assess(v policy.Version, effective calendar.Date, f Facts) (eligibility.Assessment, error) {
	if err := v.Applies(programme.Expansion, effective); err != nil {
		return eligibility.Assessment{}, err
	}
	if err := f.validate(); err != nil {
		return eligibility.Assessment{}, err
	}
	p := v.Expansion
	var r eligibility.Recorder
	r.Review(RuleCreditCode, f.Employer.CheckCharValid(), "credit code %s: GB 32100 check character valid = %v", f.Employer, f.Employer.CheckCharValid())
	if p.EnterprisesOnly {
		r.Require(RuleEnterprise, f.Employer.UnitType() == identity.Enterprise, "employer unit type %s; only enterprises qualify", f.Employer.UnitType())
	}
	switch f.Group {
	case Graduate:
		r.Require(RuleRegularDegree, f.RegularDegreeCourse, "graduated from a regular degree course: %v", f.RegularDegreeCourse)
		closes := f.GraduationDate.AddYears(p.GraduationWindowYears)
		r.Require(RuleGraduationWindow, f.ContractDate.Within(f.GraduationDate, closes),
			"graduated %s, contract signed %s; the window is %s to %s", f.GraduationDate, f.ContractDate, f.GraduationDate, closes)
	case UnemployedYouth:
		r.Require(RuleRegisteredUnemployed, f.RegisteredUnemployed, "registered as unemployed: %v", f.RegisteredUnemployed)
		r.Require(RuleYouthBirthWindow, f.BirthDate.Within(p.YouthBornFrom, p.YouthBornTo),
			"born %s; the window is %s to %s", f.BirthDate, p.YouthBornFrom, p.YouthBornTo)
	}
	r.Require(RuleContractWindow, f.ContractDate.Within(p.ContractFrom, p.ContractTo),
		"contract signed %s; the policy window is %s to %s", f.ContractDate, p.ContractFrom, p.ContractTo)
	for _, c := range []struct {
		rule, name string
		months     int
	}{
		{RuleInsuredUnemployment, "unemployment insurance", f.InsuredMonthsUnemployment},
		{RuleInsuredWorkInjury, "work-injury insurance", f.InsuredMonthsWorkInjury},
		{RuleInsuredPension, "pension insurance", f.InsuredMonthsPension},
	} {
		r.Require(c.rule, c.months >= p.MinInsuredMonths, "%s paid for %d months, %d required", c.name, c.months, p.MinInsuredMonths)
	}
	r.Require(RuleStillInsured, f.InsuredAtCheck, "still insured when checked: %v", f.InsuredAtCheck)
	r.Require(RuleOncePerPerson, !f.PriorGrant, "an expansion grant was already paid for this person: %v", f.PriorGrant)
	r.Require(RuleNotWithAbsorption, !f.OneTimeAbsorptionReceived, "a one-time absorption subsidy was already paid for this person: %v", f.OneTimeAbsorptionReceived)
	return r.Assess(programme.Expansion, v.ID, effective, p.GrantAmount), nil
}

// Keys returns the reservations that make the grant once per person ever,
// across employers, years, regions and channels (KeyPerson, first), and
// exclude a one-time absorption subsidy for the same person
// (uniqueness.HireOneTimeSubsidy, which absorption.OneTimeKeys returns
// too). KeyPerson stays although the shared key alone would make the grant
// once per person: grants claimed before the shared key existed hold only
// KeyPerson.
func Keys(f Facts) []uniqueness.Key {
	return []uniqueness.Key{
		{Rule: KeyPerson, Value: string(f.Person)},
		uniqueness.HireOneTimeSubsidy(string(f.Person)),
	}
}
