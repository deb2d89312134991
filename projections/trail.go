package projections

import (
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/haixi-hrss/fundledger/domain"
	"github.com/haixi-hrss/fundledger/domain/budget"
	"github.com/haixi-hrss/fundledger/domain/claim"
	"github.com/haixi-hrss/fundledger/domain/fund"
	"github.com/haixi-hrss/fundledger/domain/money"
	"github.com/haixi-hrss/fundledger/eventstore"
)

// TrailEntry is one stored event as an auditor sees it: its place in the
// log, its envelope and its hash. It copies no payload, so it carries no
// personal data beyond what the envelope holds (actor IDs, never persons).
type TrailEntry struct {
	Position      uint64    `json:"position"`
	Stream        string    `json:"stream"`
	Version       uint64    `json:"version"`
	Type          string    `json:"type"`
	RecordedAt    time.Time `json:"recordedAt"`
	Actor         string    `json:"actor,omitempty"`
	Role          string    `json:"role,omitempty"`
	CorrelationID string    `json:"correlationId,omitempty"`
	CausationID   string    `json:"causationId,omitempty"`
	PolicyVersion string    `json:"policyVersion,omitempty"`
	EffectiveDate string    `json:"effectiveDate,omitempty"`
	// Hash is the event's chain hash in hex, to be checked against the
	// store's integrity verification.
	Hash string `json:"hash"`
}

func entryOf(env *eventstore.Event) TrailEntry {
	m := env.Metadata
	return TrailEntry{
		Position: env.Position, Stream: env.Stream, Version: env.Version, Type: env.Type, RecordedAt: env.RecordedAt.UTC(),
		Actor: m.Actor, Role: m.Role, CorrelationID: m.CorrelationID, CausationID: m.CausationID,
		PolicyVersion: m.PolicyVersion, EffectiveDate: m.EffectiveDate, Hash: env.Hash.String(),
	}
}

// Action is one event an actor's command recorded.
type Action struct {
	Position uint64 `json:"position"`
	Stream   string `json:"stream"`
	Type     string `json:"type"`
}

// Approval is one approver's decision on a claim, as the claim recorded it.
type Approval struct {
	Entry TrailEntry `json:"entry"`
	Round int        `json:"round"`
	Actor string     `json:"actor"`
	Role  string     `json:"role"`
}

// Allocation is the fund's allocation of money to a budget line
// (FundAllocated on the fund's stream).
type Allocation struct {
	Entry        TrailEntry   `json:"entry"`
	AllocationID string       `json:"allocationId"`
	FundID       string       `json:"fundId"`
	Amount       money.Amount `json:"amount"`
}

// PaymentTrace links a claim's payments back through the decisions that
// allowed them: submission, eligibility check (and the policy version it
// applied), approvals, the budget line charged and the fund's allocations
// to that line.
type PaymentTrace struct {
	ClaimID    string     `json:"claimId"`
	Submission TrailEntry `json:"submission"`
	// Check is the latest ClaimChecked; CheckPolicy the policy version its
	// terms were kept from.
	Check       TrailEntry `json:"check"`
	CheckPolicy string     `json:"checkPolicy"`
	Approvals   []Approval `json:"approvals"`
	// Payments are the claim's payment events and the line's spends for
	// the claim, in log order.
	Payments     []TrailEntry `json:"payments"`
	BudgetLineID string       `json:"budgetLineId"`
	Allocations  []Allocation `json:"allocations"`
}

// claimTrail is one claim's trail and what TracePayment needs of it.
type claimTrail struct {
	Line        string       `json:"line"`
	Entries     []TrailEntry `json:"entries"`
	CheckPolicy string       `json:"checkPolicy,omitempty"`
	Approvals   []Approval   `json:"approvals"`
}

// Trail is the auditors' read model: each claim's full trail across its
// own stream and the budget-line events that name it, an index of what
// each actor did, and the fund allocations to each budget line. It is not
// safe for concurrent use; while a Runner feeds it, query it inside
// Runner.Read.
type Trail struct {
	state trailState
}

// trailState is the model and its persisted form; encoding/json writes
// map keys sorted, so equal models marshal to equal bytes.
type trailState struct {
	Claims map[string]*claimTrail  `json:"claims"`
	Actors map[string][]Action     `json:"actors"`
	Lines  map[string][]Allocation `json:"lines"`
}

// NewTrail returns an empty model.
func NewTrail() *Trail {
	t := &Trail{}
	t.Reset()
	return t
}

// Name implements Projection.
func (t *Trail) Name() string { return "trail" }

// Reset implements Projection.
func (t *Trail) Reset() {
	t.state = trailState{Claims: map[string]*claimTrail{}, Actors: map[string][]Action{}, Lines: map[string][]Allocation{}}
}

