package claim

import (
	"strconv"
	"strings"
	"time"

	"github.com/haixi-hrss/fundledger/domain"
	"github.com/haixi-hrss/fundledger/domain/calendar"
	"github.com/haixi-hrss/fundledger/domain/role"
)

// StartDisclosure records the start of public disclosure (公示) of an
// approved claim, showing Masked in place of the beneficiary's identifier.
type StartDisclosure struct {
	On     calendar.Date
	Masked string
	Actor  string
	Role   string
	At     time.Time
}

// RaiseObjection records an objection received during disclosure; the claim
// returns to review and its reservation is released.
type RaiseObjection struct {
	Reason string
	Actor  string
	Role   string
	At     time.Time
}

// CompleteDisclosure records that disclosure ran for at least the policy's
// number of working days without objection. Calendar supplies the public
// holidays and exchanged working days.
type CompleteDisclosure struct {
	On       calendar.Date
	Calendar calendar.WorkCalendar
	Actor    string
	Role     string
	At       time.Time
}

func (StartDisclosure) claimCommand()    {}
func (RaiseObjection) claimCommand()     {}
func (CompleteDisclosure) claimCommand() {}

// minHidden is how many characters a masked identifier hides at least: a
// resident ID masked for disclosure hides ten.
const minHidden = 4

func decideStartDisclosure(s State, c StartDisclosure) ([]domain.Event, error) {
	if c.On.IsZero() {
		return nil, domain.Invalid("on", "required", "the first day of disclosure is missing")
	}
	if strings.Count(c.Masked, "*") < minHidden {
		return nil, domain.Invalid("masked", "masked-identifier", "the disclosed identifier must hide at least %d characters with '*'", minHidden)
	}
	if err := role.Authorize(c.Actor, c.Role, c.At, role.Clerk); err != nil {
		return nil, err
	}
	if err := in(s, "claim-approved", StatusApproved); err != nil {
		return nil, err
	}
	return []domain.Event{&DisclosureStarted{On: c.On, Masked: c.Masked, By: By{c.Actor, c.Role, c.At}}}, nil
}

func decideObjection(s State, c RaiseObjection) ([]domain.Event, error) {
	if err := first(required("reason", c.Reason, "the objection"), role.Authorize(c.Actor, c.Role, c.At, role.Approver)); err != nil {
		return nil, err
	}
	if err := in(s, "claim-in-disclosure", StatusInDisclosure); err != nil {
		return nil, err
	}
	return []domain.Event{&ObjectionRaised{
		Reason: c.Reason, Round: s.Round, BudgetLineID: s.BudgetLineID,
		ReleaseID: s.ID + "/objection/" + strconv.Itoa(s.Round), Release: s.Outstanding(),
		By: By{c.Actor, c.Role, c.At},
	}}, nil
}

func decideCompleteDisclosure(s State, c CompleteDisclosure) ([]domain.Event, error) {
	if c.On.IsZero() {
		return nil, domain.Invalid("on", "required", "the day disclosure ends is missing")
	}
	if err := role.Authorize(c.Actor, c.Role, c.At, role.Clerk); err != nil {
		return nil, err
	}
	if err := in(s, "claim-in-disclosure", StatusInDisclosure); err != nil {
		return nil, err
	}
	// Only whole working days before the completion day count: the
	// disclosure must have stood for N full working days.
	days := c.Calendar.WorkingDaysBetween(s.DisclosureStart, c.On.AddDays(-1))
	if days < s.Terms.DisclosureWorkingDays {
		return nil, domain.Reject("disclosure-working-days", "on", "disclosure since %s has lasted %d working days before %s, policy %s requires %d",
			s.DisclosureStart, days, c.On, s.Terms.PolicyVersion, s.Terms.DisclosureWorkingDays)
	}
	return []domain.Event{&Disclosed{On: c.On, WorkingDays: days, By: By{c.Actor, c.Role, c.At}}}, nil
}
