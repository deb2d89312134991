package claim

import (
	"testing"

	"github.com/haixi-hrss/fundledger/domain"
	"github.com/haixi-hrss/fundledger/domain/calendar"
	"github.com/haixi-hrss/fundledger/domain/money"
	"github.com/haixi-hrss/fundledger/domain/programme"
	"github.com/haixi-hrss/fundledger/domain/role"
)

func TestCheckRecordsPolicyVersionInForce(t *testing.T) {
	tests := []struct {
		name   string
		change func(*Check)
		target error
		rule   string
	}{
		{"accepted", func(*Check) {}, nil, ""},
		{"version starts after the effective date", func(c *Check) {
			c.Policy.EffectiveFrom = effective.AddDays(1)
		}, domain.ErrRejected, "policy-in-force"},
		{"version ended the day before", func(c *Check) {
			c.Policy.EffectiveFrom, c.Policy.EffectiveTo = calendar.MustParse("2024-01-01"), effective.AddDays(-1)
		}, domain.ErrRejected, "policy-in-force"},
		{"version ends on the effective date", func(c *Check) {
			c.Policy.EffectiveTo = effective
		}, nil, ""},
		{"assessed under another version", func(c *Check) { c.Assessment.PolicyVersion = "test-2024" }, domain.ErrRejected, "assessment-policy-version"},
		{"assessed as of another date", func(c *Check) { c.Assessment.EffectiveDate = effective.AddDays(1) }, domain.ErrRejected, "assessment-effective-date"},
		{"assessed for another programme", func(c *Check) { c.Assessment.Programme = programme.Expansion }, domain.ErrRejected, "assessment-programme"},
		{"policy of another programme", func(c *Check) { c.Policy = version(programme.Absorption) }, domain.ErrRejected, "policy-programme"},
		{"invalid policy", func(c *Check) { c.Policy.DisclosureWorkingDays = 0 }, domain.ErrInvalid, "range"},
		{"eligible with zero amount", func(c *Check) { c.Assessment.Amount = money.Amount{} }, domain.ErrInvalid, "positive"},
		{"eligible and in review", func(c *Check) { c.Assessment.NeedsManualReview = true }, domain.ErrInvalid, "one-outcome"},
		{"one-off paid twice", func(c *Check) {
			c.Schedule = []Planned{{Amount: money.Yuan(2500)}, {Amount: money.Yuan(2500)}}
		}, domain.ErrInvalid, "one-off"},
		{"schedule not adding up", func(c *Check) { c.Schedule = []Planned{{Amount: money.MustParse("4999.99")}} }, domain.ErrInvalid, "instalments-sum"},
		{"approver checks", func(c *Check) { c.Role = role.Approver }, domain.ErrRejected, "role-clerk"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			l := newLog(t)
			l.Must(submit(programme.StartUp))
			c := check(programme.StartUp, "5000")
			tt.change(&c)
			_, err := l.Do(c)
			if tt.target == nil {
				if err != nil {
					t.Fatal(err)
				}
				wantStatus(t, l.State, StatusChecked)
				if l.State.Terms.PolicyVersion != "test-2025" || l.State.Assessment == nil || l.State.Assessment.PolicyVersion != "test-2025" {
					t.Fatalf("policy version not recorded: %+v", l.State.Terms)
				}
				if len(l.State.Instalments) != 1 || !l.State.Approved.Equal(money.Yuan(5000)) {
					t.Fatalf("instalments %+v, approved %s", l.State.Instalments, l.State.Approved)
				}
				return
			}
			wantRule(t, err, tt.target, tt.rule)
		})
	}
}

func TestCheckBeforeSubmitAndTwice(t *testing.T) {
	l := newLog(t)
	_, err := l.Do(check(programme.StartUp, "5000"))
	wantRule(t, err, domain.ErrRejected, "claim-checked-once")
	l.Must(submit(programme.StartUp))
	l.Must(check(programme.StartUp, "5000"))
	_, err = l.Do(check(programme.StartUp, "5000"))
	wantRule(t, err, domain.ErrRejected, "claim-checked-once")
}

func TestIneligibleAssessmentRejects(t *testing.T) {
	l := newLog(t)
	l.Must(submit(programme.StartUp))
	c := check(programme.StartUp, "5000")
	c.Assessment = assessment(programme.StartUp, "5000", false)
	events := l.Must(c)
	if len(events) != 2 || events[1].EventType() != "ClaimRejected" {
		t.Fatalf("ineligible check decided %v", events)
	}
	if r := events[1].(*Rejected); len(r.FailedRules) != 1 || r.FailedRules[0] != "test-rule" {
		t.Fatalf("rejection names failed rules %v", r.FailedRules)
	}
	wantStatus(t, l.State, StatusRejected)
	_, err := l.Do(approve("appr1"))
	wantRule(t, err, domain.ErrRejected, "claim-under-review")
}

func TestMonthlyInstalmentLimit(t *testing.T) {
	tests := []struct {
		name       string
		months     int
		toRetire   int
		wantAccept bool
	}{
		{"36 months", 36, 0, true},
		{"37 months", 37, 0, false},
		{"37 months, 40 to retirement", 37, 40, true},
		{"41 months, 40 to retirement", 41, 40, false},
		{"61 months to retirement is outside the 5-year window", 37, 61, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			l := newLog(t)
			l.Must(submit(programme.Absorption))
			total := money.MustParse("812.40")
			var sum money.Amount
			for range tt.months {
				sum = sum.Add(total)
			}
			c := check(programme.Absorption, sum.String(), months(tt.months, "812.40")...)
			c.MonthsToRetirement = tt.toRetire
			_, err := l.Do(c)
			if tt.wantAccept {
				if err != nil || len(l.State.Instalments) != tt.months {
					t.Fatalf("Check = %v, %d instalments", err, len(l.State.Instalments))
				}
				return
			}
			wantRule(t, err, domain.ErrRejected, "instalment-months")
		})
	}
	t.Run("months out of order", func(t *testing.T) {
		l := newLog(t)
		l.Must(submit(programme.Absorption))
		plan := months(2, "10")
		plan[0], plan[1] = plan[1], plan[0]
		_, err := l.Do(check(programme.Absorption, "20", plan...))
		wantRule(t, err, domain.ErrInvalid, "months-ascending")
	})
	t.Run("monthly without schedule", func(t *testing.T) {
		l := newLog(t)
		l.Must(submit(programme.Absorption))
		_, err := l.Do(check(programme.Absorption, "20"))
		wantRule(t, err, domain.ErrRejected, "instalment-months")
	})
}

func TestTrainingClaimIsPaidOnce(t *testing.T) {
	l := newLog(t)
	l.Must(submit(programme.VocationalTraining))
	_, err := l.Do(check(programme.VocationalTraining, "2000",
		Planned{Label: "advance", Amount: money.Yuan(1000)}, Planned{Label: "balance", Amount: money.Yuan(1000)}))
	wantRule(t, err, domain.ErrInvalid, "one-off")
	l.Must(check(programme.VocationalTraining, "1000"))
	if len(l.State.Instalments) != 1 || !l.State.Instalments[0].Amount.Equal(money.Yuan(1000)) {
		t.Fatalf("instalments %+v", l.State.Instalments)
	}
}
