package indicator

import (
	"errors"
	"testing"
	"time"

	"github.com/haixi-hrss/fundledger/domain"
	"github.com/haixi-hrss/fundledger/domain/aggregatetest"
	"github.com/haixi-hrss/fundledger/domain/outcome"
	"github.com/haixi-hrss/fundledger/domain/outcome/target"
	"github.com/haixi-hrss/fundledger/domain/region"
	"github.com/haixi-hrss/fundledger/domain/role"
)

var at = time.Date(2025, 4, 2, 9, 0, 0, 0, time.UTC)

func newLog(t *testing.T) *aggregatetest.Log[State, Command] {
	return aggregatetest.New(t, aggregatetest.Aggregate[State, Command]{Decide: Decide, Evolve: Evolve, Decode: Decode})
}

func record(i outcome.Indicator, month string, v int64) Record {
	return Record{Region: region.Haixi, Year: 2025, Indicator: i, Month: month, Value: v, Actor: "clerk1", Role: role.Clerk, At: at}
}

// TestHaixiFirstQuarter reproduces the source document's two lines from
// recorded events: 3,189 new urban jobs is 28.22% of 11,300, and 31,091
// person-times of labour transfer is 38.86% of 80,000.
func TestHaixiFirstQuarter(t *testing.T) {
	l := newLog(t)
	for _, r := range []Record{
		record(outcome.NewUrbanJobs, "2025-01", 1012),
		record(outcome.NewUrbanJobs, "2025-02", 958),
		record(outcome.NewUrbanJobs, "2025-03", 1219),
		record(outcome.LabourTransfer, "2025-01", 9876),
		record(outcome.LabourTransfer, "2025-02", 10233),
		record(outcome.LabourTransfer, "2025-03", 10982),
	} {
		l.Must(r)
	}
	targets := aggregatetest.New(t, aggregatetest.Aggregate[target.State, target.Command]{Decide: target.Decide, Evolve: target.Evolve, Decode: target.Decode})
	for i, v := range map[outcome.Indicator]int64{outcome.NewUrbanJobs: 11300, outcome.LabourTransfer: 80000} {
		targets.Must(target.SetTarget{Region: region.Haixi, Year: 2025, Indicator: i, Value: v, Actor: "admin1", Role: role.Administrator, At: at})
	}
	for _, tt := range []struct {
		indicator outcome.Indicator
		total     int64
		want      string
	}{
		{outcome.NewUrbanJobs, 3189, "28.22"},
		{outcome.LabourTransfer, 31091, "38.86"},
	} {
		total := l.State.Total(tt.indicator)
		got, err := outcome.Completion(total, targets.State.Targets[tt.indicator])
		if total != tt.total || err != nil || got.StringFixed(2) != tt.want {
			t.Errorf("%s: total %d, completion %s (%v); want %d, %s%%", tt.indicator, total, got, err, tt.total, tt.want)
		}
	}
}

func TestRecord(t *testing.T) {
	tests := []struct {
		name   string
		change func(*Record)
		target error
		rule   string
	}{
		{"month of another year", func(r *Record) { r.Month = "2024-12" }, domain.ErrInvalid, "month-of-year"},
		{"not a month", func(r *Record) { r.Month = "2025-13" }, domain.ErrInvalid, "month-of-year"},
		{"negative", func(r *Record) { r.Value = -1 }, domain.ErrInvalid, "not-negative"},
		{"unknown indicator", func(r *Record) { r.Indicator = "gdp" }, domain.ErrInvalid, "indicator"},
		{"outside Haixi", func(r *Record) { r.Region = "110105" }, domain.ErrInvalid, "haixi-region"},
		{"evaluator", func(r *Record) { r.Role = "evaluator" }, domain.ErrRejected, "role-clerk"},
		{"another county", func(r *Record) { r.Region = region.Golmud }, domain.ErrRejected, "indicator-stream"},
		{"same month again", func(*Record) {}, domain.ErrRejected, "month-recorded-once"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			l := newLog(t)
			l.Must(record(outcome.NewUrbanJobs, "2025-01", 1012))
			r := record(outcome.NewUrbanJobs, "2025-01", 1000)
			tt.change(&r)
			_, err := l.Do(r)
			var fe *domain.FieldError
			var re *domain.RuleError
			if !errors.Is(err, tt.target) || (errors.As(err, &fe) && fe.Rule != tt.rule) || (errors.As(err, &re) && re.Rule != tt.rule) {
				t.Fatalf("error = %v, want rule %s", err, tt.rule)
			}
		})
	}
	l := newLog(t)
	l.Must(record(outcome.NewUrbanJobs, "2025-01", 1012))
	c := record(outcome.NewUrbanJobs, "2025-01", 1010)
	c.Correction = "duplicate registrations removed"
	l.Must(c)
	if got := l.State.Total(outcome.NewUrbanJobs); got != 1010 {
		t.Fatalf("total after correction = %d, want 1010", got)
	}
}
