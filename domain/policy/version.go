// Package policy holds policy as effective-dated data: one stream of
// versions per programme, each naming the document it comes from and every
// parameter the rules use. A claim is assessed under the version in force
// on its effective date, and that version's ID is recorded with the
// decision, so a decision can be replayed with the rules of its day.
package policy

import (
	"regexp"

	"github.com/haixi-hrss/fundledger/domain"
	"github.com/haixi-hrss/fundledger/domain/calendar"
	"github.com/haixi-hrss/fundledger/domain/money"
	"github.com/haixi-hrss/fundledger/domain/programme"
)

// Version is one policy version of one programme. EffectiveFrom and
// EffectiveTo are both inclusive; a zero EffectiveTo means "until further
// notice". Exactly one of the parameter blocks is set: the one for
// Programme.
type Version struct {
	ID            string         `json:"id"`
	Programme     programme.Code `json:"programme"`
	EffectiveFrom calendar.Date  `json:"effectiveFrom"`
	EffectiveTo   calendar.Date  `json:"effectiveTo"`
	// Document cites the policy text, e.g. "人社部发〔2024〕40号".
	Document string `json:"document"`
	// Verify lists the parameters (as "block.field") taken from secondary
	// sources or inferred, which an administrator should confirm.
	Verify []string `json:"verify,omitempty"`
	// Note is free text for the administrator.
	Note string `json:"note,omitempty"`
	// Supersedes, on an amendment, is the ID of the published version it
	// replaces on the days they share. Published versions never change, so
	// a changed parameter is always a new version.
	Supersedes string `json:"supersedes,omitempty"`
	// DisclosureWorkingDays is the minimum length of public disclosure
	// (公示) before payment.
	DisclosureWorkingDays int `json:"disclosureWorkingDays"`
	// TwoApproverThreshold: a claim above this amount needs two different
	// approvers.
	TwoApproverThreshold money.Amount `json:"twoApproverThreshold"`

	Stabilization   *Stabilization   `json:"stabilization,omitempty"`
	Expansion       *Expansion       `json:"expansion,omitempty"`
	Absorption      *Absorption      `json:"absorption,omitempty"`
	SocialInsurance *SocialInsurance `json:"socialInsurance,omitempty"`
	SkillUpgrade    *SkillUpgrade    `json:"skillUpgrade,omitempty"`
	Training        *Training        `json:"training,omitempty"`
	StartUp         *StartUp         `json:"startUp,omitempty"`
}

var versionID = regexp.MustCompile(`^[a-z0-9][a-z0-9.-]{0,63}$`)

// InForce reports whether the version applies on date d.
func (v Version) InForce(d calendar.Date) bool {
	return !d.Before(v.EffectiveFrom) && (v.EffectiveTo.IsZero() || !d.After(v.EffectiveTo))
}

// Overlaps reports whether v and w share at least one day.
func (v Version) Overlaps(w Version) bool {
	return (w.EffectiveTo.IsZero() || !v.EffectiveFrom.After(w.EffectiveTo)) &&
		(v.EffectiveTo.IsZero() || !w.EffectiveFrom.After(v.EffectiveTo))
}

// Validate checks the version and its parameters; the first problem is
// returned as a *domain.FieldError naming the field, e.g.
// "stabilization.smeRate".
func (v Version) Validate() error {
	if !versionID.MatchString(v.ID) {
		return domain.Invalid("id", "policy-version-id", "version ID %q must be lower-case letters, digits, '.' or '-', e.g. \"expansion-2025\"", v.ID)
	}
	if v.Supersedes != "" && (!versionID.MatchString(v.Supersedes) || v.Supersedes == v.ID) {
		return domain.Invalid("supersedes", "policy-version-id", "version %s cannot supersede %q: name another version's ID", v.ID, v.Supersedes)
	}
	if !v.Programme.Valid() {
		return domain.Invalid("programme", "programme", "%q is not a programme", v.Programme)
	}
	if v.EffectiveFrom.IsZero() {
		return domain.Invalid("effectiveFrom", "required", "the first day in force is required")
	}
	if !v.EffectiveTo.IsZero() && v.EffectiveTo.Before(v.EffectiveFrom) {
		return domain.Invalid("effectiveTo", "date-order", "the last day in force %s is before the first %s", v.EffectiveTo, v.EffectiveFrom)
	}
	if v.Document == "" {
		return domain.Invalid("document", "required", "the policy document reference is required")
	}
	if v.DisclosureWorkingDays < 1 || v.DisclosureWorkingDays > 60 {
		return domain.Invalid("disclosureWorkingDays", "range", "disclosure lasts 1–60 working days, not %d", v.DisclosureWorkingDays)
	}
	if !v.TwoApproverThreshold.IsPositive() {
		return domain.Invalid("twoApproverThreshold", "positive", "the two-approver threshold must be greater than zero")
	}
	return v.validateParams()
}

func (v Version) validateParams() error {
	blocks := []struct {
		p   programme.Code
		set bool
		val func() error
	}{
		{programme.Stabilization, v.Stabilization != nil, func() error { return v.Stabilization.validate() }},
		{programme.Expansion, v.Expansion != nil, func() error { return v.Expansion.validate() }},
		{programme.Absorption, v.Absorption != nil, func() error { return v.Absorption.validate() }},
		{programme.SocialInsurance, v.SocialInsurance != nil, func() error { return v.SocialInsurance.validate() }},
		{programme.SkillUpgrade, v.SkillUpgrade != nil, func() error { return v.SkillUpgrade.validate() }},
		{programme.VocationalTraining, v.Training != nil, func() error { return v.Training.validate() }},
		{programme.StartUp, v.StartUp != nil, func() error { return v.StartUp.validate() }},
	}
	for _, b := range blocks {
		switch {
		case b.p == v.Programme && !b.set:
			return domain.Invalid(blockName(b.p), "required", "a %s version needs its parameter block", v.Programme)
		case b.p != v.Programme && b.set:
			return domain.Invalid(blockName(b.p), "programme-params", "a %s version must not carry %s parameters", v.Programme, b.p)
		case b.set:
			if err := b.val(); err != nil {
				return err
			}
		}
	}
	return nil
}

// blockName is the JSON name of a programme's parameter block.
func blockName(p programme.Code) string {
	switch p {
	case programme.SocialInsurance:
		return "socialInsurance"
	case programme.SkillUpgrade:
		return "skillUpgrade"
	case programme.VocationalTraining:
		return "training"
	case programme.StartUp:
		return "startUp"
	}
	return string(p)
}
