package projections

import (
	"fmt"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/haixi-hrss/fundledger/domain"
	"github.com/haixi-hrss/fundledger/domain/budget"
	"github.com/haixi-hrss/fundledger/domain/claim"
	"github.com/haixi-hrss/fundledger/domain/employer"
	"github.com/haixi-hrss/fundledger/domain/money"
	"github.com/haixi-hrss/fundledger/domain/programme"
	"github.com/haixi-hrss/fundledger/domain/region"
	"github.com/haixi-hrss/fundledger/eventstore"
)

// bruteRetained is the test's own reading of retained: a linear scan of
// the headcounts for the latest month at or before end, then for the
// latest at least twelve months before that one.
func bruteRetained(emp *perfEmployer, end int) (int, bool) {
	latest := func(upTo int) (perfMonth, bool) {
		var found perfMonth
		ok := false
		for _, m := range emp.Headcount {
			if perfMonthKey(m.Month) <= upTo {
				found, ok = m, true
			}
		}
		return found, ok
	}
	if emp == nil {
		return 0, false
	}
	now, ok := latest(end)
	if !ok {
		return 0, false
	}
	before, ok := latest(perfMonthKey(now.Month) - 12)
	if !ok {
		return 0, false
	}
	return min(now.Insured, before.Insured), true
}

// bruteRetention is the query as it was before the tallies: a loop over
// the refund recipients of the row's cell.
func bruteRetention(p *Performance, prog, county string, per perfPeriod) (jobs, unmeasured int) {
	c, ok := p.s.Cells.get(cellKey(prog, county, per.name))
	if !ok {
		return 0, 0
	}
	for d := range c.Recipients.index {
		emp, _ := p.s.Employers.get(d)
		if n, ok := bruteRetained(emp, perfMonthKey(per.end())); ok {
			jobs += n
		} else {
			unmeasured++
		}
	}
	return jobs, unmeasured
}

// retentionSeen counts what the comparisons met, so the test can tell
// that the histories exercised measured and unmeasured recipients.
type retentionSeen struct{ rows, jobs, unmeasured int }

// checkRetention compares every row and total of every month, quarter and
// year of 2024 and 2025 with the brute-force figures.
func checkRetention(t *testing.T, p *Performance, step string, seen *retentionSeen) {
	t.Helper()
	var periods []string
	for _, y := range []int{2024, 2025} {
		periods = append(periods, fmt.Sprint(y))
		for q := 1; q <= 4; q++ {
			periods = append(periods, fmt.Sprintf("%d-Q%d", y, q))
		}
		for m := 1; m <= 12; m++ {
			periods = append(periods, fmt.Sprintf("%d-%02d", y, m))
		}
	}
	compare := func(r PerformanceRow, per perfPeriod) {
		t.Helper()
		jobs, unmeasured := bruteRetention(p, r.Programme, r.County, per)
		if r.JobsRetained != jobs || r.RetentionUnmeasured != unmeasured {
			t.Fatalf("%s: %s %s|%s: jobs retained %d, unmeasured %d; brute force %d, %d",
				step, per.name, r.Programme, r.County, r.JobsRetained, r.RetentionUnmeasured, jobs, unmeasured)
		}
		seen.rows++
		seen.jobs += jobs
		seen.unmeasured += unmeasured
	}
	for _, name := range periods {
		per, err := parsePerfPeriod("period", name)
		if err != nil {
			t.Fatal(err)
		}
		rows, err := p.Rows(PerformanceFilter{Period: name})
		if err != nil {
			t.Fatal(err)
		}
		for _, r := range rows {
			compare(r, per)
		}
		for _, prog := range []programme.Code{"", programme.Stabilization, programme.Expansion} {
			for _, county := range []region.Code{"", region.Golmud, region.Delingha} {
				r, err := p.Total(PerformanceFilter{Period: name, Programme: prog, County: county})
				if err != nil {
					t.Fatal(err)
				}
				compare(r, per)
			}
		}
	}
}

