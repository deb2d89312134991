package projections_test

import (
	"fmt"
	"testing"

	"github.com/haixi-hrss/fundledger/domain/outcome"
	"github.com/haixi-hrss/fundledger/domain/region"
	"github.com/haixi-hrss/fundledger/projections"
)

// haixiQ1 is each county's new urban jobs and labour transfer for January
// to March 2025 and its year's targets; they add up to the prefecture's
// published 3,189 of 11,300 and 31,091 of 80,000.
var haixiQ1 = []struct {
	county                  region.Code
	jobsTarget, transTarget int64
	jobs, transfer          [3]int64
}{
	{region.Golmud, 5400, 22000, [3]int64{468, 372, 686}, [3]int64{1806, 2629, 3779}},
	{region.Delingha, 1900, 12000, [3]int64{161, 133, 244}, [3]int64{1053, 1532, 2201}},
	{region.Mangya, 900, 3500, [3]int64{79, 64, 118}, [3]int64{241, 351, 504}},
	{region.Ulan, 900, 12000, [3]int64{76, 61, 115}, [3]int64{1079, 1569, 2255}},
	{region.Dulan, 1100, 18000, [3]int64{92, 74, 139}, [3]int64{1617, 2353, 3382}},
	{region.Tianjun, 600, 9000, [3]int64{50, 41, 77}, [3]int64{774, 1125, 1618}},
	{region.DaQaidam, 500, 3500, [3]int64{42, 34, 63}, [3]int64{269, 391, 563}},
}

func (w *world) recordHaixiQ1() {
	w.t.Helper()
	for _, c := range haixiQ1 {
		w.setTarget(c.county, outcome.NewUrbanJobs, c.jobsTarget)
		w.setTarget(c.county, outcome.LabourTransfer, c.transTarget)
		for i := range 3 {
			month := fmt.Sprintf("2025-%02d", i+1)
			w.recordIndicator(c.county, outcome.NewUrbanJobs, month, c.jobs[i])
			w.recordIndicator(c.county, outcome.LabourTransfer, month, c.transfer[i])
		}
	}
}

func lines(rows []projections.IndicatorRow) []string {
	out := make([]string, len(rows))
	for i, r := range rows {
		out[i] = r.Line
	}
	return out
}

// TestIndicatorLinesFromEvents records the counties' targets and monthly
// values through the real aggregates and codec, and reads the
// prefecture's lines exactly as the source document states them.
func TestIndicatorLinesFromEvents(t *testing.T) {
	w := newSchemaWorld(t)
	w.recordHaixiQ1()
	p := projections.NewPerformance()
	if _, err := w.runner(p).CatchUp(w.ctx); err != nil {
		t.Fatal(err)
	}
	rows, err := p.Indicators(region.Haixi, "2025-Q1")
	if err != nil {
		t.Fatal(err)
	}
	want := []string{
		"new urban jobs 3,189 — 28.22% of the target of 11,300",
		"labour transfer 31,091 person-times — 38.86% of the target of 80,000",
	}
	if fmt.Sprint(lines(rows)) != fmt.Sprint(want) {
		t.Fatalf("prefecture lines\n got %q\nwant %q", lines(rows), want)
	}
	if r := rows[0]; r.Actual != 3189 || r.InPeriod != 3189 || r.Target != 11300 || r.Completion != "28.22" ||
		r.ValueSource != projections.SourceCounties || r.TargetSource != projections.SourceCounties {
		t.Errorf("new urban jobs row %+v", r)
	}

	// March alone: the year to date is still the quarter's, the month's
	// own figure is March's.
	march, err := p.Indicators(region.Haixi, "2025-03")
	if err != nil {
		t.Fatal(err)
	}
	if march[0].Actual != 3189 || march[0].InPeriod != 686+244+118+115+139+77+63 {
		t.Errorf("March %+v", march[0])
	}
	feb, _ := p.Indicators(region.Golmud, "2025-02")
	if feb[0].Actual != 468+372 || feb[0].InPeriod != 372 || feb[0].Line != "new urban jobs 840 — 15.56% of the target of 5,400" {
		t.Errorf("Golmud February %+v", feb[0])
	}
	if none, _ := p.Indicators(region.Haixi, "2024"); len(none) != 0 {
		t.Errorf("2024 rows %+v", none)
	}

	// A value recorded for the prefecture itself is its figure; the
	// target, recorded for no one but the counties, stays their sum.
	w.recordIndicator(region.Haixi, outcome.NewUrbanJobs, "2025-03", 3300)
	if _, err := w.runner(p).CatchUp(w.ctx); err != nil {
		t.Fatal(err)
	}
	rows, _ = p.Indicators(region.Haixi, "2025-Q1")
	if r := rows[0]; r.Actual != 3300 || r.ValueSource != projections.SourceRecorded || r.TargetSource != projections.SourceCounties ||
		r.Line != "new urban jobs 3,300 — 29.20% of the target of 11,300" {
		t.Errorf("prefecture-recorded row %+v", r)
	}
}

func TestIndicatorLine(t *testing.T) {
	for _, tt := range []struct {
		ind            outcome.Indicator
		actual, target int64
		want           string
	}{
		{outcome.NewUrbanJobs, 3189, 11300, "new urban jobs 3,189 — 28.22% of the target of 11,300"},
		{outcome.LabourTransfer, 31091, 80000, "labour transfer 31,091 person-times — 38.86% of the target of 80,000"},
		{outcome.NewUrbanJobs, 1, 8, "new urban jobs 1 — 12.50% of the target of 8"},
		{outcome.Reemployment, 1234567, 1000000, "re-employment of the unemployed 1,234,567 — 123.46% of the target of 1,000,000"},
		{outcome.ZeroEmploymentCleared, 12, 0, "zero-employment families cleared 12 families — no target recorded"},
		{outcome.DifficultyPlaced, 0, 3, "people with employment difficulty placed 0 — 0.00% of the target of 3"},
	} {
		if got := projections.IndicatorLine(tt.ind, tt.actual, tt.target); got != tt.want {
			t.Errorf("IndicatorLine(%s, %d, %d) = %q, want %q", tt.ind, tt.actual, tt.target, got, tt.want)
		}
	}
}
