package projections_test

import (
	"fmt"
	"math/rand/v2"
	"runtime"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/haixi-hrss/fundledger/domain"
	"github.com/haixi-hrss/fundledger/domain/claim"
	"github.com/haixi-hrss/fundledger/domain/programme"
	"github.com/haixi-hrss/fundledger/domain/region"
	"github.com/haixi-hrss/fundledger/domain/role"
	"github.com/haixi-hrss/fundledger/eventstore"
	"github.com/haixi-hrss/fundledger/projections"
)

// benchClaims is the size of the benchmarks' queue.
const benchClaims = 200_000

// benchEvent is one event of a synthetic claim's lifecycle.
type benchEvent struct {
	id string
	ev domain.Event
	at time.Time
}

// queueSim generates claims as the officers' queue sees them over three
// years: 6 programmes and 7 counties in uneven shares, employers of very
// different sizes, people for the personal subsidies, and the stage each
// claim has reached: most paid, some rejected or cancelled, and a tenth
// waiting at each step, with a few two-approver claims half approved.
type queueSim struct {
	rng *rand.Rand
	n   int
}

var (
	benchProgrammeShare = []int{30, 25, 15, 15, 10, 5} // simProgrammes
	benchCountyShare    = []int{45, 20, 8, 8, 7, 6, 6} // simCounties
)

func pick[T any](rng *rand.Rand, vs []T, share []int) T {
	n := rng.IntN(100)
	for i, s := range share {
		if n < s {
			return vs[i]
		}
		n -= s
	}
	return vs[len(vs)-1]
}

func benchClerk(c region.Code) string           { return "clerk-" + string(c) }
func benchApprover(c region.Code, n int) string { return fmt.Sprintf("approver-%s-%d", c, n) }

// claim returns the next claim's events, in order, recorded from about
// i/benchClaims of three years on.
func (q *queueSim) claim() []benchEvent {
	id := fmt.Sprintf("claim-%07d", q.n)
	start := time.Date(2023, 1, 1, 8, 0, 0, 0, time.UTC).Add(time.Duration(q.n) * (3 * 365 * 24 * time.Hour / benchClaims))
	q.n++
	rng := q.rng
	p, county := pick(rng, simProgrammes, benchProgrammeShare), pick(rng, simCounties, benchCountyShare)
	who := claim.Beneficiary{Kind: claim.Employer, Ref: fmt.Sprintf("91632801MA%07dX", int(20_000*rng.Float64()*rng.Float64()))}
	if p == programme.SkillUpgrade || p == programme.StartUp {
		who = claim.Beneficiary{Kind: claim.Person, Ref: fmt.Sprintf("%064x", rng.Uint64())}
	}
	at := start.Add(time.Duration(rng.IntN(3600)) * time.Second)
	out := []benchEvent{{id, &claim.Submitted{ClaimID: id, Programme: p, Beneficiary: who, Region: county, BudgetLineID: "line",
		By: claim.By{Actor: benchClerk(county), Role: role.Clerk}}, at}}
	add := func(ev domain.Event) {
		at = at.Add(time.Duration(1+rng.IntN(72)) * time.Hour)
		out = append(out, benchEvent{id, ev, at})
	}
	// The last step the claim reaches: 0 submitted ... 7 paid.
	stage := 7
	switch n := rng.IntN(100); {
	case n < 8:
		add(simEvent(rng, 0, benchClerk(county)))
		add(&claim.Rejected{Reason: "ineligible"})
		return out
	case n < 10:
		stage = -1 // cancelled after a failed payment
	case n < 30:
		stage = n % 7
	}
	if stage == 0 {
		return out
	}
	add(simEvent(rng, 0, benchClerk(county)))
	if stage == 1 {
		if rng.IntN(4) == 0 {
			add(&claim.ApprovalRecorded{Reason: "ok", By: claim.By{Actor: benchApprover(county, 1)}})
		}
		return out
	}
	add(&claim.ApprovalRecorded{Reason: "ok", By: claim.By{Actor: benchApprover(county, 1+rng.IntN(2))}})
	add(&claim.Approved{Amount: simAmount})
	if stage == 2 {
		return out
	}
	add(&claim.DisclosureStarted{Masked: "9163**********001X"})
	if stage == 3 {
		return out
	}
	add(&claim.Disclosed{})
	if stage == 4 {
		return out
	}
	add(&claim.PaymentReleased{Instalment: 1, PaymentID: "p1"})
	if stage == 5 {
		return out
	}
	if stage < 0 {
		add(&claim.PaymentFailed{Instalment: 1, PaymentID: "p1"})
		add(&claim.Cancelled{Reason: "account closed"})
		return out
	}
	add(&claim.InstalmentPaid{Instalment: 1, Amount: simAmount})
	if stage == 6 {
		add(&claim.PaymentReleased{Instalment: 2, PaymentID: "p2"})
		return out
	}
	add(&claim.PaymentReleased{Instalment: 2, PaymentID: "p2"})
	add(&claim.InstalmentPaid{Instalment: 2, Amount: simAmount})
	return out
}

