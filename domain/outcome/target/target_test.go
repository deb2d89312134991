package target

import (
	"errors"
	"testing"
	"time"

	"github.com/haixi-hrss/fundledger/domain"
	"github.com/haixi-hrss/fundledger/domain/aggregatetest"
	"github.com/haixi-hrss/fundledger/domain/outcome"
	"github.com/haixi-hrss/fundledger/domain/region"
	"github.com/haixi-hrss/fundledger/domain/role"
)

var at = time.Date(2025, 1, 6, 9, 0, 0, 0, time.UTC)

func set(i outcome.Indicator, v int64, reason string) SetTarget {
	return SetTarget{Region: region.Golmud, Year: 2025, Indicator: i, Value: v, Reason: reason, Actor: "admin1", Role: role.Administrator, At: at}
}

func TestSetTarget(t *testing.T) {
	l := aggregatetest.New(t, aggregatetest.Aggregate[State, Command]{Decide: Decide, Evolve: Evolve, Decode: Decode})
	l.Must(set(outcome.NewUrbanJobs, 4200, ""))
	for _, tt := range []struct {
		name   string
		cmd    SetTarget
		target error
		rule   string
	}{
		{"change without reason", set(outcome.NewUrbanJobs, 4300, ""), domain.ErrRejected, "target-change-reason"},
		{"zero", set(outcome.LabourTransfer, 0, ""), domain.ErrInvalid, "positive"},
		{"clerk", SetTarget{Region: region.Golmud, Year: 2025, Indicator: outcome.Reemployment, Value: 5, Actor: "c", Role: "clerk", At: at}, domain.ErrRejected, "role-administrator"},
		{"another year", SetTarget{Region: region.Golmud, Year: 2026, Indicator: outcome.Reemployment, Value: 5, Actor: "a", Role: role.Administrator, At: at}, domain.ErrRejected, "target-stream"},
	} {
		_, err := l.Do(tt.cmd)
		var fe *domain.FieldError
		var re *domain.RuleError
		if !errors.Is(err, tt.target) || (errors.As(err, &fe) && fe.Rule != tt.rule) || (errors.As(err, &re) && re.Rule != tt.rule) {
			t.Errorf("%s: error = %v, want rule %s", tt.name, err, tt.rule)
		}
	}
	events := l.Must(set(outcome.NewUrbanJobs, 4300, "province raised the target"))
	if e := events[0].(*TargetSet); e.Previous != 4200 || l.State.Targets[outcome.NewUrbanJobs] != 4300 {
		t.Fatalf("TargetSet %+v, targets %v", e, l.State.Targets)
	}
	if Stream(region.Golmud, 2025) != "target-632801-2025" {
		t.Fatalf("Stream = %s", Stream(region.Golmud, 2025))
	}
}
