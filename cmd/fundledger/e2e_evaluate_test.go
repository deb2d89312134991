package main

import (
	"fmt"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/haixi-hrss/fundledger/api"
	"github.com/haixi-hrss/fundledger/domain/calendar"
	"github.com/haixi-hrss/fundledger/domain/programme"
	"github.com/haixi-hrss/fundledger/domain/region"
	"github.com/haixi-hrss/fundledger/projections"
)

// e2eRow is an evaluator's row as the test expects it; money in fen,
// costs per outcome as "-" where the row has none.
type e2eRow struct {
	prog     programme.Code
	county   region.Code
	line     *e2eLine // the money, or nil for a row of outcomes only
	people   int
	units    int
	retained []int // headcounts kept by each refund recipient
	// unmeasured counts refund recipients without headcounts a year
	// apart.
	unmeasured int
	hires      int
	checks     [3][2]int // checked and still insured at +3, +6, +12
	trainees   [3]int    // certified, placed within the window, placed later
}

// text renders the expected row in the form perfText renders the
// server's.
func (w e2eRow) text(period string) string {
	var alloc, reserved, released, spent, recov int64
	if w.line != nil {
		alloc, reserved, released, spent, recov = w.line.allocated, w.line.reservations, w.line.released, w.line.spent, w.line.recov
	}
	net := spent - recov
	rate := ""
	if alloc != 0 {
		rate = percentOf(net, alloc)
	}
	jobs := 0
	for _, n := range w.retained {
		jobs += n
	}
	placement := ""
	if w.trainees[0] != 0 {
		placement = percentOf(int64(w.trainees[1]), int64(w.trainees[0]))
	}
	return fmt.Sprintf("%s %s/%s money %s %s %s %s %s net %s to date %s %s rate %q paid people %d units %d refunds %d jobs %d unmeasured %d "+
		"hires %d checkpoints %v trainees %v placement %q cost per job %s per absorbed %s per placed %s",
		period, w.prog, w.county, fenText(alloc), fenText(reserved), fenText(released), fenText(spent), fenText(recov), fenText(net), fenText(alloc), fenText(net), rate,
		w.people, w.units, len(w.retained)+w.unmeasured, jobs, w.unmeasured, w.hires, w.checks, w.trainees, placement,
		costPer(net, jobs), costPer(net, w.checks[0][1]), costPer(net, w.trainees[1]))
}

// costPer is net ÷ n half-up to the fen, "-" when n is zero.
func costPer(net int64, n int) string {
	if n == 0 {
		return "-"
	}
	return fenText(rateOf(net, 1, int64(n)))
}

// perfText renders a server's row.
func perfText(r projections.PerformanceRow) string {
	var checks [3][2]int
	for i, cp := range r.Checkpoints {
		if i < 3 {
			checks[i] = [2]int{cp.Checked, cp.StillInsured}
		}
	}
	if len(r.Checkpoints) != 3 || r.Checkpoints[0].Months != 3 || r.Checkpoints[1].Months != 6 || r.Checkpoints[2].Months != 12 {
		return fmt.Sprintf("checkpoints %+v are not +3, +6, +12", r.Checkpoints)
	}
	cost := func(a interface{ String() string }, isNil bool) string {
		if isNil {
			return "-"
		}
		return a.String()
	}
	return fmt.Sprintf("%s %s/%s money %s %s %s %s %s net %s to date %s %s rate %q paid people %d units %d refunds %d jobs %d unmeasured %d "+
		"hires %d checkpoints %v trainees %v placement %q cost per job %s per absorbed %s per placed %s",
		r.Period, r.Programme, r.County, r.Allocated, r.Reserved, r.Released, r.Spent, r.Recovered, r.NetSpent, r.AllocatedToDate,
		r.NetSpentToDate, r.ExecutionRate, r.PeoplePaid, r.EmployersPaid, r.RefundRecipients, r.JobsRetained, r.RetentionUnmeasured,
		r.Hires, checks, [3]int{r.TraineesCertified, r.TraineesPlacedWithin, r.TraineesPlacedLate}, r.PlacementRate,
		cost(r.CostPerRetainedJob, r.CostPerRetainedJob == nil), cost(r.CostPerAbsorbedPerson, r.CostPerAbsorbedPerson == nil),
		cost(r.CostPerPlacedTrainee, r.CostPerPlacedTrainee == nil))
}

