package projections

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/tidwall/btree"

	"github.com/haixi-hrss/fundledger/domain"
	"github.com/haixi-hrss/fundledger/domain/budget"
	"github.com/haixi-hrss/fundledger/domain/calendar"
	"github.com/haixi-hrss/fundledger/domain/claim"
	"github.com/haixi-hrss/fundledger/domain/employer"
	"github.com/haixi-hrss/fundledger/domain/factor"
	"github.com/haixi-hrss/fundledger/domain/money"
	"github.com/haixi-hrss/fundledger/domain/outcome/hire"
	"github.com/haixi-hrss/fundledger/domain/outcome/indicator"
	"github.com/haixi-hrss/fundledger/domain/outcome/target"
	"github.com/haixi-hrss/fundledger/domain/outcome/trainee"
	"github.com/haixi-hrss/fundledger/domain/programme"
	"github.com/haixi-hrss/fundledger/domain/region"
	"github.com/haixi-hrss/fundledger/eventstore"
)

// allKey stands for "every programme" or "every county" in a cell's key
// and in a row.
const allKey = "all"

// Performance is the evaluators' read model (绩效评价): per programme ×
// county × period (month, quarter, year) the money allocated, reserved,
// released, spent and recovered, the people and employers paid, jobs
// retained by stabilization-refund recipients, subsidised hires still
// insured at +3/+6/+12 months, trainees placed, the cost of each outcome,
// and the counties' indicators against their targets. It also holds the
// factor-method weights, to suggest next year's allocation.
//
// It holds no personal data and no identifiers (design invariant 12):
// people and employers are kept only as 64-bit digests (the first 16 hex
// digits of SHA-256 over the person's keyed reference or the credit
// code), enough to count distinct beneficiaries and to join a refund to
// the employer's headcounts; claim, hire, trainee and budget line IDs,
// which are free text a clerk may have filled with anything, likewise.
// Its answers are counts and money.
//
// Attribution, decided here and documented for the evaluators:
//   - Money is counted under its budget line's programme and county, in
//     the month of the movement's business date (its At, in Asia/Shanghai).
//   - A beneficiary counts as paid in a period when money was spent on one
//     of its claims in that period.
//   - A hire counts in the month of its hiring date; each +3/+6/+12 finding
//     in the month of its as-of date; both under the programme and county
//     of the claim that paid for the hire, or, until that claim is seen,
//     the employer's registered county and no programme.
//   - A trainee counts in the month of certification (a cohort), with
//     its placement, under the programme and county its certification
//     names. A certification recorded before certifications named them
//     counts under vocational training in the prefecture (632800) until
//     a placement moves it to the placing employer's county.
//
// Every row is precomputed in cells keyed by programme, county and period,
// including the totals over every programme and every county, so a query
// reads a fixed number of cells and never scans the claims. Jobs retained,
// which a late headcount report changes, are tallied per cell and moved by
// each report of a recipient (performance_retention.go). It is not safe
// for concurrent use; while a Runner feeds it, query it inside Runner.Read.
//
// It is a Freezer: the containers that grow with the log are copy-on-write,
// so a save takes an image of the model in constant time and writes it
// while the model goes on (performance_freeze.go).
type Performance struct {
	s perfState
	// cellsOf memoises perfCells and the cells: a million-event log
	// touches cells under a few hundred programme × county × month
	// combinations, and building twelve keys for each event cost more
	// than folding it.
	cellsOf map[perfCellsAt]*perfCellGroup
	// retention holds, by cell key, the jobs retained by the cell's
	// refund recipients; recipientOf lists, by employer digest, the
	// tallies it counts in; measures is report's reused scratch. They are
	// counted once counted is set: on loading, or by the first query
	// after a reset (serialised by count, as queries run concurrently),
	// and kept by Apply from then on. A rebuild so counts them once at
	// the end rather than event by event, where keeping them cost about
	// half of folding the headcount reports.
	retention   map[string]*perfRetention
	recipientOf map[string][]perfRecipientOf
	measures    []perfMeasure
	counted     atomic.Bool
	count       sync.Mutex
}

