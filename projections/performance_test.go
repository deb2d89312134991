package projections_test

import (
	"errors"
	"fmt"
	"testing"

	"github.com/haixi-hrss/fundledger/domain"
	"github.com/haixi-hrss/fundledger/domain/money"
	"github.com/haixi-hrss/fundledger/domain/programme"
	"github.com/haixi-hrss/fundledger/domain/region"
	"github.com/haixi-hrss/fundledger/projections"
)

// moneyLine is a row's money as text: allocated, reserved, released,
// spent, recovered, net spent, allocated and net spent to date, execution.
func moneyLine(r projections.PerformanceRow) string {
	return fmt.Sprintf("%s %s %s %s %s %s | %s %s %s", r.Allocated, r.Reserved, r.Released, r.Spent, r.Recovered, r.NetSpent,
		r.AllocatedToDate, r.NetSpentToDate, r.ExecutionRate)
}

// outcomeLine is a row's counts as text: people, employers, refund
// recipients, jobs retained, unmeasured | hires, +3/+6/+12 checked and
// still insured | trainees certified, placed within, late, rate.
func outcomeLine(r projections.PerformanceRow) string {
	s := fmt.Sprintf("%d %d %d %d %d | %d", r.PeoplePaid, r.EmployersPaid, r.RefundRecipients, r.JobsRetained, r.RetentionUnmeasured, r.Hires)
	for _, c := range r.Checkpoints {
		s += fmt.Sprintf(" %d:%d/%d", c.Months, c.StillInsured, c.Checked)
	}
	return s + fmt.Sprintf(" | %d %d %d %s", r.TraineesCertified, r.TraineesPlacedWithin, r.TraineesPlacedLate, r.PlacementRate)
}

func costLine(r projections.PerformanceRow) string {
	show := func(a *money.Amount) string {
		if a == nil {
			return "-"
		}
		return a.String()
	}
	return fmt.Sprintf("%s %s %s", show(r.CostPerRetainedJob), show(r.CostPerAbsorbedPerson), show(r.CostPerPlacedTrainee))
}