// Apply implements Projection. Every event with an actor in its envelope
// is indexed under that actor; claim events are found by their stream,
// budget movements by the claim ID they carry.
func (t *Trail) Apply(ev domain.Event, env *eventstore.Event) error {
	if a := env.Metadata.Actor; a != "" {
		t.state.Actors[a] = append(t.state.Actors[a], Action{Position: env.Position, Stream: env.Stream, Type: env.Type})
	}
	entry := entryOf(env)
	if id, ok := strings.CutPrefix(env.Stream, claim.Stream("")); ok {
		return t.applyClaim(id, ev, entry)
	}
	switch e := ev.(type) {
	case *fund.Allocated:
		t.state.Lines[e.BudgetLineID] = append(t.state.Lines[e.BudgetLineID],
			Allocation{Entry: entry, AllocationID: e.AllocationID, FundID: e.FundID, Amount: e.Amount})
	case *budget.FundsReserved:
		return t.applyMovement(e.ClaimID, entry)
	case *budget.FundsSpent:
		return t.applyMovement(e.ClaimID, entry)
	case *budget.FundsReleased:
		return t.applyMovement(e.ClaimID, entry)
	case *budget.FundsRecovered:
		return t.applyMovement(e.ClaimID, entry)
	}
	return nil
}

func (t *Trail) applyClaim(id string, ev domain.Event, entry TrailEntry) error {
	c, ok := t.state.Claims[id]
	if s, submitted := ev.(*claim.Submitted); submitted {
		if ok && slices.ContainsFunc(c.Entries, func(x TrailEntry) bool { return x.Stream == entry.Stream }) {
			return fmt.Errorf("%s in %s: claim %q was already submitted", entry.Type, entry.Stream, id)
		}
		if !ok {
			c = &claimTrail{Approvals: []Approval{}}
			t.state.Claims[id] = c
		}
		c.Line = s.BudgetLineID
	} else if !ok {
		return fmt.Errorf("%s in %s: claim %q was never submitted", entry.Type, entry.Stream, id)
	}
	c.Entries = append(c.Entries, entry)
	switch e := ev.(type) {
	case *claim.Checked:
		c.CheckPolicy = e.Terms.PolicyVersion
	case *claim.ApprovalRecorded:
		c.Approvals = append(c.Approvals, Approval{Entry: entry, Round: e.Round, Actor: e.Actor, Role: e.Role})
	}
	return nil
}

// applyMovement adds a budget-line movement to its claim's trail. The line
// may hold money for a claim this log never submitted (a reservation made
// by hand, as the budget aggregate allows); its trail then starts there.
func (t *Trail) applyMovement(id string, entry TrailEntry) error {
	if id == "" {
		return fmt.Errorf("%s in %s: no claim ID", entry.Type, entry.Stream)
	}
	c, ok := t.state.Claims[id]
	if !ok {
		c = &claimTrail{Line: strings.TrimPrefix(entry.Stream, budget.Stream("")), Approvals: []Approval{}}
		t.state.Claims[id] = c
	}
	c.Entries = append(c.Entries, entry)
	return nil
}

// ClaimTrail returns every event of claim id's stream and every budget-line
// movement naming it, in log order.
func (t *Trail) ClaimTrail(id string) ([]TrailEntry, bool) {
	c, ok := t.state.Claims[id]
	if !ok {
		return nil, false
	}
	return slices.Clone(c.Entries), true
}

// ByActor returns what actor did, in log order.
func (t *Trail) ByActor(actor string) []Action {
	out := slices.Clone(t.state.Actors[actor])
	if out == nil {
		out = []Action{}
	}
	return out
}

// Allocations returns the fund's allocations to budget line id, in log
// order.
func (t *Trail) Allocations(line string) []Allocation {
	out := slices.Clone(t.state.Lines[line])
	if out == nil {
		out = []Allocation{}
	}
	return out
}

// paymentTypes are the events that move a claim's money out: the claim's
// release and confirmation, and the line's spend.
var paymentTypes = []string{
	claim.PaymentReleased{}.EventType(), claim.InstalmentPaid{}.EventType(), budget.FundsSpent{}.EventType(),
}

// TracePayment links claim id's payments back to its submission, check,
// approvals, budget line and fund allocations. It reports false when the
// claim is unknown, was never submitted in this log, or has no payment.
func (t *Trail) TracePayment(id string) (PaymentTrace, bool) {
	c, ok := t.state.Claims[id]
	if !ok {
		return PaymentTrace{}, false
	}
	sub := slices.IndexFunc(c.Entries, func(e TrailEntry) bool { return e.Type == (claim.Submitted{}).EventType() })
	if sub < 0 {
		return PaymentTrace{}, false
	}
	tr := PaymentTrace{
		ClaimID: id, Submission: c.Entries[sub], CheckPolicy: c.CheckPolicy, Approvals: slices.Clone(c.Approvals),
		Payments: []TrailEntry{}, BudgetLineID: c.Line, Allocations: t.Allocations(c.Line),
	}
	for _, e := range c.Entries {
		switch {
		case e.Type == (claim.Checked{}).EventType():
			tr.Check = e
		case slices.Contains(paymentTypes, e.Type):
			tr.Payments = append(tr.Payments, e)
		}
	}
	if len(tr.Payments) == 0 {
		return PaymentTrace{}, false
	}
	return tr, true
}

// MarshalState implements Projection.
func (t *Trail) MarshalState() ([]byte, error) {
	return json.Marshal(t.state)
}

// UnmarshalState implements Projection.
func (t *Trail) UnmarshalState(data []byte) error {
	var s trailState
	if err := json.Unmarshal(data, &s); err != nil {
		return fmt.Errorf("trail: %w", err)
	}
	t.Reset()
	for k, v := range s.Claims {
		t.state.Claims[k] = v
	}
	for k, v := range s.Actors {
		t.state.Actors[k] = v
	}
	for k, v := range s.Lines {
		t.state.Lines[k] = v
	}
	return nil
}
