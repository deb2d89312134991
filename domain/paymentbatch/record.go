package paymentbatch

import (
	"time"

	"github.com/haixi-hrss/fundledger/domain"
	"github.com/haixi-hrss/fundledger/domain/calendar"
	"github.com/haixi-hrss/fundledger/domain/role"
)

// Release is what a claim did with one item of a sent batch: released its
// instalment for payment, or refused (Withdrawn, with the claim's Rule and
// Detail).
type Release struct {
	ClaimID    string
	Instalment int
	Withdrawn  bool
	Rule       string
	Detail     string
}

// RecordReleases records what the claims did with items of a sent batch.
// An outcome the batch already holds is skipped; a different one is
// refused.
type RecordReleases struct {
	Releases []Release
	Actor    string
	Role     string
	At       time.Time
}

// Result is the bank's answer for one item: paid with the bank's
// reference, or failed with a reason.
type Result struct {
	ClaimID    string
	Instalment int
	PaymentID  string
	Paid       bool
	BankRef    string
	Reason     string
	On         calendar.Date
}

// RecordResults records the bank's answers for released items. An answer
// the batch already holds is skipped; a different one is refused. The
// batch is settled when every item has an outcome.
type RecordResults struct {
	Results []Result
	Actor   string
	Role    string
	At      time.Time
}

func (RecordReleases) batchCommand() {}
func (RecordResults) batchCommand()  {}

func decideReleases(s State, c RecordReleases) ([]domain.Event, error) {
	if err := firstErr(role.Authorize(c.Actor, c.Role, c.At, role.Treasurer), in(s, "batch-sent", StatusSent, StatusSettled)); err != nil {
		return nil, err
	}
	by := By{c.Actor, c.Role, c.At}
	// Decide against a working copy, so an item named twice in one
	// command is a repeat the second time.
	w := FoldFrom(s)
	var events []domain.Event
	for _, r := range c.Releases {
		i, ok := w.Find(r.ClaimID, r.Instalment)
		if !ok {
			return nil, domain.Reject("item-in-batch", "instalment", "instalment %d of claim %s is not in the batch", r.Instalment, r.ClaimID)
		}
		if r.Withdrawn {
			if err := required("rule", r.Rule, "the claim's rule refusing the release"); err != nil {
				return nil, err
			}
		}
		it := w.Items[i]
		switch {
		case it.Status == Pending && r.Withdrawn:
			events = w.record(events, &ItemWithdrawn{ClaimID: it.ClaimID, Instalment: it.Instalment, PaymentID: it.PaymentID, Rule: r.Rule, Detail: r.Detail, By: by})
		case it.Status == Pending:
			events = w.record(events, &ItemReleased{ClaimID: it.ClaimID, Instalment: it.Instalment, PaymentID: it.PaymentID, By: by})
		case (it.Status == Withdrawn) != r.Withdrawn:
			return nil, domain.Reject("release-recorded", "instalment", "instalment %d of claim %s is already %s", r.Instalment, r.ClaimID, it.Status)
		}
	}
	return w.settle(events, by), nil
}

func decideResults(s State, c RecordResults) ([]domain.Event, error) {
	if err := firstErr(role.Authorize(c.Actor, c.Role, c.At, role.Treasurer), in(s, "batch-sent", StatusSent, StatusSettled)); err != nil {
		return nil, err
	}
	by := By{c.Actor, c.Role, c.At}
	w := FoldFrom(s)
	var events []domain.Event
	for _, r := range c.Results {
		if err := r.valid(); err != nil {
			return nil, err
		}
		i, ok := w.Find(r.ClaimID, r.Instalment)
		if !ok {
			return nil, domain.Reject("item-in-batch", "instalment", "instalment %d of claim %s is not in the batch", r.Instalment, r.ClaimID)
		}
		it := w.Items[i]
		if it.PaymentID != r.PaymentID {
			return nil, domain.Reject("payment-id-matches", "paymentId", "instalment %d of claim %s was sent as payment %s, not %s", r.Instalment, r.ClaimID, it.PaymentID, r.PaymentID)
		}
		switch {
		case it.Status == Released && r.Paid:
			events = w.record(events, &ItemPaid{ClaimID: it.ClaimID, Instalment: it.Instalment, PaymentID: it.PaymentID, BankRef: r.BankRef, On: r.On, By: by})
		case it.Status == Released:
			events = w.record(events, &ItemFailed{ClaimID: it.ClaimID, Instalment: it.Instalment, PaymentID: it.PaymentID, Reason: r.Reason, On: r.On, By: by})
		case it.Status == Paid && r.Paid && it.BankRef == r.BankRef && it.On == r.On:
		case it.Status == Failed && !r.Paid && it.Reason == r.Reason && it.On == r.On:
		case it.Status == Pending || it.Status == Withdrawn:
			return nil, domain.Reject("item-released", "instalment", "instalment %d of claim %s is %s, not released for payment", r.Instalment, r.ClaimID, it.Status)
		default:
			return nil, domain.Reject("result-recorded", "instalment", "instalment %d of claim %s already has a different result (%s)", r.Instalment, r.ClaimID, it.Status)
		}
	}
	return w.settle(events, by), nil
}

func (r Result) valid() error {
	if r.On.IsZero() {
		return domain.Invalid("on", "required", "the date of the bank's answer is missing")
	}
	if r.Paid {
		return required("bankRef", r.BankRef, "the bank's reference")
	}
	return required("reason", r.Reason, "the reason the payment failed")
}

// record applies e to the working copy and appends it to events.
func (s *State) record(events []domain.Event, e domain.Event) []domain.Event {
	s.apply(e)
	return append(events, e)
}

// settle appends Settled to events when they give the last item of a sent
// batch its outcome.
func (s *State) settle(events []domain.Event, by By) []domain.Event {
	if len(events) == 0 || s.Status != StatusSent {
		return events
	}
	for _, it := range s.Items {
		if it.Status == Pending || it.Status == Released {
			return events
		}
	}
	return s.record(events, &Settled{Paid: s.Sum(Paid), Failed: s.Sum(Failed), Withdrawn: s.Sum(Withdrawn), By: by})
}
