// Package training holds the rules of the vocational training subsidy
// (职业培训补贴): part of a course's subsidy standard may be advanced to the
// training provider, and the rest is settled once the trainee is certified
// and the placement outcome is known.
package training

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

// Stage is which payment of a training the claim is for.
type Stage string

// The stages.
const (
	Advance    Stage = "advance"    // to the provider, before certification
	Settlement Stage = "settlement" // after certification and placement
)

// Prior is a training already subsidised for the person (not the one
// claimed now).
type Prior struct {
	Occupation string       `json:"occupation"`
	Level      policy.Level `json:"level"`
}

// Facts describe one claim for one training.
type Facts struct {
	Person     identity.PersonRef `json:"person"`
	Stage      Stage              `json:"stage"`
	Occupation string             `json:"occupation"`
	Level      policy.Level       `json:"level"`
	// Standard is the course's subsidy standard in the local catalogue.
	Standard money.Amount `json:"standard"`
	// Prior lists the person's other subsidised trainings.
	Prior []Prior `json:"prior"`
	// CertificateDate is when the trainee was certified (zero if not).
	CertificateDate calendar.Date `json:"certificateDate"`
	// PlacementDate is the first day of employment after training (zero if
	// none yet).
	PlacementDate calendar.Date `json:"placementDate"`
	// AdvancePaid is what was advanced to the provider for this training.
	AdvancePaid money.Amount `json:"advancePaid"`
}

// Rule names of the checks Assess makes.
const (
	RuleMaxPerPerson     = "max-per-person"
	RuleOncePerLevel     = "same-occupation-level-never-twice"
	RuleCertificate      = "certificate-required"
	RulePlacementKnown   = "placement-known"
	RuleAdvanceWithin    = "advance-within-share"
	RuleSettlementAmount = "settlement-positive"
	RuleAmount           = "amount"
)

// KeyOccupationLevel is the uniqueness rule: one subsidised training per
// person, occupation and level, ever.
const KeyOccupationLevel = "training-person-occupation-level"

// KeySettlement is the uniqueness rule: one settlement per training.
const KeySettlement = "training-settlement"

// KeySlot numbers a person's subsidised trainings: a claim opening a
// training reserves the slot after the earlier trainings its facts list, so
// two claims counting the same history compete for one slot and the
// per-person maximum holds however close together they arrive.
const KeySlot = "training-person-slot"

func (f Facts) validate() error {
	if _, err := identity.ParsePersonRef("person", string(f.Person)); err != nil {
		return err
	}
	switch {
	case f.Stage != Advance && f.Stage != Settlement:
		return domain.Invalid("stage", "one-of", "stage %q is not advance or settlement", f.Stage)
	case f.Occupation == "":
		return domain.Invalid("occupation", "required", "the occupation code is required")
	case !f.Standard.IsPositive():
		return domain.Invalid("standard", "positive", "the course's subsidy standard must be greater than zero")
	case f.AdvancePaid.IsNegative():
		return domain.Invalid("advancePaid", "non-negative", "the advance paid must not be negative")
	}
	_, err := policy.ParseLevel("level", string(f.Level))
	return err
}

// Assess checks a claim under version v on the effective date. An advance
// is the standard × AdvanceShare. A settlement is the standard × the
// placement share (PlacedShare if placed within PlacementMonths of
// certification, UnplacedShare once that window has closed without
// placement), less the advance paid; each product is rounded half-up once.
func Assess(v policy.Version, effective calendar.Date, f Facts) (eligibility.Assessment, error) {
	if err := v.Applies(programme.VocationalTraining, effective); err != nil {
		return eligibility.Assessment{}, err
	}
	if err := f.validate(); err != nil {
		return eligibility.Assessment{}, err
	}
	p := v.Training
	var r eligibility.Recorder
	r.Require(RuleMaxPerPerson, len(f.Prior) < p.MaxPerPerson, "%d trainings subsidised before, at most %d per person", len(f.Prior), p.MaxPerPerson)
	twice := false
	for _, pr := range f.Prior {
		twice = twice || (pr.Occupation == f.Occupation && pr.Level == f.Level)
	}
	r.Require(RuleOncePerLevel, !twice, "occupation %s at level %s subsidised before: %v", f.Occupation, f.Level, twice)
	advanceMax := f.Standard.MulRate(p.AdvanceShare)
	var amount money.Amount
	switch f.Stage {
	case Advance:
		amount = advanceMax
		r.Note(RuleAmount, "advance: standard %s × %s = %s yuan", f.Standard, p.AdvanceShare, amount)
	case Settlement:
		amount = settle(&r, p, effective, f, advanceMax)
	}
	return r.Assess(programme.VocationalTraining, v.ID, effective, amount), nil
}

func settle(r *eligibility.Recorder, p *policy.Training, effective calendar.Date, f Facts, advanceMax money.Amount) money.Amount {
	certified := !f.CertificateDate.IsZero() && !f.CertificateDate.After(effective)
	r.Require(RuleCertificate, certified, "certificate obtained: %s", dateOrNone(f.CertificateDate))
	r.Require(RuleAdvanceWithin, !f.AdvancePaid.GreaterThan(advanceMax), "advance paid %s, at most %s", f.AdvancePaid, advanceMax)
	if !certified {
		return money.Amount{}
	}
	closes := f.CertificateDate.AddMonths(p.PlacementMonths)
	placed := !f.PlacementDate.IsZero() && !f.PlacementDate.After(closes) && !f.PlacementDate.After(effective)
	known := placed || effective.After(closes)
	r.Require(RulePlacementKnown, known, "certified %s; placed: %s; the %d-month placement window closes %s",
		f.CertificateDate, dateOrNone(f.PlacementDate), p.PlacementMonths, closes)
	share := p.UnplacedShare
	if placed {
		share = p.PlacedShare
	}
	entitled := f.Standard.MulRate(share)
	amount := entitled.Sub(f.AdvancePaid)
	r.Require(RuleSettlementAmount, amount.IsPositive(), "standard %s × %s = %s yuan, less advance %s = %s yuan",
		f.Standard, share, entitled, f.AdvancePaid, amount)
	return amount
}

func dateOrNone(d calendar.Date) string {
	if d.IsZero() {
		return "none"
	}
	return d.String()
}

// Keys returns the reservations of a claim. KeyOccupationLevel makes a
// training of one occupation and level subsidised once per person; it is
// reserved, with the person's next KeySlot, by the claim that opens the
// training (an advance, or a settlement without an advance). KeySettlement makes the settlement once
// per training.
func Keys(f Facts) []uniqueness.Key {
	value := fmt.Sprintf("%s|%s|%s", f.Person, f.Occupation, f.Level)
	opening := uniqueness.Key{Rule: KeyOccupationLevel, Value: value}
	slot := uniqueness.Key{Rule: KeySlot, Value: fmt.Sprintf("%s|%d", f.Person, len(f.Prior)+1)}
	settlement := uniqueness.Key{Rule: KeySettlement, Value: value}
	switch {
	case f.Stage == Advance:
		return []uniqueness.Key{opening, slot}
	case f.AdvancePaid.IsPositive():
		return []uniqueness.Key{settlement}
	default:
		return []uniqueness.Key{opening, slot, settlement}
	}
}
