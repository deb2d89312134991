// Package eligibility holds the result of checking a claim against the
// policy version in force on its effective date: every rule that passed or
// failed, and the amount computed.
package eligibility

import (
	"fmt"

	"github.com/haixi-hrss/fundledger/domain/calendar"
	"github.com/haixi-hrss/fundledger/domain/money"
	"github.com/haixi-hrss/fundledger/domain/programme"
)

// Check is the outcome of one rule.
type Check struct {
	// Rule is a stable, machine-readable rule name, e.g.
	// "insured-months".
	Rule string `json:"rule"`
	// Passed reports whether the claim satisfies the rule.
	Passed bool `json:"passed"`
	// Detail says in a sentence what was compared, with the figures.
	Detail string `json:"detail"`
}

// Assessment is the result of checking a claim. Exactly one of three
// outcomes holds: Eligible (every check passed); NeedsManualReview (the only
// failed checks are ones a person must judge, e.g. a credit code that fails
// its check character but may be a legal pilot code); or neither
// (ineligible: at least one rule failed outright).
type Assessment struct {
	Programme         programme.Code `json:"programme"`
	PolicyVersion     string         `json:"policyVersion"`
	EffectiveDate     calendar.Date  `json:"effectiveDate"`
	Eligible          bool           `json:"eligible"`
	NeedsManualReview bool           `json:"needsManualReview"`
	// Amount is the computed amount when Eligible or NeedsManualReview,
	// and 0.00 when the claim is ineligible.
	Amount money.Amount `json:"amount"`
	Checks []Check      `json:"checks"`
	// Review names the failed checks that call for a person's judgement
	// rather than a refusal.
	Review []string `json:"review,omitempty"`
}

// Failed returns the checks that did not pass, in order.
func (a Assessment) Failed() []Check {
	var out []Check
	for _, c := range a.Checks {
		if !c.Passed {
			out = append(out, c)
		}
	}
	return out
}

// Check returns the check for rule and whether it was made.
func (a Assessment) Check(rule string) (Check, bool) {
	for _, c := range a.Checks {
		if c.Rule == rule {
			return c, true
		}
	}
	return Check{}, false
}

// Recorder collects checks while the rules of one payment kind run. Its
// zero value is ready to use.
type Recorder struct {
	checks []Check
	review []string
	hard   bool
}

// Require records a rule that makes the claim ineligible when it fails.
func (r *Recorder) Require(rule string, passed bool, format string, args ...any) bool {
	r.checks = append(r.checks, Check{Rule: rule, Passed: passed, Detail: fmt.Sprintf(format, args...)})
	if !passed {
		r.hard = true
	}
	return passed
}

// Review records a rule whose failure sends the claim to a person for
// judgement instead of refusing it.
func (r *Recorder) Review(rule string, passed bool, format string, args ...any) bool {
	r.checks = append(r.checks, Check{Rule: rule, Passed: passed, Detail: fmt.Sprintf(format, args...)})
	if !passed {
		r.review = append(r.review, rule)
	}
	return passed
}

// Note records how an amount was computed, as a check that passed, so
// the assessment shows its arithmetic next to its rules.
func (r *Recorder) Note(rule string, format string, args ...any) {
	r.checks = append(r.checks, Check{Rule: rule, Passed: true, Detail: fmt.Sprintf(format, args...)})
}

// Assess returns the assessment of the recorded checks; amount is kept
// only if the claim is eligible or needs manual review.
func (r *Recorder) Assess(p programme.Code, policyVersion string, effective calendar.Date, amount money.Amount) Assessment {
	a := Assessment{
		Programme:     p,
		PolicyVersion: policyVersion,
		EffectiveDate: effective,
		Checks:        append([]Check(nil), r.checks...),
		Review:        append([]string(nil), r.review...),
	}
	switch {
	case r.hard:
	case len(r.review) > 0:
		a.NeedsManualReview = true
		a.Amount = amount
	default:
		a.Eligible = true
		a.Amount = amount
	}
	return a
}
