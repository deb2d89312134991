// Package programme names the subsidy programmes the ledger pays, the fund
// kind that pays each, and fiscal years.
package programme

import (
	"slices"

	"github.com/haixi-hrss/fundledger/domain"
)

// Code names a programme.
type Code string

// The programmes. Absorption is the social-insurance subsidy an employer
// receives for hiring a person with employment difficulty (吸纳就业补贴);
// SocialInsurance is the subsidy for a flexibly employed person's own
// premiums (灵活就业社会保险补贴).
const (
	Stabilization      Code = "stabilization"
	Expansion          Code = "expansion"
	Absorption         Code = "absorption"
	SocialInsurance    Code = "social-insurance"
	SkillUpgrade       Code = "skill-upgrade"
	VocationalTraining Code = "vocational-training"
	StartUp            Code = "start-up"
)

// FundKind names one of the two pots the ledger keeps apart.
type FundKind string

// The fund kinds.
const (
	EmploymentSubsidy     FundKind = "employment-subsidy"     // 就业补助资金
	UnemploymentInsurance FundKind = "unemployment-insurance" // 失业保险基金
)

type info struct {
	zh, en string
	fund   FundKind
}

var programmes = map[Code]info{
	Stabilization:      {"失业保险稳岗返还", "stabilization refund", UnemploymentInsurance},
	Expansion:          {"一次性扩岗补助", "one-time job-expansion grant", UnemploymentInsurance},
	Absorption:         {"吸纳就业补贴", "absorption subsidy", EmploymentSubsidy},
	SocialInsurance:    {"社会保险补贴", "social-insurance subsidy", EmploymentSubsidy},
	SkillUpgrade:       {"技能提升补贴", "skill-upgrade subsidy", UnemploymentInsurance},
	VocationalTraining: {"职业培训补贴", "vocational training subsidy", EmploymentSubsidy},
	StartUp:            {"创业补贴", "start-up subsidy", EmploymentSubsidy},
}

var fundNames = map[FundKind]string{
	EmploymentSubsidy:     "就业补助资金",
	UnemploymentInsurance: "失业保险基金",
}

// All returns every programme in a fixed order.
func All() []Code { return slices.Clone(codes[:]) }

// Parse returns the programme named s; the error names field.
func Parse(field, s string) (Code, error) {
	c, ok := known(s)
	if !ok {
		return "", domain.Invalid(field, "programme", "%q is not a programme", s)
	}
	return c, nil
}

// codes are the programmes in All's order.
var codes = [...]Code{Stabilization, Expansion, Absorption, SocialInsurance, SkillUpgrade, VocationalTraining, StartUp}

// known returns the package's own constant for s, so that a decoded code
// shares the constant's text instead of holding a copy: the read models
// keep a code per claim and per payment, and each copy is one more object
// for every garbage collection to mark.
func known(s string) (Code, bool) {
	for _, c := range codes {
		if string(c) == s {
			return c, true
		}
	}
	return "", false
}

// Valid reports whether c is a known programme.
func (c Code) Valid() bool { _, ok := programmes[c]; return ok }

// NameZH returns the Chinese name, or "" for an unknown code.
func (c Code) NameZH() string { return programmes[c].zh }

// NameEN returns the English name, or "" for an unknown code.
func (c Code) NameEN() string { return programmes[c].en }

// Fund returns the fund kind that pays the programme ("" if unknown). The
// expansion grant falls back to the employment subsidy fund where the
// provincial UI fund holds less than a year of reserves; that is a budget
// line decision, not a property of the programme.
func (c Code) Fund() FundKind { return programmes[c].fund }

// String returns the code itself.
func (c Code) String() string { return string(c) }

// UnmarshalText accepts only known programmes, and sets the package's
// own constant (see known).
func (c *Code) UnmarshalText(b []byte) error {
	if v, ok := known(string(b)); ok {
		*c = v
		return nil
	}
	_, err := Parse("programme", string(b))
	return err
}

// ParseFundKind returns the fund kind named s; the error names field.
func ParseFundKind(field, s string) (FundKind, error) {
	k := FundKind(s)
	if _, ok := fundNames[k]; !ok {
		return "", domain.Invalid(field, "fund-kind", "%q is not a fund kind (employment-subsidy, unemployment-insurance)", s)
	}
	return k, nil
}

// Valid reports whether k is a known fund kind.
func (k FundKind) Valid() bool { _, ok := fundNames[k]; return ok }

// NameZH returns the Chinese name, or "" for an unknown kind.
func (k FundKind) NameZH() string { return fundNames[k] }

// String returns the kind itself.
func (k FundKind) String() string { return string(k) }

// UnmarshalText accepts only known fund kinds.
func (k *FundKind) UnmarshalText(b []byte) error {
	v, err := ParseFundKind("fundKind", string(b))
	if err != nil {
		return err
	}
	*k = v
	return nil
}
