package paymentbatch

import (
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/haixi-hrss/fundledger/domain"
	"github.com/haixi-hrss/fundledger/domain/calendar"
	"github.com/haixi-hrss/fundledger/domain/money"
)

// Stream returns the name of a payment batch's stream.
func Stream(id string) string { return "paybatch-" + id }

// Status is where a batch is in its life.
type Status string

// The batch statuses.
const (
	StatusOpen    Status = "open"
	StatusClosed  Status = "closed"
	StatusSent    Status = "sent"
	StatusSettled Status = "settled"
)

// ItemStatus is where one item's payment is.
type ItemStatus string

// The item statuses.
const (
	Pending   ItemStatus = "pending"
	Released  ItemStatus = "released"
	Withdrawn ItemStatus = "withdrawn"
	Paid      ItemStatus = "paid"
	Failed    ItemStatus = "failed"
)

// The scope kinds: a batch pays from one fund or from one budget line.
const (
	ScopeFund       = "fund"
	ScopeBudgetLine = "budget-line"
)

// Scope is the fund or budget line a batch pays from.
type Scope struct {
	Kind string `json:"kind"`
	ID   string `json:"id"`
}

// Item is one claim instalment in a batch.
type Item struct {
	ClaimID    string `json:"claimId"`
	Instalment int    `json:"instalment"`
	// PaymentID is the payment attempt's ID, unique within the batch; the
	// claim records the payment under it.
	PaymentID    string       `json:"paymentId"`
	Amount       money.Amount `json:"amount"`
	BudgetLineID string       `json:"budgetLineId"`
	// BeneficiaryRef is the payee as the claim names it: a credit code or
	// a person's keyed reference, never a plaintext identity.
	BeneficiaryRef string     `json:"beneficiaryRef"`
	Status         ItemStatus `json:"status"`
	// Rule is the claim's rule that withdrew the item.
	Rule string `json:"rule,omitempty"`
	// Reason is why the bank refused the payment, or the claim the
	// release.
	Reason  string        `json:"reason,omitempty"`
	BankRef string        `json:"bankRef,omitempty"`
	On      calendar.Date `json:"on"`
}

// State is a batch as its events leave it.
type State struct {
	ID       string    `json:"id"`
	Status   Status    `json:"status"`
	Scope    Scope     `json:"scope"`
	OpenedBy string    `json:"openedBy"`
	OpenedAt time.Time `json:"openedAt"`
	// Items are in the order they were added.
	Items []Item `json:"items"`
	// Total is the sum of every item's amount.
	Total money.Amount `json:"total"`
}

// Find returns the index of the item for claimID's instalment, if the batch
// holds it.
func (s State) Find(claimID string, instalment int) (int, bool) {
	i := slices.IndexFunc(s.Items, func(it Item) bool { return it.ClaimID == claimID && it.Instalment == instalment })
	return i, i >= 0
}

// Sum returns the total amount of the items with status st.
func (s State) Sum(st ItemStatus) money.Amount {
	var sum money.Amount
	for _, it := range s.Items {
		if it.Status == st {
			sum = sum.Add(it.Amount)
		}
	}
	return sum
}

// Count returns how many items have status st.
func (s State) Count(st ItemStatus) int {
	n := 0
	for _, it := range s.Items {
		if it.Status == st {
			n++
		}
	}
	return n
}

// Command is any batch command.
type Command interface{ batchCommand() }

// Decide returns the events cmd causes in state s, or a *domain.FieldError
// for malformed input or a *domain.RuleError for a refused command.
// Recording a release or result the batch already holds decides nothing.
func Decide(s State, cmd Command) ([]domain.Event, error) {
	switch c := cmd.(type) {
	case Open:
		return decideOpen(s, c)
	case AddItem:
		return decideAddItem(s, c)
	case Close:
		return decideClose(s, c)
	case Send:
		return decideSend(s, c)
	case RecordReleases:
		return decideReleases(s, c)
	case RecordResults:
		return decideResults(s, c)
	}
	return nil, domain.Invalid("command", "known-command", "unknown payment batch command %T", cmd)
}

// Evolve returns s with e applied; s itself is left unchanged.
func Evolve(s State, e domain.Event) State { return FoldFrom(s, e) }

// FoldFrom returns s with events applied in order; s itself is left
// unchanged. It copies the items once for the whole run, so folding a
// large batch costs time linear in its events.
func FoldFrom(s State, events ...domain.Event) State {
	s.Items = slices.Clone(s.Items)
	for _, e := range events {
		s.apply(e)
	}
	return s
}

// Fold replays events from the zero state.
func Fold(events []domain.Event) State { return FoldFrom(State{}, events...) }

func (s *State) apply(e domain.Event) {
	switch e := e.(type) {
	case *Opened:
		s.ID, s.Status, s.Scope, s.OpenedBy, s.OpenedAt = e.BatchID, StatusOpen, e.Scope, e.Actor, e.At
	case *ItemAdded:
		it := e.Item
		it.Status = Pending
		s.Items = append(s.Items, it)
		s.Total = s.Total.Add(it.Amount)
	case *Closed:
		s.Status = StatusClosed
	case *Sent:
		s.Status = StatusSent
	case *ItemReleased:
		s.update(e.ClaimID, e.Instalment, func(it *Item) { it.Status = Released })
	case *ItemWithdrawn:
		s.update(e.ClaimID, e.Instalment, func(it *Item) { it.Status, it.Rule, it.Reason = Withdrawn, e.Rule, e.Detail })
	case *ItemPaid:
		s.update(e.ClaimID, e.Instalment, func(it *Item) { it.Status, it.BankRef, it.On = Paid, e.BankRef, e.On })
	case *ItemFailed:
		s.update(e.ClaimID, e.Instalment, func(it *Item) { it.Status, it.Reason, it.On = Failed, e.Reason, e.On })
	case *Settled:
		s.Status = StatusSettled
	}
}

func (s *State) update(claimID string, instalment int, change func(*Item)) {
	if i, ok := s.Find(claimID, instalment); ok {
		change(&s.Items[i])
	}
}

// streamID keeps batch and claim IDs safe inside stream names.
var streamID = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$`)

func required(field, v, what string) error {
	if strings.TrimSpace(v) == "" {
		return domain.Invalid(field, "required", "%s is missing", what)
	}
	return nil
}

// in refuses a command unless the batch is in one of statuses.
func in(s State, rule string, statuses ...Status) error {
	if slices.Contains(statuses, s.Status) {
		return nil
	}
	if s.Status == "" {
		return domain.Reject(rule, "batchId", "the batch has not been opened")
	}
	return domain.Reject(rule, "status", "the batch is %s", s.Status)
}
