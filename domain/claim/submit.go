package claim

import (
	"errors"
	"regexp"
	"time"

	"github.com/haixi-hrss/fundledger/domain"
	"github.com/haixi-hrss/fundledger/domain/calendar"
	"github.com/haixi-hrss/fundledger/domain/identity"
	"github.com/haixi-hrss/fundledger/domain/programme"
	"github.com/haixi-hrss/fundledger/domain/region"
	"github.com/haixi-hrss/fundledger/domain/role"
	"github.com/haixi-hrss/fundledger/domain/uniqueness"
)

// Submit records a clerk's submission of an application. UniquenessKeys are
// the at-most-once rules the claim falls under (one expansion grant per
// person, ...); the ledger reserves each key's stream before it appends the
// claim.
type Submit struct {
	ClaimID        string
	Programme      programme.Code
	Beneficiary    Beneficiary
	Region         region.Code
	BudgetLineID   string
	EffectiveDate  calendar.Date
	UniquenessKeys []uniqueness.Key
	Actor          string
	Role           string
	At             time.Time
}

func (Submit) claimCommand() {}

// streamID keeps claim IDs safe inside stream names and the operation IDs
// derived from them.
var streamID = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$`)

func validID(id string) error {
	if !streamID.MatchString(id) {
		return domain.Invalid("claimId", "stream-id", "claim ID %q must be 1–64 letters, digits, '.', '_' or '-'", id)
	}
	return nil
}

func decideSubmit(s State, c Submit) ([]domain.Event, error) {
	beneficiary, err := canonical(c.Beneficiary)
	if err = first(
		validID(c.ClaimID),
		required("budgetLineId", c.BudgetLineID, "the budget line"),
		err,
		validKeys(c.UniquenessKeys),
	); err != nil {
		return nil, err
	}
	if !c.Programme.Valid() {
		return nil, domain.Invalid("programme", "programme", "%q is not a programme", c.Programme)
	}
	if !c.Region.Valid() {
		return nil, domain.Invalid("region", "haixi-region", "%q is not Haixi or one of its county-level units", c.Region)
	}
	if c.EffectiveDate.IsZero() {
		return nil, domain.Invalid("effectiveDate", "required", "the effective date selects the policy version and is required")
	}
	if err := role.Authorize(c.Actor, c.Role, c.At, role.Clerk); err != nil {
		return nil, err
	}
	if s.Status != "" {
		return nil, domain.Reject("claim-submitted-once", "claimId", "claim %s was already submitted", s.ID)
	}
	return []domain.Event{&Submitted{
		ClaimID: c.ClaimID, Programme: c.Programme, Beneficiary: beneficiary, Region: c.Region,
		BudgetLineID: c.BudgetLineID, EffectiveDate: c.EffectiveDate, UniquenessKeys: c.UniquenessKeys,
		By: By{c.Actor, c.Role, c.At},
	}}, nil
}

// canonical checks the beneficiary's reference and returns it in canonical
// form. It accepts a credit code that only fails its check character: such
// pilot codes are legal, and the employer's record carries the
// manual-review flag.
func canonical(b Beneficiary) (Beneficiary, error) {
	switch b.Kind {
	case Employer, Provider:
		code, err := identity.ParseCreditCode("beneficiary.ref", b.Ref)
		if err != nil && !errors.Is(err, identity.ErrNeedsReview) {
			return b, err
		}
		return Beneficiary{Kind: b.Kind, Ref: code.String()}, nil
	case Person:
		_, err := identity.ParsePersonRef("beneficiary.ref", b.Ref)
		return b, err
	}
	return b, domain.Invalid("beneficiary.kind", "beneficiary-kind", "%q is not employer, person or provider", b.Kind)
}

func validKeys(keys []uniqueness.Key) error {
	seen := make(map[uniqueness.Key]bool, len(keys))
	for _, k := range keys {
		if k.Rule == "" || k.Value == "" {
			return domain.Invalid("uniquenessKeys", "required", "a uniqueness key needs a rule and a value")
		}
		if seen[k] {
			return domain.Invalid("uniquenessKeys", "distinct", "uniqueness key %s is given twice", k.Rule)
		}
		seen[k] = true
	}
	return nil
}