// retentionHistory applies a random history to p: refunds and other
// employer payments across 2024 and 2025, and headcounts from 2022 to
// 2026 reported in any order, some months reported again with another
// figure, some employers reporting before their refund, some after, some
// never. Every so often the model goes through its snapshot and the
// history carries on with the restored model. Even seeds query the model
// from the start, so Apply keeps the tallies; odd seeds only at the end.
func retentionHistory(t *testing.T, seed uint64, seen *retentionSeen) {
	rng := rand.New(rand.NewPCG(seed, 7))
	p := NewPerformance()
	apply := func(stream string, ev domain.Event) {
		t.Helper()
		if err := p.Apply(ev, &eventstore.Event{Stream: stream, Type: ev.EventType()}); err != nil {
			t.Fatal(err)
		}
	}
	progs := []programme.Code{programme.Stabilization, programme.Expansion}
	counties := []region.Code{region.Golmud, region.Delingha}
	lines := map[string]string{}
	for _, pr := range progs {
		for _, c := range counties {
			id := budget.LineID("f", pr, c, 2025)
			lines[string(pr)+string(c)] = id
			apply(budget.Stream(id), &budget.LineOpened{BudgetLineID: id, Programme: pr, Region: c, FiscalYear: 2025})
		}
	}
	employers := 5 + rng.IntN(20)
	for e := range employers {
		code := fmt.Sprintf("E%02d", e)
		apply(employer.Stream(code), &employer.Registered{CreditCode: code, Region: string(counties[e%2])})
	}
	var claims []string
	steps := 150 + rng.IntN(150)
	for step := range steps {
		code := fmt.Sprintf("E%02d", rng.IntN(employers))
		switch k := rng.IntN(10); {
		case k < 5:
			month := fmt.Sprintf("%d-%02d", 2022+rng.IntN(5), 1+rng.IntN(12))
			apply(employer.Stream(code), &employer.MonthReported{Month: month, InsuredHeadcount: rng.IntN(60)})
		case k < 7:
			id := fmt.Sprintf("c%d", step)
			pr, c := progs[rng.IntN(2)], counties[rng.IntN(2)]
			apply(claim.Stream(id), &claim.Submitted{ClaimID: id, Programme: pr, Region: c,
				Beneficiary: claim.Beneficiary{Kind: claim.Employer, Ref: code}, BudgetLineID: lines[string(pr)+string(c)]})
			claims = append(claims, id, lines[string(pr)+string(c)])
		case k < 9 && len(claims) > 0:
			i := 2 * rng.IntN(len(claims)/2)
			at := time.Date(2024+rng.IntN(2), time.Month(1+rng.IntN(12)), 1+rng.IntN(28), 2, 0, 0, 0, time.UTC)
			apply(budget.Stream(claims[i+1]), &budget.FundsSpent{PaymentID: fmt.Sprint(step), ClaimID: claims[i],
				Amount: money.Yuan(100), By: budget.By{At: at}})
		default:
			data, err := p.MarshalState()
			if err != nil {
				t.Fatal(err)
			}
			p = NewPerformance()
			if err := p.UnmarshalState(data); err != nil {
				t.Fatal(err)
			}
		}
		// Odd seeds query only at the end: the tallies are counted then,
		// by the first query, rather than kept event by event.
		if (seed%2 == 0 && step%25 == 0) || step == steps-1 {
			checkRetention(t, p, fmt.Sprintf("seed %d, step %d", seed, step), seen)
		}
	}
}

// TestPerformanceRetentionTallies checks that the jobs retained and the
// unmeasured recipients the model keeps per cell equal, in every row and
// total of every period, the figures worked out over each recipient's
// headcounts, through random histories and snapshot round trips.
func TestPerformanceRetentionTallies(t *testing.T) {
	seen := &retentionSeen{}
	for seed := range uint64(30) {
		retentionHistory(t, seed, seen)
	}
	if seen.jobs == 0 || seen.unmeasured == 0 {
		t.Fatalf("the histories met %d rows, %d jobs retained, %d unmeasured: they prove little", seen.rows, seen.jobs, seen.unmeasured)
	}
	t.Logf("%d rows compared: %d jobs retained, %d recipients unmeasured", seen.rows, seen.jobs, seen.unmeasured)
}
