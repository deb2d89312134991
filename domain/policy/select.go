package policy

import (
	"github.com/haixi-hrss/fundledger/domain"
	"github.com/haixi-hrss/fundledger/domain/calendar"
	"github.com/haixi-hrss/fundledger/domain/programme"
)

// Select returns the version of programme p in force on date d: of the
// versions whose range holds d, the one not superseded by another of them
// (an amendment replaces the version it supersedes on the days they share).
// It is a *domain.RuleError (rule "policy-in-force") if none is, or if more
// than one is: published versions never overlap except along an amendment
// chain, so that means the input was not a published history.
func Select(versions []Version, p programme.Code, d calendar.Date) (Version, error) {
	var inForce []Version
	superseded := map[string]bool{}
	for _, v := range versions {
		if v.Programme == p && v.InForce(d) {
			inForce = append(inForce, v)
			for _, id := range chain(versions, v.Supersedes) {
				superseded[id] = true
			}
		}
	}
	var found []Version
	for _, v := range inForce {
		if !superseded[v.ID] {
			found = append(found, v)
		}
	}
	switch len(found) {
	case 1:
		return found[0], nil
	case 0:
		return Version{}, domain.Reject("policy-in-force", "effectiveDate", "no %s policy version is in force on %s", p, d)
	default:
		return Version{}, domain.Reject("policy-in-force", "effectiveDate", "%d %s policy versions (%s, %s) are in force on %s", len(found), p, found[0].ID, found[1].ID, d)
	}
}

// Applies checks that v is a version of programme p in force on d, as a
// rule function must before it uses v's parameters.
func (v Version) Applies(p programme.Code, d calendar.Date) error {
	if v.Programme != p {
		return domain.Invalid("policyVersion", "policy-programme", "version %s is for %s, not %s", v.ID, v.Programme, p)
	}
	if !v.InForce(d) {
		return domain.Reject("policy-in-force", "effectiveDate", "version %s is not in force on %s", v.ID, d)
	}
	return nil
}
