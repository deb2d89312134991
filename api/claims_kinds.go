package api

import (
	"github.com/labstack/echo/v4"

	"github.com/haixi-hrss/fundledger/domain/absorption"
	"github.com/haixi-hrss/fundledger/domain/calendar"
	"github.com/haixi-hrss/fundledger/domain/claim"
	"github.com/haixi-hrss/fundledger/domain/expansion"
	"github.com/haixi-hrss/fundledger/domain/identity"
	"github.com/haixi-hrss/fundledger/domain/programme"
	"github.com/haixi-hrss/fundledger/domain/skillupgrade"
	"github.com/haixi-hrss/fundledger/domain/stabilization"
	"github.com/haixi-hrss/fundledger/domain/startup"
	"github.com/haixi-hrss/fundledger/domain/training"
	"github.com/haixi-hrss/fundledger/domain/uniqueness"
)

// The payment kinds: each names its programme, its rules, its uniqueness
// keys and whom it pays.

func employerPayee(code identity.CreditCode) claim.Beneficiary {
	return claim.Beneficiary{Kind: claim.Employer, Ref: string(code)}
}

func personPayee(ref identity.PersonRef) claim.Beneficiary {
	return claim.Beneficiary{Kind: claim.Person, Ref: string(ref)}
}

// ignoreDate adapts a keys function that does not depend on the date.
func ignoreDate[F any](keys func(F) []uniqueness.Key) func(calendar.Date, F) []uniqueness.Key {
	return func(_ calendar.Date, f F) []uniqueness.Key { return keys(f) }
}

var stabilizationKind = claimKind[stabilization.Facts]{
	programme: programme.Stabilization,
	assess:    stabilization.Assess,
	keys:      ignoreDate(stabilization.Keys),
	payee:     func(f stabilization.Facts, _ string) claim.Beneficiary { return employerPayee(f.Employer) },
}

var expansionKind = claimKind[expansion.Facts]{
	programme: programme.Expansion,
	assess:    expansion.Assess,
	keys:      ignoreDate(expansion.Keys),
	payee:     func(f expansion.Facts, _ string) claim.Beneficiary { return employerPayee(f.Employer) },
	person:    func(f *expansion.Facts) *identity.PersonRef { return &f.Person },
}

var absorptionKind = claimKind[absorption.HireFacts]{
	programme: programme.Absorption,
	assess:    absorption.AssessHire,
	keys:      ignoreDate(absorption.HireKeys),
	payee:     func(f absorption.HireFacts, _ string) claim.Beneficiary { return employerPayee(f.Employer) },
	person:    func(f *absorption.HireFacts) *identity.PersonRef { return &f.Person },
	month:     func(f absorption.HireFacts) calendar.Date { return f.Month },
}

// The one-time absorption subsidy pays the employer once per person, and
// its key is the one the expansion grant takes too: whichever claim for a
// person comes first holds the person, and the other is refused.
var oneTimeAbsorptionKind = claimKind[absorption.OneTimeFacts]{
	programme: programme.Absorption,
	assess:    absorption.AssessOneTime,
	keys:      ignoreDate(absorption.OneTimeKeys),
	payee:     func(f absorption.OneTimeFacts, _ string) claim.Beneficiary { return employerPayee(f.Employer) },
	person:    func(f *absorption.OneTimeFacts) *identity.PersonRef { return &f.Person },
	// The claim aggregate pays every absorption claim by the month, so
	// the one payment is labelled with the month the contract was signed.
	month: func(f absorption.OneTimeFacts) calendar.Date { return f.ContractDate },
}

var socialInsuranceKind = claimKind[absorption.FlexibleFacts]{
	programme: programme.SocialInsurance,
	assess:    absorption.AssessFlexible,
	keys:      ignoreDate(absorption.FlexibleKeys),
	payee:     func(f absorption.FlexibleFacts, _ string) claim.Beneficiary { return personPayee(f.Person) },
	person:    func(f *absorption.FlexibleFacts) *identity.PersonRef { return &f.Person },
	month:     func(f absorption.FlexibleFacts) calendar.Date { return f.Month },
}

var skillUpgradeKind = claimKind[skillupgrade.Facts]{
	programme: programme.SkillUpgrade,
	assess:    skillupgrade.Assess,
	keys:      skillupgrade.Keys,
	payee:     func(f skillupgrade.Facts, _ string) claim.Beneficiary { return personPayee(f.Person) },
	person:    func(f *skillupgrade.Facts) *identity.PersonRef { return &f.Person },
}

// A training claim pays the provider when one is named (the advance),
// otherwise the trainee.
var trainingKind = claimKind[training.Facts]{
	programme: programme.VocationalTraining,
	assess:    training.Assess,
	keys:      ignoreDate(training.Keys),
	payee: func(f training.Facts, provider string) claim.Beneficiary {
		if provider != "" {
			return claim.Beneficiary{Kind: claim.Provider, Ref: provider}
		}
		return personPayee(f.Person)
	},
	person: func(f *training.Facts) *identity.PersonRef { return &f.Person },
}

var startUpKind = claimKind[startup.Facts]{
	programme: programme.StartUp,
	assess:    startup.Assess,
	keys:      ignoreDate(startup.Keys),
	payee:     func(f startup.Facts, _ string) claim.Beneficiary { return personPayee(f.Founder) },
	person:    func(f *startup.Facts) *identity.PersonRef { return &f.Founder },
}

func (s *server) submitStabilization(c echo.Context) error {
	return submitKind(s, c, stabilizationKind)
}

func (s *server) submitExpansion(c echo.Context) error { return submitKind(s, c, expansionKind) }

func (s *server) submitAbsorption(c echo.Context) error { return submitKind(s, c, absorptionKind) }

func (s *server) submitOneTimeAbsorption(c echo.Context) error {
	return submitKind(s, c, oneTimeAbsorptionKind)
}

func (s *server) submitSocialInsurance(c echo.Context) error {
	return submitKind(s, c, socialInsuranceKind)
}

func (s *server) submitSkillUpgrade(c echo.Context) error {
	return submitKind(s, c, skillUpgradeKind)
}

func (s *server) submitTraining(c echo.Context) error { return submitKind(s, c, trainingKind) }

func (s *server) submitStartUp(c echo.Context) error { return submitKind(s, c, startUpKind) }
