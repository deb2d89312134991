package claim

import (
	"fmt"
	"regexp"
	"time"

	"github.com/haixi-hrss/fundledger/domain"
	"github.com/haixi-hrss/fundledger/domain/eligibility"
	"github.com/haixi-hrss/fundledger/domain/money"
	"github.com/haixi-hrss/fundledger/domain/policy"
	"github.com/haixi-hrss/fundledger/domain/programme"
	"github.com/haixi-hrss/fundledger/domain/role"
)

// Check records the eligibility assessment of a submitted claim, made under
// Policy, which must be the claim's programme's version in force on the
// claim's effective date.
type Check struct {
	Assessment eligibility.Assessment
	Policy     policy.Version
	// Schedule lists the instalments: one per month ("2025-03") for the
	// absorption and social-insurance subsidies; empty for every other
	// programme, whose claim is paid once, in one instalment of the
	// assessed amount. (A training advance and its settlement are two
	// claims, each assessed by the training rules.)
	Schedule []Planned
	// MonthsToRetirement, for a monthly subsidy, is how many months the
	// person has until retirement; within the policy's near-retirement
	// window it replaces the month limit.
	MonthsToRetirement int
	Actor              string
	Role               string
	At                 time.Time
}

// Planned is one instalment of a schedule.
type Planned struct {
	Label  string
	Amount money.Amount
}

func (Check) claimCommand() {}

var monthLabel = regexp.MustCompile(`^(19|20)[0-9]{2}-(0[1-9]|1[0-2])$`)

func decideCheck(s State, c Check) ([]domain.Event, error) {
	if err := role.Authorize(c.Actor, c.Role, c.At, role.Clerk); err != nil {
		return nil, err
	}
	if err := in(s, "claim-checked-once", StatusSubmitted); err != nil {
		return nil, err
	}
	if err := c.Policy.Validate(); err != nil {
		return nil, fmt.Errorf("policy: %w", err)
	}
	a, v := c.Assessment, c.Policy
	switch {
	case v.Programme != s.Programme:
		return nil, domain.Reject("policy-programme", "policy", "version %s is for %s, the claim is for %s", v.ID, v.Programme, s.Programme)
	case !v.InForce(s.EffectiveDate):
		return nil, domain.Reject("policy-in-force", "policy", "version %s is not in force on the claim's effective date %s", v.ID, s.EffectiveDate)
	case a.Programme != s.Programme:
		return nil, domain.Reject("assessment-programme", "assessment.programme", "the assessment is for %s, the claim is for %s", a.Programme, s.Programme)
	case a.PolicyVersion != v.ID:
		return nil, domain.Reject("assessment-policy-version", "assessment.policyVersion", "the assessment used version %q, not %s", a.PolicyVersion, v.ID)
	case a.EffectiveDate != s.EffectiveDate:
		return nil, domain.Reject("assessment-effective-date", "assessment.effectiveDate", "the assessment is as of %s, the claim's effective date is %s", a.EffectiveDate, s.EffectiveDate)
	case a.Eligible && a.NeedsManualReview:
		return nil, domain.Invalid("assessment", "one-outcome", "an assessment cannot be both eligible and in need of manual review")
	}
	terms := Terms{PolicyVersion: v.ID, TwoApproverThreshold: v.TwoApproverThreshold, DisclosureWorkingDays: v.DisclosureWorkingDays}
	by := By{c.Actor, c.Role, c.At}
	if !a.Eligible && !a.NeedsManualReview {
		var failed []string
		for _, f := range a.Failed() {
			failed = append(failed, f.Rule)
		}
		return []domain.Event{
			&Checked{Assessment: a, Terms: terms, By: by},
			&Rejected{Reason: "ineligible", FailedRules: failed, By: by},
		}, nil
	}
	if !a.Amount.IsPositive() {
		return nil, domain.Invalid("assessment.amount", "positive", "an eligible assessment needs an amount greater than zero, not %s", a.Amount)
	}
	instalments, err := schedule(s.Programme, v, c, a.Amount)
	if err != nil {
		return nil, err
	}
	return []domain.Event{&Checked{Assessment: a, Terms: terms, Approved: a.Amount, Instalments: instalments, By: by}}, nil
}

// schedule checks c.Schedule against the programme's payment pattern and
// returns the instalments, which must add up to total.
func schedule(p programme.Code, v policy.Version, c Check, total money.Amount) ([]Instalment, error) {
	plan := c.Schedule
	switch p {
	case programme.Absorption, programme.SocialInsurance:
		limit := monthLimit(v, c.MonthsToRetirement)
		if len(plan) == 0 || len(plan) > limit {
			return nil, domain.Reject("instalment-months", "schedule", "a monthly subsidy pays 1 to %d months, not %d", limit, len(plan))
		}
		for i, in := range plan {
			if !monthLabel.MatchString(in.Label) {
				return nil, domain.Invalid(fmt.Sprintf("schedule[%d].label", i), "month", "%q is not a month such as 2025-03", in.Label)
			}
			if i > 0 && in.Label <= plan[i-1].Label {
				return nil, domain.Invalid(fmt.Sprintf("schedule[%d].label", i), "months-ascending", "month %s does not follow %s", in.Label, plan[i-1].Label)
			}
		}
	default:
		switch {
		case len(plan) == 0:
			plan = []Planned{{Amount: total}}
		case len(plan) > 1 || plan[0].Label != "":
			return nil, domain.Invalid("schedule", "one-off", "a %s is paid once", p.NameEN())
		}
	}
	var sum money.Amount
	out := make([]Instalment, len(plan))
	for i, in := range plan {
		if !in.Amount.IsPositive() {
			return nil, domain.Invalid(fmt.Sprintf("schedule[%d].amount", i), "positive", "instalment amount %s must be greater than zero", in.Amount)
		}
		sum = sum.Add(in.Amount)
		out[i] = Instalment{Number: i + 1, Label: in.Label, Amount: in.Amount, Status: InstalmentScheduled}
	}
	if !sum.Equal(total) {
		return nil, domain.Invalid("schedule", "instalments-sum", "instalments add up to %s, the assessed amount is %s", sum, total)
	}
	return out, nil
}

// monthLimit is the most months a monthly subsidy may pay: the policy's
// limit, or the months to retirement when those fall within the policy's
// near-retirement window and exceed it.
func monthLimit(v policy.Version, monthsToRetirement int) int {
	var limit, near int
	switch {
	case v.Absorption != nil:
		limit, near = v.Absorption.MaxMonths, v.Absorption.NearRetirementYears*12
	case v.SocialInsurance != nil:
		limit = 12 * max(v.SocialInsurance.HardshipMaxYears, v.SocialInsurance.GraduateMaxYears)
		near = v.SocialInsurance.NearRetirementYears * 12
	}
	if monthsToRetirement > limit && monthsToRetirement <= near {
		return monthsToRetirement
	}
	return limit
}