// benchQueue is the 200,000-claim queue, generated once per process and
// never indexed: each benchmark restores its own copy from the snapshot.
var benchQueue = sync.OnceValues(func() ([]byte, error) {
	q := &queueSim{rng: rand.New(rand.NewPCG(2025, 10))}
	c := projections.NewClaims()
	for range benchClaims {
		for _, e := range q.claim() {
			if err := c.Apply(e.ev, &eventstore.Event{Stream: claim.Stream(e.id), Type: e.ev.EventType(), RecordedAt: e.at}); err != nil {
				return nil, err
			}
		}
	}
	return c.MarshalState()
})

func restoredQueue(b *testing.B) *projections.Claims {
	b.Helper()
	state, err := benchQueue()
	if err != nil {
		b.Fatal(err)
	}
	c := projections.NewClaims()
	if err := c.UnmarshalState(state); err != nil {
		b.Fatal(err)
	}
	return c
}

// latencies times each call of op and reports the p50 and p99.
func latencies(b *testing.B, op func(i int)) {
	b.Helper()
	times := make([]time.Duration, 0, b.N)
	runtime.GC() // so no collection of the setup's garbage is charged to the queries
	b.ResetTimer()
	for i := range b.N {
		start := time.Now()
		op(i)
		times = append(times, time.Since(start))
	}
	b.StopTimer()
	slices.Sort(times)
	b.ReportMetric(float64(times[len(times)/2].Microseconds()), "p50-µs")
	b.ReportMetric(float64(times[len(times)*99/100].Microseconds()), "p99-µs")
}

// BenchmarkClaimsFindPage times a page of 50 of the claim list under the
// filters officers use, from the start and from a cursor a random way
// into the queue, on 200,000 claims.
func BenchmarkClaimsFindPage(b *testing.B) {
	c := restoredQueue(b)
	c.FindPage(projections.ClaimFilter{}, projections.ClaimCursor{}, 1) // build the indexes
	rng := rand.New(rand.NewPCG(1, 1))
	employers := []string{}
	for _, r := range c.FindPage(projections.ClaimFilter{}, projections.ClaimCursor{}, 5000).Rows {
		if r.Employer != "" {
			employers = append(employers, r.Employer)
		}
	}
	filters := map[string]func() projections.ClaimFilter{
		"status+county": func() projections.ClaimFilter {
			return projections.ClaimFilter{Status: simStatuses[rng.IntN(len(simStatuses))], County: pick(rng, simCounties, benchCountyShare)}
		},
		"programme+county": func() projections.ClaimFilter {
			return projections.ClaimFilter{Programme: pick(rng, simProgrammes, benchProgrammeShare), County: pick(rng, simCounties, benchCountyShare)}
		},
		"status+programme+county": func() projections.ClaimFilter {
			return projections.ClaimFilter{Status: simStatuses[rng.IntN(len(simStatuses))], Programme: pick(rng, simProgrammes, benchProgrammeShare),
				County: pick(rng, simCounties, benchCountyShare)}
		},
		"status": func() projections.ClaimFilter {
			return projections.ClaimFilter{Status: simStatuses[rng.IntN(len(simStatuses))]}
		},
		"all": func() projections.ClaimFilter { return projections.ClaimFilter{} },
		"employer": func() projections.ClaimFilter {
			return projections.ClaimFilter{Employer: employers[rng.IntN(len(employers))]}
		},
	}
	cursor := func(deep bool) projections.ClaimCursor {
		if !deep {
			return projections.ClaimCursor{}
		}
		return projections.ClaimCursor{At: time.Date(2023, 1, 1, 0, 0, 0, 0, time.UTC).Add(time.Duration(rng.IntN(3*365*24)) * time.Hour)}
	}
	for _, name := range []string{"status+county", "programme+county", "status+programme+county", "status", "all", "employer"} {
		for _, deep := range []bool{false, true} {
			b.Run(fmt.Sprintf("%s/deep=%v", name, deep), func(b *testing.B) {
				latencies(b, func(int) { c.FindPage(filters[name](), cursor(deep), 50) })
			})
		}
	}
}

