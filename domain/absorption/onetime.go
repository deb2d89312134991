package absorption

import (
	"github.com/haixi-hrss/fundledger/domain"
	"github.com/haixi-hrss/fundledger/domain/calendar"
	"github.com/haixi-hrss/fundledger/domain/eligibility"
	"github.com/haixi-hrss/fundledger/domain/identity"
	"github.com/haixi-hrss/fundledger/domain/policy"
	"github.com/haixi-hrss/fundledger/domain/programme"
	"github.com/haixi-hrss/fundledger/domain/uniqueness"
)

// OneTimeFacts describe one hire for the one-time absorption subsidy
// (一次性吸纳就业补贴): an enterprise hired a college graduate on a labour
// contract. The claim belongs to programme Absorption and is paid once, to
// the employer.
type OneTimeFacts struct {
	Person         identity.PersonRef  `json:"person"`
	Employer       identity.CreditCode `json:"employer"`
	GraduationDate calendar.Date       `json:"graduationDate"`
	ContractDate   calendar.Date       `json:"contractDate"`
	// ContractEnd is the contract's last day; zero for an open-ended
	// contract (无固定期限劳动合同).
	ContractEnd calendar.Date `json:"contractEnd"`
	// InsuredMonths is how many months of premiums the employer has paid
	// for the person.
	InsuredMonths int `json:"insuredMonths"`
	// SmallOrMedium is whether the employer is a small, medium or micro
	// enterprise under the national statistical classification.
	SmallOrMedium bool `json:"smallOrMedium"`
	// PriorExpansionGrant is whether the real-name register shows an
	// expansion grant for the person, from any employer. The ledger's own
	// claims are excluded by the shared key (OneTimeKeys); this fact
	// covers grants recorded elsewhere.
	PriorExpansionGrant bool `json:"priorExpansionGrant"`
}

// Rule names of the one-time checks (RuleCreditCode and
// RuleGraduationWindow are shared with the other assessments).
const (
	RuleOneTimeOffered   = "one-time-absorption-offered"
	RuleEnterprise       = "enterprise-only"
	RuleSmallOrMedium    = "small-or-medium-enterprise"
	RuleContractWindow   = "contract-window"
	RuleContractTerm     = "contract-term"
	RuleInsuredMonths    = "insured-months"
	RuleNotWithExpansion = "not-combined-with-expansion"
)

func (f OneTimeFacts) validate() error {
	if _, err := identity.ParsePersonRef("person", string(f.Person)); err != nil {
		return err
	}
	switch {
	case f.Employer == "":
		return domain.Invalid("employer", "required", "the employer's credit code is required")
	case f.GraduationDate.IsZero():
		return domain.Invalid("graduationDate", "required", "the graduation date is required")
	case f.ContractDate.IsZero():
		return domain.Invalid("contractDate", "required", "the labour contract's signing date is required")
	case !f.ContractEnd.IsZero() && f.ContractEnd.Before(f.ContractDate):
		return domain.Invalid("contractEnd", "date-order", "the contract ends on %s, before it was signed on %s", f.ContractEnd, f.ContractDate)
	case f.InsuredMonths < 0:
		return domain.Invalid("insuredMonths", "non-negative", "insured months must not be negative")
	}
	return nil
}

// AssessOneTime checks one hire for the one-time absorption subsidy under
// version v on the effective date; the subsidy is the version's fixed
// amount. A version that offers no one-time subsidy refuses the claim with
// a *domain.RuleError (RuleOneTimeOffered).
func AssessOneTime(v policy.Version, effective calendar.Date, f OneTimeFacts) (eligibility.Assessment, error) {
	if err := v.Applies(programme.Absorption, effective); err != nil {
		return eligibility.Assessment{}, err
	}
	if v.Absorption.OneTime == nil {
		return eligibility.Assessment{}, domain.Reject(RuleOneTimeOffered, "programme", "policy version %s offers no one-time absorption subsidy", v.ID)
	}
	if err := f.validate(); err != nil {
		return eligibility.Assessment{}, err
	}
	p := v.Absorption.OneTime
	var r eligibility.Recorder
	r.Review(RuleCreditCode, f.Employer.CheckCharValid(), "credit code %s: GB 32100 check character valid = %v", f.Employer, f.Employer.CheckCharValid())
	if p.EnterprisesOnly {
		r.Require(RuleEnterprise, f.Employer.UnitType() == identity.Enterprise, "employer unit type %s; only enterprises qualify", f.Employer.UnitType())
	}
	if p.SmallAndMediumOnly {
		r.Require(RuleSmallOrMedium, f.SmallOrMedium, "small, medium or micro enterprise: %v", f.SmallOrMedium)
	}
	closes := f.GraduationDate.AddYears(p.GraduationWindowYears)
	r.Require(RuleGraduationWindow, f.ContractDate.Within(f.GraduationDate, closes),
		"graduated %s, contract signed %s; the window is %s to %s", f.GraduationDate, f.ContractDate, f.GraduationDate, closes)
	r.Require(RuleContractWindow, f.ContractDate.Within(p.ContractFrom, p.ContractTo),
		"contract signed %s; the policy window is %s to %s", f.ContractDate, p.ContractFrom, p.ContractTo)
	// A term of n months runs to the day before the same date n months on.
	minEnd := f.ContractDate.AddMonths(p.MinContractMonths).AddDays(-1)
	if f.ContractEnd.IsZero() {
		r.Require(RuleContractTerm, true, "open-ended contract; at least %d months required", p.MinContractMonths)
	} else {
		r.Require(RuleContractTerm, !f.ContractEnd.Before(minEnd), "contract %s to %s; at least %d months (to %s) required",
			f.ContractDate, f.ContractEnd, p.MinContractMonths, minEnd)
	}
	r.Require(RuleInsuredMonths, f.InsuredMonths >= p.MinInsuredMonths, "premiums paid for %d months, %d required", f.InsuredMonths, p.MinInsuredMonths)
	r.Require(RuleNotWithExpansion, !f.PriorExpansionGrant, "an expansion grant was already paid for this person: %v", f.PriorExpansionGrant)
	return r.Assess(programme.Absorption, v.ID, effective, p.Amount), nil
}

// OneTimeKeys returns the reservation that makes the subsidy once per
// person and excludes the expansion grant for the same person: the key is
// uniqueness.HireOneTimeSubsidy, which expansion.Keys returns too.
func OneTimeKeys(f OneTimeFacts) []uniqueness.Key {
	return []uniqueness.Key{uniqueness.HireOneTimeSubsidy(string(f.Person))}
}