// perfCellsAt is what perfCells depends on.
type perfCellsAt struct {
	prog, county string
	year, month  int
}

// perfCellGroup is the cells an event counts in: their keys (perfCells)
// and the cells, writable in generation gen of the cells' map, so a
// Freeze makes them stale. (A Reset drops every group.)
type perfCellGroup struct {
	keys  []string
	cells []*perfCell
	gen   uint64
}

// perfState is the whole model, as it is persisted. The containers that
// grow with the log are copy-on-write, so that Freeze hands a save an image
// of them in constant time (performance_freeze.go); the small ones (a
// budget line, an indicator or a year each) are copied by Freeze.
type perfState struct {
	Lines map[string]perfLine
	// Claims are replaced whole, never changed: they need no clone.
	Claims    *cowMap[perfClaim]
	Cells     *cowMap[perfCell]
	Employers *cowMap[perfEmployer]
	Hires     *cowMap[perfHire]
	// Waiting lists, by claim key, the hires recorded before their
	// claim; a list only grows until it is deleted.
	Waiting  *btree.Map[string, []string]
	Trainees *cowMap[perfTrainee]
	Values   map[string]map[string]int
	Targets  map[string]int
	Weights  map[string]factor.Weights
}

// perfLine is what the model needs of a budget line.
type perfLine struct {
	Programme programme.Code `json:"programme"`
	County    region.Code    `json:"county"`
}

// perfClaim is what the model needs of a claim: whom it pays, as a digest.
type perfClaim struct {
	Programme programme.Code `json:"programme"`
	County    region.Code    `json:"county"`
	Kind      string         `json:"kind"`
	Who       string         `json:"who"`
}

// perfCell holds one programme × county × period's figures. Money is
// what moved within the period.
type perfCell struct {
	Allocated money.Amount `json:"allocated"`
	Reserved  money.Amount `json:"reserved"`
	Released  money.Amount `json:"released"`
	Spent     money.Amount `json:"spent"`
	Recovered money.Amount `json:"recovered"`
	// People, Employers and Recipients (of stabilization refunds) are
	// sets of digests. A copy of the cell shares them (see perfSet).
	People     perfSet `json:"people"`
	Employers  perfSet `json:"employers"`
	Recipients perfSet `json:"recipients"`
	Hires      int     `json:"hires,omitempty"`
	// Checked and Insured count the +3, +6 and +12 findings.
	Checked   [3]int `json:"checked"`
	Insured   [3]int `json:"insured"`
	Certified int    `json:"certified,omitempty"`
	Within    int    `json:"within,omitempty"`
	Late      int    `json:"late,omitempty"`
}

// NewPerformance returns an empty model.
func NewPerformance() *Performance {
	p := &Performance{}
	p.Reset()
	return p
}

// Name implements Projection.
func (p *Performance) Name() string { return "performance" }

// Reset implements Projection.
func (p *Performance) Reset() {
	p.cellsOf = map[perfCellsAt]*perfCellGroup{}
	p.retention, p.recipientOf = nil, nil
	p.counted.Store(false)
	// New containers, never the old ones emptied: an image may hold them.
	p.s = perfState{
		Lines: map[string]perfLine{}, Claims: newCowMap[perfClaim](nil), Cells: newCowMap(clonePerfCell),
		Employers: newCowMap(clonePerfEmployer), Hires: newCowMap(clonePerfHire), Waiting: new(btree.Map[string, []string]),
		Trainees: newCowMap(clonePerfTrainee), Values: map[string]map[string]int{}, Targets: map[string]int{},
		Weights: map[string]factor.Weights{},
	}
}

var perfTypes = map[string]bool{
	"BudgetLineOpened": true, "BudgetAllocated": true, "BudgetDeallocated": true, "FundsReserved": true,
	"FundsSpent": true, "FundsReleased": true, "FundsRecovered": true, "ClaimSubmitted": true,
	"EmployerRegistered": true, "EmployerMonthReported": true, "HireRecorded": true, "HireInsuredStatusRecorded": true,
	"TraineeCertified": true, "TraineePlaced": true, "IndicatorRecorded": true, "TargetSet": true,
	"FactorWeightsPublished": true,
}

