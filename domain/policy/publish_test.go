package policy

import (
	"errors"
	"testing"
	"time"

	"github.com/haixi-hrss/fundledger/domain"
	"github.com/haixi-hrss/fundledger/domain/calendar"
	"github.com/haixi-hrss/fundledger/domain/money"
	"github.com/haixi-hrss/fundledger/domain/programme"
	"github.com/haixi-hrss/fundledger/domain/role"
	"github.com/shopspring/decimal"
)

func expansionVersion(id, from, to string) Version {
	return Version{
		ID: id, Programme: programme.Expansion,
		EffectiveFrom: calendar.MustParse(from), EffectiveTo: calendar.MustParse(to),
		Document: "test", DisclosureWorkingDays: 5, TwoApproverThreshold: money.Yuan(50000),
		Expansion: &Expansion{
			GrantAmount: money.Yuan(1500), MinInsuredMonths: 3, GraduationWindowYears: 2,
			YouthBornFrom: calendar.MustParse("2000-01-01"), YouthBornTo: calendar.MustParse("2009-12-31"),
			ContractFrom: calendar.MustParse("2025-01-01"), ContractTo: calendar.MustParse("2025-12-31"),
			EnterprisesOnly: true,
		},
	}
}

// byAdmin is cmd issued by an administrator.
func byAdmin(v Version) PublishVersion {
	return PublishVersion{Version: v, Actor: "admin1", Role: role.Administrator, At: time.Date(2025, 1, 2, 9, 0, 0, 0, time.UTC)}
}

func publish(t *testing.T, s State, v Version) State {
	t.Helper()
	events, err := Decide(s, byAdmin(v))
	if err != nil {
		t.Fatalf("publish %s: %v", v.ID, err)
	}
	for _, e := range events {
		s = Evolve(s, e)
	}
	return s
}

func TestPublishAndSelect(t *testing.T) {
	s := publish(t, State{}, expansionVersion("expansion-2025", "2025-01-01", "2025-12-31"))
	s = publish(t, s, expansionVersion("expansion-2026", "2026-01-01", "2026-12-31"))
	if s.Programme != programme.Expansion || len(s.Versions) != 2 {
		t.Fatalf("state = %+v", s)
	}
	for d, want := range map[string]string{"2025-12-31": "expansion-2025", "2026-01-01": "expansion-2026"} {
		v, err := Select(s.Versions, programme.Expansion, calendar.MustParse(d))
		if err != nil || v.ID != want {
			t.Errorf("Select(%s) = %s, %v; want %s", d, v.ID, err, want)
		}
	}
	events, err := Decide(State{}, byAdmin(expansionVersion("expansion-2025", "2025-01-01", "2025-12-31")))
	if err != nil || len(events) != 1 || events[0].EventType() != "PolicyVersionPublished" {
		t.Fatalf("Decide = %v, %v", events, err)
	}
	if Stream(programme.Expansion) != "policy-expansion" {
		t.Fatalf("Stream = %s", Stream(programme.Expansion))
	}
}

func TestPublishRefuses(t *testing.T) {
	base := publish(t, State{}, expansionVersion("expansion-2025", "2025-01-01", "2025-12-31"))
	open := expansionVersion("expansion-2027", "2027-01-01", "2027-12-31")
	open.EffectiveTo = calendar.Date{}
	withOpen := publish(t, base, open)

	badRate := expansionVersion("expansion-2026", "2026-01-01", "2026-12-31")
	badRate.Expansion.GrantAmount = money.Amount{}
	otherProg := expansionVersion("stabilization-2026", "2026-01-01", "2026-12-31")
	otherProg.Programme = programme.Stabilization
	otherProg.Expansion = nil
	otherProg.Stabilization = &Stabilization{LargeRate: decimal.RequireFromString("0.3"), SMERate: decimal.RequireFromString("0.6"), LargeMinInsuredStaff: 300, MinPremiumMonths: 12, LayoffRateMax: decimal.RequireFromString("0.055"), SmallUnitMaxStaff: 30, SmallUnitLayoffRateMax: decimal.RequireFromString("0.2"), LayoffFormula: LayoffClaimants}
	changed := expansionVersion("expansion-2025", "2025-01-01", "2025-12-31")
	changed.Expansion.MinInsuredMonths = 1
	reversed := expansionVersion("expansion-2026", "2026-12-31", "2026-01-01")
	wrongBlock := expansionVersion("expansion-2026", "2026-01-01", "2026-12-31")
	wrongBlock.StartUp = &StartUp{Amount: money.Yuan(1), MinOperatingMonths: 12, GraduationWindowYears: 2, EligibleGroups: []string{"graduate"}}

	tests := []struct {
		name        string
		state       State
		v           Version
		field, rule string
		invalid     bool
	}{
		{"overlap by one day", base, expansionVersion("expansion-2026", "2025-12-31", "2026-12-31"), "effectiveFrom", "policy-no-overlap", false},
		{"ending on the first day of a published one", base, expansionVersion("expansion-2024", "2024-01-01", "2025-01-01"), "effectiveFrom", "policy-no-overlap", false},
		{"inside an open-ended version", withOpen, expansionVersion("expansion-2030", "2030-01-01", "2030-12-31"), "effectiveFrom", "policy-no-overlap", false},
		{"covering an earlier one", base, expansionVersion("expansion-all", "2020-01-01", "2030-12-31"), "effectiveFrom", "policy-no-overlap", false},
		{"zero grant", base, badRate, "expansion.grantAmount", "positive", true},
		{"other programme's stream", base, otherProg, "programme", "policy-stream-programme", false},
		{"same ID other content", base, changed, "id", "policy-version-immutable", false},
		{"reversed range", base, reversed, "effectiveTo", "date-order", true},
		{"foreign parameter block", base, wrongBlock, "startUp", "programme-params", true},
		{"bad ID", base, expansionVersion("Expansion 2026", "2026-01-01", "2026-12-31"), "id", "policy-version-id", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			events, err := Decide(tt.state, byAdmin(tt.v))
			field, rule := fieldRule(err)
			if events != nil || field != tt.field || rule != tt.rule {
				t.Fatalf("Decide = %v, %v; want field %s rule %s", events, err, tt.field, tt.rule)
			}
			if tt.invalid != errors.Is(err, domain.ErrInvalid) || tt.invalid == errors.Is(err, domain.ErrRejected) {
				t.Fatalf("error %v: want invalid=%v", err, tt.invalid)
			}
		})
	}
}