// TestPerformanceFigures drives the scenario's real commands through the
// ledger and checks the evaluators' figures to the fen and the head:
// execution rounds half-up (14,500 of 400,000 is 3.625% → 3.63), a person
// paid twice counts once, a refund recipient without a baseline a year
// back counts as unmeasured, a hire recorded before its claim moves to
// the claim's programme and county, and a trainee to its employer's.
func TestPerformanceFigures(t *testing.T) {
	w := newSchemaWorld(t)
	w.performanceFirstHalf()
	w.performanceSecondHalf()
	p := projections.NewPerformance()
	if _, err := w.runner(p).CatchUp(w.ctx); err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct {
		name                   string
		f                      projections.PerformanceFilter
		total                  bool
		money, outcomes, costs string
	}{
		{"stabilization Golmud Q1", projections.PerformanceFilter{Period: "2025-Q1", Programme: programme.Stabilization, County: region.Golmud}, false,
			"400000.00 15000.50 0.00 15000.50 500.50 14500.00 | 400000.00 14500.00 3.63",
			"0 2 2 45 1 | 0 3:0/0 6:0/0 12:0/0 | 0 0 0 ", "322.22 - -"},
		{"stabilization Golmud February", projections.PerformanceFilter{Period: "2025-02", Programme: programme.Stabilization, County: region.Golmud}, false,
			"0.00 0.00 0.00 0.00 0.00 0.00 | 300000.00 0.00 0.00",
			"0 0 0 0 0 | 0 3:0/0 6:0/0 12:0/0 | 0 0 0 ", "- - -"},
		{"skill upgrade Delingha Q1", projections.PerformanceFilter{Period: "2025-Q1", Programme: programme.SkillUpgrade, County: region.Delingha}, false,
			"50000.00 5000.00 400.00 4000.00 0.00 4000.00 | 50000.00 4000.00 8.00",
			"2 0 0 0 0 | 0 3:0/0 6:0/0 12:0/0 | 0 0 0 ", "- - -"},
		{"skill upgrade Delingha March", projections.PerformanceFilter{Period: "2025-03", Programme: programme.SkillUpgrade, County: region.Delingha}, false,
			"0.00 2000.00 400.00 1000.00 0.00 1000.00 | 50000.00 4000.00 8.00",
			"1 0 0 0 0 | 0 3:0/0 6:0/0 12:0/0 | 0 0 0 ", "- - -"},
		{"expansion Golmud Q1", projections.PerformanceFilter{Period: "2025-Q1", Programme: programme.Expansion, County: region.Golmud}, false,
			"100000.00 1500.00 0.00 1500.00 0.00 1500.00 | 100000.00 1500.00 1.50",
			"0 1 0 0 0 | 0 3:1/1 6:0/0 12:0/0 | 0 0 0 ", "- 1500.00 -"},
		{"expansion Golmud 2024: the hire", projections.PerformanceFilter{Period: "2024", Programme: programme.Expansion, County: region.Golmud}, false,
			"0.00 0.00 0.00 0.00 0.00 0.00 | 0.00 0.00 ",
			"0 0 0 0 0 | 1 3:0/0 6:0/0 12:0/0 | 0 0 0 ", "- - -"},
		{"training Golmud Q1", projections.PerformanceFilter{Period: "2025-Q1", Programme: programme.VocationalTraining, County: region.Golmud}, false,
			"15000.00 9000.00 0.00 9000.00 0.00 9000.00 | 15000.00 9000.00 60.00",
			"0 0 0 0 0 | 0 3:0/0 6:0/0 12:0/0 | 1 1 0 100.00", "- - 9000.00"},
		{"training, unplaced trainee under the prefecture", projections.PerformanceFilter{Period: "2025-02", Programme: programme.VocationalTraining, County: region.Haixi}, false,
			"0.00 0.00 0.00 0.00 0.00 0.00 | 0.00 0.00 ",
			"0 0 0 0 0 | 0 3:0/0 6:0/0 12:0/0 | 1 0 0 0.00", "- - -"},
		{"total Q1", projections.PerformanceFilter{Period: "2025-Q1"}, true,
			"565000.00 30500.50 400.00 29500.50 500.50 29000.00 | 565000.00 29000.00 5.13",
			"2 3 2 45 1 | 1 3:1/1 6:0/0 12:0/0 | 2 1 0 50.00", "- - -"},
		{"total Golmud 2024: the hire moved from Delingha", projections.PerformanceFilter{Period: "2024", County: region.Golmud}, true,
			"0.00 0.00 0.00 0.00 0.00 0.00 | 0.00 0.00 ",
			"0 0 0 0 0 | 1 3:0/0 6:0/0 12:0/0 | 0 0 0 ", "- - -"},
		{"total Delingha 2024", projections.PerformanceFilter{Period: "2024", County: region.Delingha}, true,
			"0.00 0.00 0.00 0.00 0.00 0.00 | 0.00 0.00 ",
			"0 0 0 0 0 | 0 3:0/0 6:0/0 12:0/0 | 0 0 0 ", "- - -"},
		{"total Golmud January: the hire without a claim", projections.PerformanceFilter{Period: "2025-01", County: region.Golmud}, true,
			"420000.00 0.00 0.00 0.00 0.00 0.00 | 420000.00 0.00 0.00",
			"0 0 0 0 0 | 1 3:0/0 6:0/0 12:0/0 | 1 1 0 100.00", "- - -"},
		{"total stabilization, every county", projections.PerformanceFilter{Period: "2025", Programme: programme.Stabilization}, true,
			"400000.00 15000.50 0.00 15000.50 500.50 14500.00 | 400000.00 14500.00 3.63",
			"0 2 2 45 1 | 0 3:0/0 6:0/0 12:0/0 | 0 0 0 ", "322.22 - -"},
	} {
		var r projections.PerformanceRow
		var err error
		if tt.total {
			r, err = p.Total(tt.f)
		} else {
			var rows []projections.PerformanceRow
			rows, err = p.Rows(tt.f)
			if err == nil && len(rows) != 1 {
				t.Errorf("%s: %d rows", tt.name, len(rows))
				continue
			}
			if err == nil {
				r = rows[0]
			}
		}
		if err != nil {
			t.Errorf("%s: %v", tt.name, err)
			continue
		}
		if got := moneyLine(r); got != tt.money {
			t.Errorf("%s money\n got %s\nwant %s", tt.name, got, tt.money)
		}
		if got := outcomeLine(r); got != tt.outcomes {
			t.Errorf("%s outcomes\n got %s\nwant %s", tt.name, got, tt.outcomes)
		}
		if got := costLine(r); got != tt.costs {
			t.Errorf("%s costs got %s want %s", tt.name, got, tt.costs)
		}
	}

	rows, err := p.Rows(projections.PerformanceFilter{Period: "2025-Q1"})
	if err != nil {
		t.Fatal(err)
	}
	var keys []string
	for _, r := range rows {
		keys = append(keys, r.Programme+"/"+r.County)
	}
	want := "[stabilization/632801 expansion/632801 skill-upgrade/632802 vocational-training/632800 vocational-training/632801]"
	if fmt.Sprint(keys) != want {
		t.Errorf("Q1 rows %v, want %s", keys, want)
	}
}

// TestPerformanceFilterErrors: a malformed filter names its field.
func TestPerformanceFilterErrors(t *testing.T) {
	p := projections.NewPerformance()
	for _, tt := range []struct {
		f     projections.PerformanceFilter
		field string
	}{
		{projections.PerformanceFilter{}, "period"},
		{projections.PerformanceFilter{Period: "2025-13"}, "period"},
		{projections.PerformanceFilter{Period: "2025-Q5"}, "period"},
		{projections.PerformanceFilter{Period: "25"}, "period"},
		{projections.PerformanceFilter{Period: "2025", Programme: "pension"}, "programme"},
		{projections.PerformanceFilter{Period: "2025", County: "110000"}, "county"},
	} {
		for name, query := range map[string]func() error{
			"Rows":  func() error { _, err := p.Rows(tt.f); return err },
			"Total": func() error { _, err := p.Total(tt.f); return err },
		} {
			err := query()
			var fe *domain.FieldError
			if !errors.As(err, &fe) || fe.Field != tt.field {
				t.Errorf("%s(%+v) = %v, want a field error on %s", name, tt.f, err, tt.field)
			}
		}
	}
	if _, err := p.Indicators("632899", "2025"); !errors.Is(err, domain.ErrInvalid) {
		t.Errorf("Indicators of an unknown region: %v", err)
	}
	if _, err := p.Indicators(region.Haixi, "2025-3"); !errors.Is(err, domain.ErrInvalid) {
		t.Errorf("Indicators of a malformed period: %v", err)
	}
}
