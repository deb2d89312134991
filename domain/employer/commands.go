package employer

import (
	"errors"
	"regexp"
	"strings"
	"time"

	"github.com/haixi-hrss/fundledger/domain"
	"github.com/haixi-hrss/fundledger/domain/calendar"
	"github.com/haixi-hrss/fundledger/domain/identity"
	"github.com/haixi-hrss/fundledger/domain/money"
	"github.com/haixi-hrss/fundledger/domain/region"
	"github.com/haixi-hrss/fundledger/domain/role"
)

// Register records an employer by its unified social credit code.
type Register struct {
	CreditCode string
	Name       string
	SizeClass  SizeClass
	Region     region.Code
	Actor      string
	Role       string
	At         time.Time
}

// ConfirmCreditCode records an approver's judgement that a code failing its
// check character is a legal pilot code.
type ConfirmCreditCode struct {
	Reason string
	Actor  string
	Role   string
	At     time.Time
}

// ReportMonth records a month's insured headcount and UI premiums paid. A
// second report for the same month must say why it corrects the first.
type ReportMonth struct {
	Month            string
	InsuredHeadcount int
	PremiumsPaid     money.Amount
	Correction       string
	Actor            string
	Role             string
	At               time.Time
}

// RecordLayoffs records staff laid off on a date.
type RecordLayoffs struct {
	On     calendar.Date
	Count  int
	Reason string
	Actor  string
	Role   string
	At     time.Time
}

// FlagDishonesty records the unit's listing as seriously dishonest.
type FlagDishonesty struct {
	On     calendar.Date
	Reason string
	Actor  string
	Role   string
	At     time.Time
}

// ClearDishonesty records the unit's removal from the list.
type ClearDishonesty struct {
	On     calendar.Date
	Reason string
	Actor  string
	Role   string
	At     time.Time
}

func (Register) employerCommand()          {}
func (ConfirmCreditCode) employerCommand() {}
func (ReportMonth) employerCommand()       {}
func (RecordLayoffs) employerCommand()     {}
func (FlagDishonesty) employerCommand()    {}
func (ClearDishonesty) employerCommand()   {}

var monthPattern = regexp.MustCompile(`^(19|20)[0-9]{2}-(0[1-9]|1[0-2])$`)

func decideRegister(s State, c Register) ([]domain.Event, error) {
	code, err := identity.ParseCreditCode("creditCode", c.CreditCode)
	var review *identity.ReviewError
	if err != nil && !errors.As(err, &review) {
		return nil, err
	}
	switch {
	case strings.TrimSpace(c.Name) == "":
		return nil, domain.Invalid("name", "required", "the employer's name is missing")
	case !c.SizeClass.valid():
		return nil, domain.Invalid("sizeClass", "size-class", "%q is not large, medium, small or micro", c.SizeClass)
	case !c.Region.Valid():
		return nil, domain.Invalid("region", "haixi-region", "%q is not Haixi or one of its county-level units", c.Region)
	}
	if err := role.Authorize(c.Actor, c.Role, c.At, role.Clerk); err != nil {
		return nil, err
	}
	if s.Registered {
		return nil, domain.Reject("employer-registered-once", "creditCode", "%s is already registered", s.CreditCode)
	}
	e := &Registered{CreditCode: code.String(), Name: c.Name, UnitType: string(code.UnitType()), SizeClass: c.SizeClass,
		Region: c.Region.String(), By: By{c.Actor, c.Role, c.At}}
	if review != nil {
		e.NeedsManualReview, e.ReviewDetail = true, review.Detail
	}
	return []domain.Event{e}, nil
}

func decideConfirm(s State, c ConfirmCreditCode) ([]domain.Event, error) {
	if err := reason(c.Reason); err != nil {
		return nil, err
	}
	if err := role.Authorize(c.Actor, c.Role, c.At, role.Approver); err != nil {
		return nil, err
	}
	if err := registered(s); err != nil {
		return nil, err
	}
	if !s.NeedsManualReview {
		return nil, domain.Reject("credit-code-under-review", "creditCode", "%s does not await review", s.CreditCode)
	}
	return []domain.Event{&CreditCodeConfirmed{Reason: c.Reason, By: By{c.Actor, c.Role, c.At}}}, nil
}

func decideReportMonth(s State, c ReportMonth) ([]domain.Event, error) {
	switch {
	case !monthPattern.MatchString(c.Month):
		return nil, domain.Invalid("month", "month", "%q is not a month such as 2025-03", c.Month)
	case c.InsuredHeadcount < 0:
		return nil, domain.Invalid("insuredHeadcount", "not-negative", "headcount %d is negative", c.InsuredHeadcount)
	case c.PremiumsPaid.IsNegative():
		return nil, domain.Invalid("premiumsPaid", "not-negative", "premiums %s are negative", c.PremiumsPaid)
	}
	if err := role.Authorize(c.Actor, c.Role, c.At, role.Clerk); err != nil {
		return nil, err
	}
	if err := registered(s); err != nil {
		return nil, err
	}
	if _, done := s.Months[c.Month]; done && strings.TrimSpace(c.Correction) == "" {
		return nil, domain.Reject("month-reported-once", "month", "%s is already reported; a correction needs a reason", c.Month)
	}
	return []domain.Event{&MonthReported{Month: c.Month, InsuredHeadcount: c.InsuredHeadcount, PremiumsPaid: c.PremiumsPaid,
		Correction: c.Correction, By: By{c.Actor, c.Role, c.At}}}, nil
}

func decideLayoffs(s State, c RecordLayoffs) ([]domain.Event, error) {
	switch {
	case c.On.IsZero():
		return nil, domain.Invalid("on", "required", "the date of the layoffs is missing")
	case c.Count < 1:
		return nil, domain.Invalid("count", "positive", "%d people is not a layoff", c.Count)
	}
	if err := reason(c.Reason); err != nil {
		return nil, err
	}
	if err := role.Authorize(c.Actor, c.Role, c.At, role.Clerk); err != nil {
		return nil, err
	}
	if err := registered(s); err != nil {
		return nil, err
	}
	return []domain.Event{&LayoffsRecorded{On: c.On, Count: c.Count, Reason: c.Reason, By: By{c.Actor, c.Role, c.At}}}, nil
}

func decideFlag(s State, c FlagDishonesty) ([]domain.Event, error) {
	if err := flagInput(c.On, c.Reason, c.Actor, c.Role, c.At, s); err != nil {
		return nil, err
	}
	if s.Dishonest {
		return nil, domain.Reject("dishonesty-flag-clear", "reason", "the employer is already flagged: %s", s.DishonestReason)
	}
	return []domain.Event{&DishonestyFlagged{On: c.On, Reason: c.Reason, By: By{c.Actor, c.Role, c.At}}}, nil
}

func decideClear(s State, c ClearDishonesty) ([]domain.Event, error) {
	if err := flagInput(c.On, c.Reason, c.Actor, c.Role, c.At, s); err != nil {
		return nil, err
	}
	if !s.Dishonest {
		return nil, domain.Reject("dishonesty-flag-set", "reason", "the employer is not flagged")
	}
	return []domain.Event{&DishonestyCleared{On: c.On, Reason: c.Reason, By: By{c.Actor, c.Role, c.At}}}, nil
}

func flagInput(on calendar.Date, why, actor, actingRole string, at time.Time, s State) error {
	if on.IsZero() {
		return domain.Invalid("on", "required", "the date of the listing is missing")
	}
	if err := reason(why); err != nil {
		return err
	}
	if err := role.Authorize(actor, actingRole, at, role.Clerk); err != nil {
		return err
	}
	return registered(s)
}