// wantRows queries the evaluators' performance rows and compares them,
// in order, with want.
func (r *e2eRun) wantRows(query url.Values, want []e2eRow) {
	r.t.Helper()
	var page api.Page[projections.PerformanceRow]
	r.c.get(eEvaluator, "/v1/evaluation/performance?"+query.Encode(), &page)
	var got, exp []string
	for _, row := range page.Items {
		got = append(got, perfText(row))
	}
	for _, w := range want {
		exp = append(exp, w.text(query.Get("period")))
	}
	if !slices.Equal(got, exp) {
		r.t.Fatalf("performance %s:\ngot\n  %s\nwant\n  %s", query.Encode(), strings.Join(got, "\n  "), strings.Join(exp, "\n  "))
	}
}

func perfQuery(period string, filters ...string) url.Values {
	q := url.Values{"period": {period}, "limit": {"100"}}
	for i := 0; i+1 < len(filters); i += 2 {
		q.Set(filters[i], filters[i+1])
	}
	return q
}

// where keeps the rows that pass keep.
func where(rows []e2eRow, keep func(e2eRow) bool) []e2eRow {
	var out []e2eRow
	for _, w := range rows {
		if keep(w) {
			out = append(out, w)
		}
	}
	return out
}

// evaluate reads the year as an evaluator: money, beneficiaries and
// retained jobs by programme and county, outcomes by the periods they
// happened in, and indicators against targets, every figure worked out
// from what the test recorded.
//
// Money counts in the month the server recorded it (its clock, in
// Beijing time), outcomes in the months of their business dates; the
// money month is read from the clock around the queries.
func (r *e2eRun) evaluate() {
	lineOf := func(p programme.Code, c region.Code) *e2eLine { return r.books.line(r.t, e2eLineID(p, c)) }
	money := []e2eRow{
		{prog: programme.Stabilization, county: e2eGolmud, line: lineOf(programme.Stabilization, e2eGolmud), units: 1, retained: []int{min(bigThen, bigNow)}},
		// The batch's refund recipient reported no headcounts.
		{prog: programme.Stabilization, county: e2eDelingha, line: lineOf(programme.Stabilization, e2eDelingha), units: 2,
			retained: []int{min(smallThen, smallNow)}, unmeasured: 1},
		{prog: programme.Expansion, county: e2eGolmud, line: lineOf(programme.Expansion, e2eGolmud), units: 1},
		// The large employer's monthly subsidies and the medium one's
		// one-time subsidy.
		{prog: programme.Absorption, county: e2eGolmud, line: lineOf(programme.Absorption, e2eGolmud), units: 2},
		{prog: programme.SocialInsurance, county: e2eDelingha, line: lineOf(programme.SocialInsurance, e2eDelingha), people: 1},
		{prog: programme.SkillUpgrade, county: e2eDelingha, line: lineOf(programme.SkillUpgrade, e2eDelingha), people: 1},
		// The advance went to the provider, which is neither a person nor
		// an employer; the settlement to the trainee.
		{prog: programme.VocationalTraining, county: e2eGolmud, line: lineOf(programme.VocationalTraining, e2eGolmud), people: 1},
		{prog: programme.StartUp, county: e2eDelingha, line: lineOf(programme.StartUp, e2eDelingha), people: 1},
	}
	month := calendar.FromTime(time.Now()).String()[:7]
	r.wantRows(perfQuery(month), money)
	r.wantRows(perfQuery(month, "programme", "stabilization"), where(money, func(w e2eRow) bool { return w.prog == programme.Stabilization }))
	r.wantRows(perfQuery(month, "county", "632802"), where(money, func(w e2eRow) bool { return w.county == e2eDelingha }))
	if after := calendar.FromTime(time.Now()).String()[:7]; after != month {
		r.t.Fatalf("the money month changed from %s to %s while the evaluator read it; run again", month, after)
	}

	outcomes := []e2eRow{
		{prog: programme.Expansion, county: e2eGolmud, hires: 1, checks: [3][2]int{{1, 0}}},
		{prog: programme.Absorption, county: e2eGolmud, hires: 1, checks: [3][2]int{{1, 1}, {1, 1}}},
		// Trainees count in the county their certification names.
		{prog: programme.VocationalTraining, county: e2eGolmud, trainees: [3]int{1, 1, 0}},
		{prog: programme.VocationalTraining, county: e2eDelingha, trainees: [3]int{1, 0, 1}},
	}
	r.wantRows(perfQuery("2025"), outcomes)
	r.wantRows(perfQuery("2025-Q2", "programme", "vocational-training"), outcomes[2:])
	r.wantRows(perfQuery("2025-Q1", "programme", "absorption"), []e2eRow{{prog: programme.Absorption, county: e2eGolmud, hires: 1}})
	r.wantRows(perfQuery("2026-Q1", "programme", "absorption"), []e2eRow{{prog: programme.Absorption, county: e2eGolmud, checks: [3][2]int{2: {1, 1}}}})
	r.indicators()
}

