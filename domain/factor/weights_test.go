package factor

import (
	"errors"
	"testing"
	"time"

	"github.com/shopspring/decimal"

	"github.com/haixi-hrss/fundledger/domain"
	"github.com/haixi-hrss/fundledger/domain/aggregatetest"
	"github.com/haixi-hrss/fundledger/domain/role"
)

var at = time.Date(2025, 12, 1, 9, 0, 0, 0, time.UTC)

func dec(s string) decimal.Decimal { return decimal.RequireFromString(s) }

// haixiWeights are illustrative weights: 40% base, 20% input, 40%
// performance, a 20% cut below 60% execution.
func haixiWeights() Weights {
	return Weights{Tasks: dec("0.25"), Population: dec("0.15"), CoFunding: dec("0.10"), FiscalDifficulty: dec("0.10"),
		Execution: dec("0.20"), Outcomes: dec("0.20"), SlowSpendingBelow: dec("0.6"), SlowSpendingDeduction: dec("0.2")}
}

func publish(w Weights, reason string) Publish {
	return Publish{Year: 2026, Weights: w, Document: "西人社〔2025〕40号", Reason: reason, Actor: "admin-1", Role: role.Administrator, At: at}
}

func wantRule(t *testing.T, name string, err, target error, field, rule string) {
	t.Helper()
	var fe *domain.FieldError
	var re *domain.RuleError
	switch {
	case !errors.Is(err, target):
		t.Errorf("%s: error %v, want %v", name, err, target)
	case errors.As(err, &fe) && (fe.Rule != rule || fe.Field != field):
		t.Errorf("%s: field %s rule %s, want %s %s", name, fe.Field, fe.Rule, field, rule)
	case errors.As(err, &re) && (re.Rule != rule || re.Field != field):
		t.Errorf("%s: field %s rule %s, want %s %s", name, re.Field, re.Rule, field, rule)
	}
}

func TestValidateWeights(t *testing.T) {
	for _, tt := range []struct {
		name         string
		change       func(*Weights)
		field, rule  string
		wantAccepted bool
	}{
		{"as published", func(*Weights) {}, "", "", true},
		{"all on tasks", func(w *Weights) { *w = Weights{Tasks: dec("1")} }, "", "", true},
		{"sum 0.99", func(w *Weights) { w.Tasks = dec("0.24") }, "weights", "sum-to-one", false},
		{"sum 1.01", func(w *Weights) { w.Tasks = dec("0.26") }, "weights", "sum-to-one", false},
		{"negative", func(w *Weights) { w.Tasks, w.Population = dec("-0.05"), dec("0.45") }, "weights.tasks", "unit-interval", false},
		{"above one", func(w *Weights) { *w = Weights{Execution: dec("1.5"), Outcomes: dec("-0.5")} }, "weights.execution", "unit-interval", false},
		{"threshold above one", func(w *Weights) { w.SlowSpendingBelow = dec("1.2") }, "weights.slowSpendingBelow", "unit-interval", false},
		{"deduction negative", func(w *Weights) { w.SlowSpendingDeduction = dec("-0.1") }, "weights.slowSpendingDeduction", "unit-interval", false},
	} {
		w := haixiWeights()
		tt.change(&w)
		err := w.Validate()
		if tt.wantAccepted {
			if err != nil {
				t.Errorf("%s: %v", tt.name, err)
			}
			continue
		}
		wantRule(t, tt.name, err, domain.ErrInvalid, tt.field, tt.rule)
	}
}

func TestPublishWeights(t *testing.T) {
	l := aggregatetest.New(t, aggregatetest.Aggregate[State, Command]{Decide: Decide, Evolve: Evolve, Decode: Decode})
	evs := l.Must(publish(haixiWeights(), ""))
	if e := evs[0].(*WeightsPublished); e.Version != 1 || e.Year != 2026 || l.State.Version != 1 {
		t.Fatalf("first publication %+v, state %+v", e, l.State)
	}
	// The same weights written with other exponents are a retry.
	same := haixiWeights()
	same.Tasks = dec("0.250")
	if evs := l.Must(publish(same, "")); len(evs) != 0 {
		t.Fatalf("retry decided %v", evs)
	}
	changed := haixiWeights()
	changed.Tasks, changed.Population = dec("0.30"), dec("0.10")
	for _, tt := range []struct {
		name        string
		cmd         Command
		target      error
		field, rule string
	}{
		{"change without reason", publish(changed, ""), domain.ErrRejected, "reason", "factor-weights-change-reason"},
		{"clerk", Publish{Year: 2026, Weights: changed, Document: "x", Reason: "r", Actor: "c", Role: role.Clerk, At: at}, domain.ErrRejected, "role", "role-administrator"},
		{"other year", Publish{Year: 2027, Weights: changed, Document: "x", Reason: "r", Actor: "a", Role: role.Administrator, At: at}, domain.ErrRejected, "year", "factor-stream"},
		{"no document", Publish{Year: 2026, Weights: changed, Actor: "a", Role: role.Administrator, At: at}, domain.ErrInvalid, "document", "required"},
		{"bad year", Publish{Year: 1999, Weights: changed, Document: "x", Actor: "a", Role: role.Administrator, At: at}, domain.ErrInvalid, "year", "fiscal-year"},
		{"bad weights", publish(Weights{Tasks: dec("0.5")}, "r"), domain.ErrInvalid, "weights", "sum-to-one"},
		{"no time", Publish{Year: 2026, Weights: changed, Document: "x", Reason: "r", Actor: "a", Role: role.Administrator}, domain.ErrInvalid, "at", "required"},
	} {
		_, err := l.Do(tt.cmd)
		wantRule(t, tt.name, err, tt.target, tt.field, tt.rule)
	}
	evs = l.Must(publish(changed, "the province moved weight to tasks"))
	if e := evs[0].(*WeightsPublished); e.Version != 2 || !l.State.Weights.Tasks.Equal(dec("0.3")) {
		t.Fatalf("change %+v, state %+v", e, l.State)
	}
	l.CheckReplay()
	if Stream(2026) != "factors-2026" {
		t.Errorf("Stream = %s", Stream(2026))
	}
}
