package projections

import (
	"strings"

	"github.com/haixi-hrss/fundledger/domain/claim"
	"github.com/haixi-hrss/fundledger/domain/eligibility"
	"github.com/haixi-hrss/fundledger/domain/money"
	"github.com/shopspring/decimal"
)

// Each collection marks every object the read models hold, and in a
// running server the mark phases are where most of the slowest requests
// wait (docs/performance.md, API round 8). Rebuilt from the log, a
// 38,500-claim ledger's claims model took 89 ms to mark against 19 ms
// restored from its snapshot: built event by event, every decoded amount
// is a big.Int of its own and every check's detail a string of its own,
// scattered over the heap between the requests' garbage. So Apply lays
// out these two as a restore does: amounts shared by value, an
// assessment's details in one string. That took all the models' marking
// from 207 to about 170 ms; the rest of the gap is the records' own
// allocations, one by one.

// amountTable shares money.Amount values by their value in fen: one
// big.Int per distinct amount instead of one per occurrence. Amounts
// never change in place, so sharing is safe. A shared amount has
// exponent -2 whatever the one it replaces had (money.Parse("1500") has
// 0): it prints, marshals, compares (Cmp, Equal) and saves as that one,
// but is not == to it, which nothing in the read models asks.
type amountTable struct {
	byFen map[int64]money.Amount
	// limit bounds the table, 0 meaning no bound (the snapshot reader's
	// table lives as long as one restore). Past it, an amount not in the
	// table is left as it came: stabilization refunds, for one, rarely
	// repeat, and a copy of each would only add garbage.
	limit int
}

// of returns the shared amount of fen, which must be below maxFen, and
// whether it is in the table (it is always there without a limit).
func (t *amountTable) of(fen int64) (money.Amount, bool) {
	if a, ok := t.byFen[fen]; ok {
		return a, true
	}
	if t.limit > 0 && len(t.byFen) >= t.limit {
		return money.Amount{}, false
	}
	// What money.Parse makes of the amount's text: fen at two places.
	a := money.FromDecimal(decimal.New(fen, -2))
	if t.byFen == nil {
		t.byFen = make(map[int64]money.Amount)
	}
	t.byFen[fen] = a
	return a, true
}

// share replaces *a by the shared amount of its value, unless it is
// unchanged from was (shared already), not a whole number of fen, or
// not in a full table.
func (t *amountTable) share(a *money.Amount, was money.Amount) {
	if *a == was {
		return
	}
	if fen, ok := amountFen(*a); ok {
		if shared, ok := t.of(fen); ok {
			*a = shared
		}
	}
}

// claimsAmountLimit bounds the live claims model's amount table.
const claimsAmountLimit = 4096

// compact lays out what Evolve changed from was to s (see above). It
// writes only what Evolve made anew for s: the state's own fields, the
// instalments (Evolve copies them for every event) and an assessment set
// by this event, whose checks it copies before changing them (the
// decoded event, which other models also read, keeps its own).
func (c *Claims) compact(s, was *claim.State) {
	for _, f := range [...]struct{ now, before *money.Amount }{
		{&s.Approved, &was.Approved}, {&s.Payable, &was.Payable}, {&s.Paid, &was.Paid},
		{&s.Recovered, &was.Recovered}, {&s.Terms.TwoApproverThreshold, &was.Terms.TwoApproverThreshold},
	} {
		c.amounts.share(f.now, *f.before)
	}
	for i := range s.Instalments {
		var before money.Amount
		if i < len(was.Instalments) {
			before = was.Instalments[i].Amount
		}
		c.amounts.share(&s.Instalments[i].Amount, before)
	}
	if s.Assessment != nil && s.Assessment != was.Assessment {
		c.amounts.share(&s.Assessment.Amount, money.Amount{})
		s.Assessment.Checks = compactChecks(s.Assessment.Checks)
	}
}

// compactChecks returns a copy of checks whose details are cut from one
// string. The rules stay as they are: short names the codec shares.
func compactChecks(checks []eligibility.Check) []eligibility.Check {
	if len(checks) == 0 {
		return checks
	}
	n := 0
	for _, ch := range checks {
		n += len(ch.Detail)
	}
	var b strings.Builder
	b.Grow(n)
	for _, ch := range checks {
		b.WriteString(ch.Detail)
	}
	details := b.String()
	out := make([]eligibility.Check, len(checks))
	at := 0
	for i, ch := range checks {
		out[i] = eligibility.Check{Rule: ch.Rule, Passed: ch.Passed, Detail: details[at : at+len(ch.Detail)]}
		at += len(ch.Detail)
	}
	return out
}
