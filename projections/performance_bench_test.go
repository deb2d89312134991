package projections_test

import (
	"fmt"
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
	"github.com/haixi-hrss/fundledger/projections"
)

// benchPerformance is a year of a large prefecture: a line per programme
// and county, 100,000 claims of 50,000 people and 5,000 refunded employers
// with two years of headcounts, each claim paid once in a month of 2025.
func benchPerformance(b *testing.B) *projections.Performance {
	b.Helper()
	p := projections.NewPerformance()
	apply := func(stream string, ev domain.Event) {
		if err := p.Apply(ev, &eventstore.Event{Stream: stream, Type: ev.EventType()}); err != nil {
			b.Fatal(err)
		}
	}
	progs, counties := programme.All(), region.Counties()
	lineOf := func(pr programme.Code, c region.Code) string { return budget.LineID("f", pr, c, 2025) }
	jan := time.Date(2025, 1, 5, 2, 0, 0, 0, time.UTC)
	for _, pr := range progs {
		for _, c := range counties {
			l := lineOf(pr, c)
			apply(budget.Stream(l), &budget.LineOpened{BudgetLineID: l, Programme: pr, Region: c, FiscalYear: 2025})
			apply(budget.Stream(l), &budget.Allocated{AllocationID: "a", Amount: money.Yuan(10_000_000), By: budget.By{At: jan}})
		}
	}
	for e := range 5000 {
		code := employerCode(e).String()
		apply(employer.Stream(code), &employer.Registered{CreditCode: code, Region: string(counties[e%7])})
		for m := range 24 {
			apply(employer.Stream(code), &employer.MonthReported{Month: fmt.Sprintf("%d-%02d", 2024+m/12, m%12+1), InsuredHeadcount: 20 + e%30})
		}
	}
	for i := range 100_000 {
		pr, c := progs[i%len(progs)], counties[(i/7)%7]
		id := fmt.Sprintf("c%d", i)
		b := personOf(i % 50_000)
		if pr == programme.Stabilization || pr == programme.Expansion {
			b = employerOf(i % 5000)
		}
		apply(claim.Stream(id), &claim.Submitted{ClaimID: id, Programme: pr, Beneficiary: b, Region: c})
		at := time.Date(2025, time.Month(1+i%12), 10, 2, 0, 0, 0, time.UTC)
		apply(budget.Stream(lineOf(pr, c)), &budget.FundsSpent{PaymentID: id, ClaimID: id, Amount: money.Yuan(1500), By: budget.By{At: at}})
	}
	return p
}

// BenchmarkPerformanceQueries measures the evaluators' queries on the
// year above: every row of a year, the prefecture's total, and one row.
func BenchmarkPerformanceQueries(b *testing.B) {
	p := benchPerformance(b)
	for _, q := range []struct {
		name string
		f    projections.PerformanceFilter
		rows bool
	}{
		{"rows-year", projections.PerformanceFilter{Period: "2025"}, true},
		{"rows-month-programme", projections.PerformanceFilter{Period: "2025-03", Programme: programme.SkillUpgrade}, true},
		{"total-year", projections.PerformanceFilter{Period: "2025"}, false},
		{"total-quarter-county", projections.PerformanceFilter{Period: "2025-Q2", County: region.Golmud}, false},
	} {
		b.Run(q.name, func(b *testing.B) {
			for b.Loop() {
				var err error
				if q.rows {
					_, err = p.Rows(q.f)
				} else {
					_, err = p.Total(q.f)
				}
				if err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkPerformanceApply measures folding the year above, decoded
// events in hand: 98 line events, 125,000 employer events and 200,000
// claim and payment events per iteration.
func BenchmarkPerformanceApply(b *testing.B) {
	const events = 98 + 5000*25 + 200_000
	for b.Loop() {
		benchPerformance(b)
	}
	b.ReportMetric(float64(events)*float64(b.N)/b.Elapsed().Seconds(), "events/s")
}
