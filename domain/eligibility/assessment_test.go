package eligibility

import (
	"encoding/json"
	"testing"

	"github.com/haixi-hrss/fundledger/domain/calendar"
	"github.com/haixi-hrss/fundledger/domain/money"
	"github.com/haixi-hrss/fundledger/domain/programme"
)

func TestOutcomes(t *testing.T) {
	day := calendar.MustParse("2025-03-31")
	amount := money.Yuan(1500)
	tests := []struct {
		name             string
		record           func(r *Recorder)
		eligible, review bool
		wantAmount       string
		failed           int
	}{
		{"all pass", func(r *Recorder) {
			r.Require("a", true, "ok")
			r.Review("b", true, "ok")
		}, true, false, "1500.00", 0},
		{"hard failure", func(r *Recorder) {
			r.Require("a", false, "no")
			r.Require("c", true, "ok")
		}, false, false, "0.00", 1},
		{"review only", func(r *Recorder) {
			r.Require("a", true, "ok")
			r.Review("b", false, "pilot code")
		}, false, true, "1500.00", 1},
		{"review and hard failure is ineligible", func(r *Recorder) {
			r.Review("b", false, "pilot code")
			r.Require("a", false, "no")
		}, false, false, "0.00", 2},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var r Recorder
			tt.record(&r)
			a := r.Assess(programme.Expansion, "expansion-2025", day, amount)
			if a.Eligible != tt.eligible || a.NeedsManualReview != tt.review || a.Amount.String() != tt.wantAmount || len(a.Failed()) != tt.failed {
				t.Fatalf("Assess = %+v", a)
			}
			if a.Programme != programme.Expansion || a.PolicyVersion != "expansion-2025" || a.EffectiveDate != day {
				t.Fatalf("Assess lost its context: %+v", a)
			}
		})
	}
}

func TestCheckLookupAndJSON(t *testing.T) {
	var r Recorder
	r.Require("insured-months", false, "insured %d months, %d needed", 2, 3)
	a := r.Assess(programme.Expansion, "expansion-2025", calendar.MustParse("2025-03-31"), money.Yuan(1500))
	c, ok := a.Check("insured-months")
	if !ok || c.Passed || c.Detail != "insured 2 months, 3 needed" {
		t.Fatalf("Check = %+v, %v", c, ok)
	}
	if _, ok := a.Check("absent"); ok {
		t.Fatal("Check(absent) found a check")
	}
	b, err := json.Marshal(a)
	if err != nil {
		t.Fatal(err)
	}
	var back Assessment
	if err := json.Unmarshal(b, &back); err != nil || back.Amount.String() != "0.00" || len(back.Checks) != 1 || back.EffectiveDate != a.EffectiveDate {
		t.Fatalf("round trip = %+v, %v", back, err)
	}
}
