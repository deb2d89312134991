package invariant

import (
	"github.com/haixi-hrss/fundledger/domain/claim"
	"github.com/haixi-hrss/fundledger/domain/money"
)

// checkInvariants re-asserts every money invariant across the fund, its
// budget lines and their claims.
func (x *sim) checkInvariants() {
	x.t.Helper()
	f := x.fund.state
	if !f.Received.Equal(x.received) {
		x.failf("fund received %s, the accepted transfers add up to %s", f.Received, x.received)
	}
	if f.Unallocated().IsNegative() {
		x.failf("fund allocated %s of %s received", f.Allocated, f.Received)
	}
	var linesTotal, held money.Amount
	for id, v := range f.Lines {
		if v.IsNegative() {
			x.failf("fund holds %s allocated to %s", v, id)
		}
		linesTotal = linesTotal.Add(v)
	}
	if !linesTotal.Equal(f.Allocated) {
		x.failf("fund allocated %s, its lines add up to %s", f.Allocated, linesTotal)
	}
	for i, l := range x.lines {
		x.checkLine(i)
		// Money in flight between the streams is still the fund's line's.
		want := l.state.Allocated
		for _, a := range x.pendingAlloc {
			if a.BudgetLineID == x.specs[i].id {
				want = want.Add(a.Amount)
			}
		}
		for _, r := range x.pendingRevoke {
			if r.line == i {
				want = want.Add(r.cmd.Amount)
			}
		}
		if got := f.Lines[x.specs[i].id]; !got.Equal(want) {
			x.failf("fund says line %d holds %s, the line and the processes in flight say %s", i, got, want)
		}
		s := l.state
		held = held.Add(s.Available()).Add(s.Reserved).Add(s.Spent).Sub(s.Recovered)
	}
	// Conservation: received = unallocated + allocated, and what is
	// allocated sits on a line as available, reserved or spent net of
	// recoveries, or is in flight between the fund and a line.
	if !f.Unallocated().Add(linesTotal).Equal(f.Received) {
		x.failf("received %s ≠ unallocated %s + allocated %s", f.Received, f.Unallocated(), linesTotal)
	}
	inflight := money.Amount{}
	for _, a := range x.pendingAlloc {
		inflight = inflight.Add(a.Amount)
	}
	for _, r := range x.pendingRevoke {
		inflight = inflight.Add(r.cmd.Amount)
	}
	if !held.Add(inflight).Equal(f.Allocated) {
		x.failf("lines hold %s and %s is in flight, the fund allocated %s", held, inflight, f.Allocated)
	}
	for c := range x.claims {
		x.checkClaim(c)
	}
}

// checkLine checks one budget line's balances against its claims' holds.
func (x *sim) checkLine(i int) {
	s := x.lines[i].state
	if !s.Opened {
		return
	}
	var pending, spent, recovered money.Amount
	for id, h := range s.Claims {
		if h.Pending.IsNegative() || h.Spent.IsNegative() || h.Recovered.IsNegative() || h.Released.IsNegative() {
			x.failf("line %d: claim %s has a negative figure: %+v", i, id, h)
		}
		if h.Recovered.GreaterThan(h.Spent) {
			x.failf("line %d: claim %s recovered %s of %s spent", i, id, h.Recovered, h.Spent)
		}
		pending, spent, recovered = pending.Add(h.Pending), spent.Add(h.Spent), recovered.Add(h.Recovered)
	}
	if !pending.Equal(s.Reserved) || !spent.Equal(s.Spent) || !recovered.Equal(s.Recovered) {
		x.failf("line %d: reserved/spent/recovered %s/%s/%s, its claims add up to %s/%s/%s", i, s.Reserved, s.Spent, s.Recovered, pending, spent, recovered)
	}
	for name, v := range map[string]money.Amount{"allocated": s.Allocated, "available": s.Available(), "reserved": s.Reserved, "spent": s.Spent} {
		if v.IsNegative() {
			x.failf("line %d: %s is negative (%s)", i, name, v)
		}
	}
	if !s.Available().Add(s.Reserved).Add(s.Spent).Sub(s.Recovered).Equal(s.Allocated) {
		x.failf("line %d: available + reserved + spent − recovered ≠ allocated %s", i, s.Allocated)
	}
}

// checkClaim checks a claim's own bounds and that its budget line holds
// exactly what the claim says it should.
func (x *sim) checkClaim(c int) {
	s := x.claims[c].state
	if s.Paid.GreaterThan(s.Payable) || s.Payable.GreaterThan(s.Approved) || s.Recovered.GreaterThan(s.Paid) {
		x.failf("claim %s: approved %s, payable %s, paid %s, recovered %s", s.ID, s.Approved, s.Payable, s.Paid, s.Recovered)
	}
	if s.Paid.IsNegative() || s.Recovered.IsNegative() {
		x.failf("claim %s: negative paid %s or recovered %s", s.ID, s.Paid, s.Recovered)
	}
	var settled money.Amount
	for _, in := range s.Instalments {
		if in.Status == claim.InstalmentSettled {
			settled = settled.Add(in.Amount)
		}
	}
	if !settled.Equal(s.Paid) {
		x.failf("claim %s: paid %s, settled instalments add up to %s", s.ID, s.Paid, settled)
	}
	h := x.lines[x.claimLine[c]].state.Claims[s.ID]
	var want money.Amount
	switch s.Status {
	case claim.StatusApproved, claim.StatusInDisclosure, claim.StatusDisclosed, claim.StatusPaid, claim.StatusCancelled:
		want = s.Outstanding()
	}
	if !h.Pending.Equal(want) || !h.Spent.Equal(s.Paid) || !h.Recovered.Equal(s.Recovered) {
		x.failf("claim %s (%s): line holds pending/spent/recovered %s/%s/%s, the claim says %s/%s/%s",
			s.ID, s.Status, h.Pending, h.Spent, h.Recovered, want, s.Paid, s.Recovered)
	}
}