func TestPublishSameVersionAgainDecidesNothing(t *testing.T) {
	v := expansionVersion("expansion-2025", "2025-01-01", "2025-12-31")
	s := publish(t, State{}, v)
	again := expansionVersion("expansion-2025", "2025-01-01", "2025-12-31")
	again.Expansion.GrantAmount = money.MustParse("1500.0") // same value, other text
	events, err := Decide(s, byAdmin(again))
	if err != nil || len(events) != 0 {
		t.Fatalf("re-publish = %v, %v; want nothing", events, err)
	}
}

func TestSelectRefusesOverlappingInput(t *testing.T) {
	vs := []Version{expansionVersion("a", "2025-01-01", "2025-12-31"), expansionVersion("b", "2025-06-01", "2025-12-31")}
	if _, err := Select(vs, programme.Expansion, calendar.MustParse("2025-07-01")); !errors.Is(err, domain.ErrRejected) {
		t.Fatalf("Select over overlapping versions error = %v, want ErrRejected", err)
	}
	if v, err := Select(vs, programme.Expansion, calendar.MustParse("2025-05-31")); err != nil || v.ID != "a" {
		t.Fatalf("Select = %s, %v", v.ID, err)
	}
	if _, err := Select(vs, programme.StartUp, calendar.MustParse("2025-05-31")); !errors.Is(err, domain.ErrRejected) {
		t.Fatalf("Select for a programme without versions error = %v", err)
	}
}

func TestRatioApplyRoundsHalfUpOnce(t *testing.T) {
	tests := []struct {
		r            Ratio
		amount, want string
	}{
		{Ratio{2, 3}, "300.00", "200.00"},
		{Ratio{2, 3}, "100.00", "66.67"}, // 66.666… → 66.67
		{Ratio{2, 3}, "0.01", "0.01"},    // 0.00666… → 0.01
		{Ratio{2, 3}, "0.02", "0.01"},    // 0.01333… → 0.01
		{Ratio{1, 2}, "0.01", "0.01"},    // 0.005 exactly → half-up
		{Ratio{1, 2}, "2.33", "1.17"},    // 1.165 → 1.17
		{Ratio{1, 1}, "2.33", "2.33"},
	}
	for _, tt := range tests {
		if got := tt.r.Apply(money.MustParse(tt.amount)); got.String() != tt.want {
			t.Errorf("%s × %s = %s, want %s", tt.r, tt.amount, got, tt.want)
		}
	}
}

func TestRatioText(t *testing.T) {
	var r Ratio
	if err := r.UnmarshalText([]byte("2/3")); err != nil || r != (Ratio{2, 3}) {
		t.Fatalf("UnmarshalText(2/3) = %v, %v", r, err)
	}
	for _, in := range []string{"0.66", "2/", "/3", "a/b", ""} {
		if err := r.UnmarshalText([]byte(in)); !errors.Is(err, domain.ErrInvalid) {
			t.Errorf("UnmarshalText(%q) error = %v", in, err)
		}
	}
	for _, bad := range []Ratio{{0, 3}, {4, 3}, {1, 0}, {-1, 3}} {
		if err := bad.validate("share"); !errors.Is(err, domain.ErrInvalid) {
			t.Errorf("validate(%s) = %v, want ErrInvalid", bad, err)
		}
	}
}

func TestApplies(t *testing.T) {
	v := expansionVersion("expansion-2025", "2025-01-01", "2025-12-31")
	if err := v.Applies(programme.Expansion, calendar.MustParse("2025-12-31")); err != nil {
		t.Fatalf("Applies on the last day = %v", err)
	}
	if err := v.Applies(programme.Expansion, calendar.MustParse("2026-01-01")); !errors.Is(err, domain.ErrRejected) {
		t.Fatalf("Applies the day after = %v, want ErrRejected", err)
	}
	if err := v.Applies(programme.StartUp, calendar.MustParse("2025-06-01")); !errors.Is(err, domain.ErrInvalid) {
		t.Fatalf("Applies to another programme = %v, want ErrInvalid", err)
	}
}