// Interest implements Selective: the model reads the payloads of the
// types it folds and nothing else.
func (p *Performance) Interest(eventType string) Interest {
	if perfTypes[eventType] {
		return Payload
	}
	return Ignore
}

// perfDigest is the model's stand-in for an identifier: 16 hex digits of
// SHA-256 over kind and value.
func perfDigest(kind, value string) string {
	sum := sha256.Sum256([]byte(kind + "\x00" + value))
	return hex.EncodeToString(sum[:8])
}

// streamKey is the digest of the ID in env's stream name after prefix:
// IDs are free text a clerk chose, so the model keeps none of them.
func streamKey(env *eventstore.Event, prefix string) string {
	return perfDigest(prefix, strings.TrimPrefix(env.Stream, prefix))
}

// perfDate is an event's business date: its At in Asia/Shanghai, or when
// the store recorded it if the event carries no time.
func perfDate(at time.Time, env *eventstore.Event) calendar.Date {
	if at.IsZero() {
		at = env.RecordedAt
	}
	return calendar.FromTime(at)
}

// Apply implements Projection.
func (p *Performance) Apply(ev domain.Event, env *eventstore.Event) error {
	switch e := ev.(type) {
	case *budget.LineOpened:
		p.s.Lines[streamKey(env, budget.Stream(""))] = perfLine{Programme: e.Programme, County: e.Region}
	case *budget.Allocated:
		return p.money(env, e.At, func(c *perfCell) { c.Allocated = c.Allocated.Add(e.Amount) })
	case *budget.Deallocated:
		return p.money(env, e.At, func(c *perfCell) { c.Allocated = c.Allocated.Sub(e.Amount) })
	case *budget.FundsReserved:
		return p.money(env, e.At, func(c *perfCell) { c.Reserved = c.Reserved.Add(e.Amount) })
	case *budget.FundsReleased:
		return p.money(env, e.At, func(c *perfCell) { c.Released = c.Released.Add(e.Amount) })
	case *budget.FundsRecovered:
		return p.money(env, e.At, func(c *perfCell) { c.Recovered = c.Recovered.Add(e.Amount) })
	case *budget.FundsSpent:
		return p.spent(e, env)
	case *claim.Submitted:
		p.claimSubmitted(e)
	case *employer.Registered:
		p.employer(env).County = e.Region
	case *employer.MonthReported:
		d, emp := p.employerOf(env)
		p.report(d, emp, e.Month, e.InsuredHeadcount)
	case *hire.Recorded:
		p.hireRecorded(e, env)
	case *hire.InsuredStatusRecorded:
		return p.hireFinding(e, env)
	case *trainee.Certified:
		p.traineeCertified(e, env)
	case *trainee.Placed:
		return p.traineePlaced(e, env)
	case *indicator.Recorded:
		key := indicatorKey(e.Region, int(e.Year), string(e.Indicator))
		if p.s.Values[key] == nil {
			p.s.Values[key] = map[string]int{}
		}
		p.s.Values[key][e.Month] = int(e.Value)
	case *target.TargetSet:
		p.s.Targets[indicatorKey(e.Region, int(e.Year), string(e.Indicator))] = int(e.Value)
	case *factor.WeightsPublished:
		p.s.Weights[fmt.Sprint(int(e.Year))] = e.Weights
	}
	return nil
}

func indicatorKey(r region.Code, year int, ind string) string {
	return fmt.Sprintf("%s|%d|%s", r, year, ind)
}

func cellKey(prog, county, per string) string { return prog + "|" + county + "|" + per }

// perfCells returns the keys of the cells an event of programme prog in
// county on date d counts in: its own and the totals over every
// programme and every county, for its month, quarter and year.
func perfCells(prog, county string, d calendar.Date) []string {
	keys := make([]string, 0, 12)
	for _, per := range perfPeriodsOf(d) {
		for _, pr := range []string{prog, allKey} {
			for _, c := range []string{county, allKey} {
				keys = append(keys, cellKey(pr, c, per))
			}
		}
	}
	return keys
}

