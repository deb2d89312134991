// Package process keeps track of the ledger's cross-stream processes that
// are not finished (design invariant 7): claims whose events call for
// budget movements their budget line has not made, or whose line holds
// money the claim does not account for. It tells a restarting server which
// claims to reconcile without reading every claim and every budget line.
package process

import (
	"encoding/json"
	"fmt"
	"slices"
	"strings"

	"github.com/haixi-hrss/fundledger/domain"
	"github.com/haixi-hrss/fundledger/domain/budget"
	"github.com/haixi-hrss/fundledger/domain/claim"
	"github.com/haixi-hrss/fundledger/domain/money"
	"github.com/haixi-hrss/fundledger/eventstore"
	"github.com/haixi-hrss/fundledger/projections"
)

// gap is what a claim's events say its budget line holds, spent and got
// back for it, minus what the line recorded: Pending is reserved and
// neither spent nor released. A claim whose processes are all finished
// has the zero gap.
type gap struct {
	Pending   money.Amount `json:"pending"`
	Spent     money.Amount `json:"spent"`
	Recovered money.Amount `json:"recovered"`
}

func (g gap) zero() bool {
	return g.Pending.IsZero() && g.Spent.IsZero() && g.Recovered.IsZero()
}

// Unfinished is the read model of claims whose budget steps are not all
// done: the claims ledger.Reconcile has to look at after a crash. It
// compares, per claim, the money the claim's own events move (an approval
// reserves its amount, an objection or cancellation releases what it
// names, a paid instalment is spent, a clawback is recovered, a rejection
// leaves nothing held) with the money its budget line moved for it, and
// keeps only the claims where they differ, so its size and the work of a
// restart follow the processes left half done, not the ledger's history.
//
// It finds every state the ledger's own steps can be cut off in: an
// approval reserved but not recorded (the line holds more), recorded but
// not reserved (less), an objection, cancellation or rejection whose
// release is missing, a payment not spent, a clawback not recovered.
// Money the line holds and later releases for a claim that a rejection
// closed while its approval was under way balances out, as it should.
// What it cannot see is two missing steps whose amounts cancel (an
// approval recorded without its reservation and the release of the same
// amount also missing); no step of the ledger produces the first, and the
// line then holds nothing for an unapproved claim anyway.
//
// Not safe for concurrent use; while a Runner feeds it, query it inside
// Runner.Read.
type Unfinished struct {
	gaps map[string]gap
}

// NewUnfinished returns an empty model.
func NewUnfinished() *Unfinished {
	u := &Unfinished{}
	u.Reset()
	return u
}

// Name implements projections.Projection.
func (u *Unfinished) Name() string { return "unfinished-processes" }

// Reset implements projections.Projection.
func (u *Unfinished) Reset() { u.gaps = map[string]gap{} }

// Claims returns the IDs of the claims with unfinished budget steps, in
// order.
func (u *Unfinished) Claims() []string {
	ids := make([]string, 0, len(u.gaps))
	for id := range u.gaps {
		ids = append(ids, id)
	}
	slices.Sort(ids)
	return ids
}

// Interest implements projections.Selective: the claim and budget events
// that move money.
func (u *Unfinished) Interest(eventType string) projections.Interest {
	switch eventType {
	case claim.Approved{}.EventType(), claim.ObjectionRaised{}.EventType(), claim.Cancelled{}.EventType(),
		claim.InstalmentPaid{}.EventType(), claim.ClawedBack{}.EventType(),
		budget.FundsReserved{}.EventType(), budget.FundsReleased{}.EventType(),
		budget.FundsSpent{}.EventType(), budget.FundsRecovered{}.EventType():
		return projections.Payload
	}
	return projections.Ignore
}

// Apply implements projections.Projection. Claim events name their claim
// through their stream, claim-<ID>; budget events through their ClaimID.
func (u *Unfinished) Apply(ev domain.Event, env *eventstore.Event) error {
	claimID := strings.TrimPrefix(env.Stream, claim.Stream(""))
	switch e := ev.(type) {
	case *claim.Approved:
		u.move(claimID, func(g *gap) { g.Pending = g.Pending.Add(e.Amount) })
	case *claim.ObjectionRaised:
		u.move(claimID, func(g *gap) { g.Pending = g.Pending.Sub(e.Release) })
	case *claim.Cancelled:
		u.move(claimID, func(g *gap) { g.Pending = g.Pending.Sub(e.Release) })
	case *claim.InstalmentPaid:
		u.move(claimID, func(g *gap) { g.Pending, g.Spent = g.Pending.Sub(e.Amount), g.Spent.Add(e.Amount) })
	case *claim.ClawedBack:
		u.move(claimID, func(g *gap) { g.Recovered = g.Recovered.Add(e.Amount) })
	case *budget.FundsReserved:
		u.move(e.ClaimID, func(g *gap) { g.Pending = g.Pending.Sub(e.Amount) })
	case *budget.FundsReleased:
		u.move(e.ClaimID, func(g *gap) { g.Pending = g.Pending.Add(e.Amount) })
	case *budget.FundsSpent:
		u.move(e.ClaimID, func(g *gap) { g.Pending, g.Spent = g.Pending.Add(e.Amount), g.Spent.Sub(e.Amount) })
	case *budget.FundsRecovered:
		u.move(e.ClaimID, func(g *gap) { g.Recovered = g.Recovered.Sub(e.Amount) })
	}
	return nil
}

// move changes claim id's gap, keeping only non-zero gaps. A rejection
// needs no case of its own: a claim under review holds nothing by its own
// account, so whatever its line still holds for it is a gap already.
func (u *Unfinished) move(id string, change func(*gap)) {
	if id == "" {
		return
	}
	g := u.gaps[id]
	change(&g)
	if g.zero() {
		delete(u.gaps, id)
		return
	}
	u.gaps[id] = g
}

// unfinishedClaim is one claim's gap in the persisted form.
type unfinishedClaim struct {
	ID string `json:"id"`
	gap
}

// MarshalState implements projections.Projection: the gaps by claim ID,
// so equal models marshal to equal bytes.
func (u *Unfinished) MarshalState() ([]byte, error) {
	out := make([]unfinishedClaim, 0, len(u.gaps))
	for _, id := range u.Claims() {
		out = append(out, unfinishedClaim{ID: id, gap: u.gaps[id]})
	}
	return json.Marshal(out)
}

// UnmarshalState implements projections.Projection.
func (u *Unfinished) UnmarshalState(data []byte) error {
	var in []unfinishedClaim
	if err := json.Unmarshal(data, &in); err != nil {
		return fmt.Errorf("unfinished processes: %w", err)
	}
	u.Reset()
	for _, c := range in {
		u.gaps[c.ID] = c.gap
	}
	return nil
}