// BenchmarkClaimsNextWorkPage times a page of 50 of each role's next work
// on 200,000 claims, for the county officers of the generated queue.
func BenchmarkClaimsNextWorkPage(b *testing.B) {
	c := restoredQueue(b)
	c.FindPage(projections.ClaimFilter{}, projections.ClaimCursor{}, 1)
	rng := rand.New(rand.NewPCG(2, 2))
	for _, r := range []string{role.Clerk, role.Approver, role.Treasurer} {
		b.Run(r, func(b *testing.B) {
			latencies(b, func(int) {
				county := simCounties[rng.IntN(len(simCounties))]
				actor := benchClerk(county)
				if r == role.Approver {
					actor = benchApprover(county, 1+rng.IntN(2))
				}
				c.NextWorkPage(r, actor, projections.ClaimCursor{}, 50)
			})
		})
	}
}

// BenchmarkClaimsFindBruteForce times what a page cost before the
// indexes: every row built, filtered and sorted, then cut, on the same
// 200,000 claims, for comparison with BenchmarkClaimsFindPage.
func BenchmarkClaimsFindBruteForce(b *testing.B) {
	c := restoredQueue(b)
	var ids []string
	for _, r := range c.FindPage(projections.ClaimFilter{}, projections.ClaimCursor{}, -1).Rows {
		ids = append(ids, r.ID)
	}
	rng := rand.New(rand.NewPCG(3, 3))
	latencies(b, func(int) {
		f := projections.ClaimFilter{Status: simStatuses[rng.IntN(len(simStatuses))], County: pick(rng, simCounties, benchCountyShare)}
		rows := rowsAfter(c, ids, projections.ClaimCursor{}, filterSel(f))
		_ = rows[:min(50, len(rows))]
	})
}

// BenchmarkClaimsIndex measures what the indexes cost: the time to build
// them on the first query after a restore of 200,000 claims, and the heap
// per claim of the restored state and of the indexes.
func BenchmarkClaimsIndex(b *testing.B) {
	for range b.N {
		b.StopTimer()
		before := heapInUse()
		c := restoredQueue(b)
		restored := heapInUse() // collects the restore's garbage outside the timing
		b.StartTimer()
		c.FindPage(projections.ClaimFilter{}, projections.ClaimCursor{}, 1)
		b.StopTimer()
		indexed := heapInUse()
		b.ReportMetric(float64(restored-before)/benchClaims, "state-B/claim")
		b.ReportMetric(float64(indexed-restored)/benchClaims, "index-B/claim")
		runtime.KeepAlive(c)
		b.StartTimer()
	}
}

func heapInUse() int64 {
	runtime.GC()
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return int64(m.HeapAlloc)
}

// BenchmarkClaimsApply times Apply on a 200,000-claim queue, over the
// events of new claims' lifecycles: without indexes, as in a rebuild or
// a catch-up before the first query, and with them, as in service.
func BenchmarkClaimsApply(b *testing.B) {
	for _, indexed := range []bool{false, true} {
		b.Run(fmt.Sprintf("indexed=%v", indexed), func(b *testing.B) {
			c := restoredQueue(b)
			if indexed {
				c.FindPage(projections.ClaimFilter{}, projections.ClaimCursor{}, 1)
			}
			q := &queueSim{rng: rand.New(rand.NewPCG(4, 4)), n: benchClaims}
			var evs []benchEvent
			for len(evs) < b.N {
				evs = append(evs, q.claim()...)
			}
			s := &claimSim{c: c}
			runtime.GC()
			b.ResetTimer()
			for _, e := range evs[:b.N] {
				s.apply(b, e.id, e.ev, e.at)
			}
		})
	}
}