// indicators checks the indicator report of a county and of the
// prefecture, whose figures and targets are the counties' sums.
func (r *e2eRun) indicators() {
	type row struct {
		ind                      string
		inPeriod, actual, target int64
		source                   string
	}
	line := func(w row) string {
		name, unit := "new urban jobs", ""
		if w.ind == "labour-transfer" {
			name, unit = "labour transfer", " person-times"
		}
		return fmt.Sprintf("%s %s%s — %s%% of the target of %s", name, e2eThousands(w.actual), unit, percentOf(w.actual, w.target), e2eThousands(w.target))
	}
	check := func(reg region.Code, period string, want []row) {
		r.t.Helper()
		var got struct {
			Items []projections.IndicatorRow `json:"items"`
		}
		r.c.get(eEvaluator, "/v1/evaluation/indicators/"+string(reg)+"?period="+period, &got)
		var g, w []string
		for _, it := range got.Items {
			g = append(g, fmt.Sprintf("%s %s %s in period %d actual %d target %d completion %s sources %s/%s: %s", it.Region, it.Period,
				it.Indicator, it.InPeriod, it.Actual, it.Target, it.Completion, it.ValueSource, it.TargetSource, it.Line))
		}
		for _, x := range want {
			w = append(w, fmt.Sprintf("%s %s %s in period %d actual %d target %d completion %s sources %s/%s: %s", reg, period,
				x.ind, x.inPeriod, x.actual, x.target, percentOf(x.actual, x.target), x.source, x.source, line(x)))
		}
		if !slices.Equal(g, w) {
			r.t.Fatalf("indicators of %s for %s:\ngot\n  %s\nwant\n  %s", reg, period, strings.Join(g, "\n  "), strings.Join(w, "\n  "))
		}
	}
	both := []region.Code{e2eGolmud, e2eDelingha}
	golmudJobs := e2eIndicatorSum("new-urban-jobs", "2025-03", e2eGolmud)
	check(e2eGolmud, "2025-02", []row{
		{"new-urban-jobs", e2eCorrectedFebruary, e2eIndicatorSum("new-urban-jobs", "2025-02", e2eGolmud), 4000, projections.SourceRecorded},
		{"labour-transfer", 0, 0, 30000, projections.SourceRecorded},
	})
	check(e2eGolmud, "2025-Q1", []row{
		{"new-urban-jobs", golmudJobs, golmudJobs, 4000, projections.SourceRecorded},
		{"labour-transfer", 5120, 5120, 30000, projections.SourceRecorded},
	})
	jobs := e2eIndicatorSum("new-urban-jobs", "2025-03", both...)
	transfer := e2eIndicatorSum("labour-transfer", "2025-03", both...)
	check(region.Haixi, "2025-Q1", []row{
		{"new-urban-jobs", jobs, jobs, 4000 + 2600, projections.SourceCounties},
		{"labour-transfer", transfer, transfer, 30000, projections.SourceCounties},
	})
}
