package invariant

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/haixi-hrss/fundledger/domain"
	"github.com/haixi-hrss/fundledger/domain/budget"
	"github.com/haixi-hrss/fundledger/domain/calendar"
	"github.com/haixi-hrss/fundledger/domain/claim"
	"github.com/haixi-hrss/fundledger/domain/fund"
	"github.com/haixi-hrss/fundledger/domain/money"
	"github.com/haixi-hrss/fundledger/domain/programme"
	"github.com/haixi-hrss/fundledger/domain/region"
	roles "github.com/haixi-hrss/fundledger/domain/role"
	"github.com/shopspring/decimal"
)

// source turns fuzz bytes into choices; when the bytes run out it yields
// zeros and the sequence ends.
type source struct {
	data []byte
	pos  int
}

func (s *source) done() bool { return s.pos >= len(s.data) }

func (s *source) byte() byte {
	if s.done() {
		return 0
	}
	b := s.data[s.pos]
	s.pos++
	return b
}

func (s *source) intn(n int) int {
	v := int(s.byte())<<8 | int(s.byte())
	return v % n
}

// fen returns an amount in [1, max] fen, max ≥ 1.
func (s *source) fen(max int64) int64 {
	v := int64(s.byte())<<24 | int64(s.byte())<<16 | int64(s.byte())<<8 | int64(s.byte())
	return 1 + v%max
}

func fen(n int64) money.Amount { return money.FromDecimal(decimal.New(n, -2)) }

// near picks an amount at or around a bound: exactly it, one fen over, a
// random amount below, or a random amount up to ten times it.
func (s *source) near(bound money.Amount) money.Amount {
	b := bound.Decimal().Shift(2).IntPart()
	switch s.byte() % 4 {
	case 0:
		if b > 0 {
			return bound
		}
		return fen(1)
	case 1:
		return bound.Add(fen(1))
	case 2:
		if b > 0 {
			return fen(s.fen(b))
		}
		return fen(s.fen(100))
	default:
		return fen(s.fen(10*b + 100))
	}
}

// lineSpec is one budget line of the simulated fund.
type lineSpec struct {
	id        string
	programme programme.Code
}

// pendingRevocation is a revocation the budget line made that the fund has
// not recorded yet.
type pendingRevocation struct {
	line int
	cmd  fund.RecordRevocation
}

// claimStep is a budget command a claim event caused.
type claimStep struct {
	line int
	cmd  budget.Command
}

// sim is the fund, its three budget lines and their claims, driven as the
// ledger service drives them.
type sim struct {
	t      testing.TB
	at     time.Time
	fund   *agg[fund.State, fund.Command]
	lines  []*agg[budget.State, budget.Command]
	specs  []lineSpec
	claims []*agg[claim.State, claim.Command]
	// claimLine is the index of each claim's budget line.
	claimLine []int
	// received is the model's own sum of accepted transfers.
	received money.Amount
	// allocations and revocations in flight between the two streams;
	// finished ones are kept to be repeated.
	pendingAlloc   []budget.RecordAllocation
	pendingRevoke  []pendingRevocation
	finishedAlloc  []budget.RecordAllocation
	finishedRevoke []fund.RecordRevocation
	// steps are the budget steps claims caused, kept to be repeated.
	steps  []claimStep
	paid   map[string]bool
	nextID int
	oplog  []string
}

const maxClaims = 12

func newSim(t testing.TB) *sim {
	x := &sim{t: t, at: time.Date(2025, 3, 3, 9, 0, 0, 0, time.UTC), paid: map[string]bool{}}
	x.fund = &agg[fund.State, fund.Command]{name: "fund", decide: fund.Decide, evolve: fund.Evolve, decode: fund.Decode}
	for _, p := range []programme.Code{programme.StartUp, programme.Absorption, programme.VocationalTraining} {
		id := budget.LineID("f1", p, region.Golmud, 2025)
		x.specs = append(x.specs, lineSpec{id: id, programme: p})
		x.lines = append(x.lines, &agg[budget.State, budget.Command]{name: "budget " + id, decide: budget.Decide, evolve: budget.Evolve, decode: budget.Decode})
	}
	x.fund.must(x, fund.Open{FundID: "f1", Name: "海西州就业补助资金", FiscalYear: 2025, Kind: programme.EmploymentSubsidy,
		Level: fund.Prefecture, Region: region.Haixi, Actor: "admin", Role: roles.Administrator, At: x.at})
	return x
}

func (x *sim) id(prefix string) string {
	x.nextID++
	return fmt.Sprintf("%s%d", prefix, x.nextID)
}

func (x *sim) today() calendar.Date { return calendar.FromTime(x.at) }

func (x *sim) logf(format string, args ...any) {
	x.oplog = append(x.oplog, fmt.Sprintf(format, args...))
}

func (x *sim) failf(format string, args ...any) {
	x.t.Helper()
	var b strings.Builder
	fmt.Fprintf(&b, format, args...)
	b.WriteString("\n--- last operations ---\n")
	start := max(0, len(x.oplog)-40)
	for i := start; i < len(x.oplog); i++ {
		fmt.Fprintf(&b, "%4d %s\n", i, x.oplog[i])
	}
	fmt.Fprintf(&b, "--- fund ---\n%s\n", canonicalString(x.fund.state))
	for _, l := range x.lines {
		fmt.Fprintf(&b, "--- %s ---\n%s\n", l.name, canonicalString(l.state))
	}
	x.t.Fatal(b.String())
}

func canonicalString(v any) string { return fmt.Sprintf("%+v", v) }

// observe watches every applied event of stream for the at-most-once
// rule: each instalment of each claim is paid once at most.
func (x *sim) observe(stream string, e domain.Event) {
	if p, ok := e.(*claim.InstalmentPaid); ok {
		key := fmt.Sprintf("%s#%d", stream, p.Instalment)
		if x.paid[key] {
			x.failf("%s: instalment %d paid twice", stream, p.Instalment)
		}
		x.paid[key] = true
	}
}
