package projections

import (
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/tidwall/btree"

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

// Trail is the auditors' read model: each claim's full trail across its
// own stream and the budget-line events that name it, an index of what
// each actor did, and the fund allocations to each budget line. It holds
// each envelope as a compact record (trail_records.go) and its state in a
// binary form (trail_snapshot.go). It is not safe for concurrent use;
// while a Runner feeds it, query it inside Runner.Read.
//
// Freeze hands a save the whole trail in constant time: the claims are a
// copy-on-write tree whose entries an image may share are replaced, not
// changed (see claim), and every list in the model only grows, so an
// image keeps each list's length and never sees what is appended after.
type Trail struct {
	names  nameTable
	claims *btree.Map[string, *claimTrail]
	// gen is the generation of the claims' trails Apply may change in
	// place: those made since the last Freeze.
	gen    uint64
	actors map[ref][]actionRec
	lines  map[string][]allocationRec
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
	// New containers, never the old ones emptied: an image may hold them.
	*t = Trail{names: newNameTable(), claims: new(btree.Map[string, *claimTrail]), gen: t.gen,
		actors: map[ref][]actionRec{}, lines: map[string][]allocationRec{}}
}

// Apply implements Projection. Every event with an actor in its envelope
// is indexed under that actor; claim events are found by their stream,
// budget movements by the claim ID they carry.
func (t *Trail) Apply(ev domain.Event, env *eventstore.Event) error {
	// The envelope's stream, type and actor are looked up once, for the
	// actor's index and the event's record alike.
	var names envNames
	if a := env.Metadata.Actor; a != "" {
		names = t.names.envNames(env)
		t.actors[names.actor] = append(t.actors[names.actor], actionRec{position: env.Position, stream: names.stream, typ: names.typ})
	}
	if id, ok := strings.CutPrefix(env.Stream, claim.Stream("")); ok {
		return t.applyClaim(id, ev, env, names)
	}
	switch e := ev.(type) {
	case *fund.Allocated:
		t.lines[e.BudgetLineID] = append(t.lines[e.BudgetLineID],
			allocationRec{rec: t.names.record(env, names), allocationID: e.AllocationID, fundID: e.FundID, amount: e.Amount})
	case *budget.FundsReserved:
		return t.applyMovement(e.ClaimID, env, names)
	case *budget.FundsSpent:
		return t.applyMovement(e.ClaimID, env, names)
	case *budget.FundsReleased:
		return t.applyMovement(e.ClaimID, env, names)
	case *budget.FundsRecovered:
		return t.applyMovement(e.ClaimID, env, names)
	}
	return nil
}

func (t *Trail) applyClaim(id string, ev domain.Event, env *eventstore.Event, names envNames) error {
	c, ok := t.claim(id)
	if s, submitted := ev.(*claim.Submitted); submitted {
		if ok && slices.ContainsFunc(c.entries, func(x trailRec) bool { return t.names.str(x.stream) == env.Stream }) {
			return fmt.Errorf("%s in %s: claim %q was already submitted", env.Type, env.Stream, id)
		}
		if !ok {
			c = &claimTrail{gen: t.gen}
			t.claims.Set(id, c)
		}
		c.line = t.names.ref(s.BudgetLineID)
	} else if !ok {
		return fmt.Errorf("%s in %s: claim %q was never submitted", env.Type, env.Stream, id)
	}
	c.entries = append(c.entries, t.names.record(env, names))
	switch e := ev.(type) {
	case *claim.Checked:
		c.checkPolicy = t.names.ref(e.Terms.PolicyVersion)
	case *claim.ApprovalRecorded:
		c.approvals = append(c.approvals, approvalRec{entry: len(c.entries) - 1, round: e.Round,
			actor: t.names.ref(e.Actor), role: t.names.ref(e.Role)})
	}
	return nil
}

// applyMovement adds a budget-line movement to its claim's trail. The line
// may hold money for a claim this log never submitted (a reservation made
// by hand, as the budget aggregate allows); its trail then starts there.
func (t *Trail) applyMovement(id string, env *eventstore.Event, names envNames) error {
	if id == "" {
		return fmt.Errorf("%s in %s: no claim ID", env.Type, env.Stream)
	}
	c, ok := t.claim(id)
	if !ok {
		c = &claimTrail{line: t.names.ref(strings.TrimPrefix(env.Stream, budget.Stream(""))), gen: t.gen}
		t.claims.Set(id, c)
	}
	c.entries = append(c.entries, t.names.record(env, names))
	return nil
}

// claim returns claim id's trail for Apply to change: when a frozen
// image may share it, a copy put in its place. The copy shares the
// lists, which only grow, so the image still sees them as they were.
func (t *Trail) claim(id string) (*claimTrail, bool) {
	c, ok := t.claims.Get(id)
	if !ok || c.gen == t.gen {
		return c, ok
	}
	cp := *c
	cp.gen = t.gen
	t.claims.Set(id, &cp)
	return &cp, true
}

// ClaimTrail returns every event of claim id's stream and every budget-line
// movement naming it, in log order.
func (t *Trail) ClaimTrail(id string) ([]TrailEntry, bool) {
	c, ok := t.claims.Get(id)
	if !ok {
		return nil, false
	}
	out := make([]TrailEntry, len(c.entries))
	for i := range c.entries {
		out[i] = t.names.entry(&c.entries[i])
	}
	return out, true
}

// ByActor returns what actor did, in log order.
func (t *Trail) ByActor(actor string) []Action {
	out := []Action{}
	if r, ok := t.names.ids[actor]; ok && actor != "" {
		for _, a := range t.actors[r] {
			out = append(out, Action{Position: a.position, Stream: t.names.str(a.stream), Type: t.names.str(a.typ)})
		}
	}
	return out
}

// Allocations returns the fund's allocations to budget line id, in log
// order.
func (t *Trail) Allocations(line string) []Allocation {
	out := []Allocation{}
	for _, a := range t.lines[line] {
		out = append(out, Allocation{Entry: t.names.entry(&a.rec), AllocationID: a.allocationID, FundID: a.fundID, Amount: a.amount})
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
	c, ok := t.claims.Get(id)
	if !ok {
		return PaymentTrace{}, false
	}
	typeOf := func(r *trailRec) string { return t.names.str(r.typ) }
	sub := slices.IndexFunc(c.entries, func(r trailRec) bool { return typeOf(&r) == (claim.Submitted{}).EventType() })
	if sub < 0 {
		return PaymentTrace{}, false
	}
	line := t.names.str(c.line)
	tr := PaymentTrace{
		ClaimID: id, Submission: t.names.entry(&c.entries[sub]), CheckPolicy: t.names.str(c.checkPolicy),
		Approvals: make([]Approval, len(c.approvals)), Payments: []TrailEntry{}, BudgetLineID: line,
		Allocations: t.Allocations(line),
	}
	for i, a := range c.approvals {
		tr.Approvals[i] = Approval{Entry: t.names.entry(&c.entries[a.entry]), Round: a.round, Actor: t.names.str(a.actor),
			Role: t.names.str(a.role)}
	}
	for i := range c.entries {
		switch typ := typeOf(&c.entries[i]); {
		case typ == (claim.Checked{}).EventType():
			tr.Check = t.names.entry(&c.entries[i])
		case slices.Contains(paymentTypes, typ):
			tr.Payments = append(tr.Payments, t.names.entry(&c.entries[i]))
		}
	}
	if len(tr.Payments) == 0 {
		return PaymentTrace{}, false
	}
	return tr, true
}