// cellsAt returns the group of cells an event of programme prog in
// county on date d counts in, for Apply to change, creating them: the
// same cells for every event until the next Freeze, so an event looks up
// none of its twelve cells.
func (p *Performance) cellsAt(prog, county string, d calendar.Date) *perfCellGroup {
	at := perfCellsAt{prog: prog, county: county, year: d.Year(), month: int(d.Month())}
	g, ok := p.cellsOf[at]
	if !ok {
		g = &perfCellGroup{keys: perfCells(prog, county, d)}
		p.cellsOf[at] = g
	}
	if g.cells == nil || g.gen != p.s.Cells.gen {
		g.cells = g.cells[:0]
		for _, k := range g.keys {
			g.cells = append(g.cells, p.cellAt(k))
		}
		g.gen = p.s.Cells.gen
	}
	return g
}

// cellAt returns the cell with key for Apply to change, creating it.
func (p *Performance) cellAt(k string) *perfCell {
	c, ok := p.s.Cells.writable(k)
	if !ok {
		c = &perfCell{}
		p.s.Cells.set(k, c)
	}
	return c
}

// touch applies change to every cell an event counts in.
func (p *Performance) touch(prog, county string, d calendar.Date, change func(*perfCell)) {
	for _, c := range p.cellsAt(prog, county, d).cells {
		change(c)
	}
}

// perfEnds returns the perfMonthKey of the last month of the month,
// quarter and year d falls in, in perfPeriodsOf's order.
func perfEnds(d calendar.Date) [3]int {
	y, m := d.Year(), int(d.Month())
	return [3]int{12*y + m, 12*y + 3*((m+2)/3), 12*y + 12}
}

// line returns the budget line of a budget event's stream.
func (p *Performance) line(env *eventstore.Event) (perfLine, error) {
	l, ok := p.s.Lines[streamKey(env, budget.Stream(""))]
	if !ok {
		return perfLine{}, fmt.Errorf("%s in %s: the budget line was never opened", env.Type, env.Stream)
	}
	return l, nil
}

func (p *Performance) money(env *eventstore.Event, at time.Time, change func(*perfCell)) error {
	l, err := p.line(env)
	if err != nil {
		return err
	}
	p.touch(string(l.Programme), string(l.County), perfDate(at, env), change)
	return nil
}

// spent counts the money and the claim's beneficiary as paid.
func (p *Performance) spent(e *budget.FundsSpent, env *eventstore.Event) error {
	l, err := p.line(env)
	if err != nil {
		return err
	}
	cl, known := p.s.Claims.get(perfDigest("claim", e.ClaimID))
	d := perfDate(e.At, env)
	ends := perfEnds(d)
	var who perfMember
	if known {
		who = memberOf(cl.Who)
	}
	// perfCells lists four cells per period, month first.
	g := p.cellsAt(string(l.Programme), string(l.County), d)
	for i, c := range g.cells {
		c.Spent = c.Spent.Add(e.Amount)
		if !known {
			continue
		}
		switch cl.Kind {
		case claim.Person:
			c.People.add(who)
		case claim.Employer:
			c.Employers.add(who)
			if cl.Programme == programme.Stabilization && c.Recipients.add(who) {
				p.addRecipient(cl.Who, g.keys[i], ends[i/4])
			}
		}
	}
	return nil
}

// claimSubmitted keeps whom the claim pays, as a digest, and counts the
// hires that were waiting for it under its programme and county.
func (p *Performance) claimSubmitted(e *claim.Submitted) {
	who := e.Beneficiary.Ref
	if e.Beneficiary.Kind != claim.Person {
		who = perfDigest("unit", who)
	} else {
		who = perfDigest("person", who)
	}
	key := perfDigest("claim", e.ClaimID)
	p.s.Claims.set(key, &perfClaim{Programme: e.Programme, County: e.Region, Kind: e.Beneficiary.Kind, Who: who})
	waiting, _ := p.s.Waiting.Get(key)
	for _, id := range waiting {
		if h, ok := p.s.Hires.writable(id); ok {
			p.hire(h, -1)
			h.Programme, h.County = string(e.Programme), string(e.Region)
			p.hire(h, 1)
		}
	}
	p.s.Waiting.Delete(key)
}
