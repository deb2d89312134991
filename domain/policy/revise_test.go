package policy

import (
	"errors"
	"slices"
	"testing"
	"time"

	"github.com/haixi-hrss/fundledger/domain"
	"github.com/haixi-hrss/fundledger/domain/calendar"
	"github.com/haixi-hrss/fundledger/domain/money"
	"github.com/haixi-hrss/fundledger/domain/programme"
	"github.com/haixi-hrss/fundledger/domain/role"
)

var adminAt = time.Date(2025, 1, 2, 9, 0, 0, 0, time.UTC)

func revision(v Version) ReviseVersion {
	return ReviseVersion{Version: v, Actor: "admin1", Role: role.Administrator, At: adminAt}
}

// olderSeed is the seed as ledgers published it before the one-time
// absorption subsidy was added to absorption-2023/24/25.
func olderSeed(t *testing.T) []Version {
	t.Helper()
	versions, err := Seed()
	if err != nil {
		t.Fatal(err)
	}
	for i, v := range versions {
		if v.Programme != programme.Absorption {
			continue
		}
		a := *v.Absorption
		a.OneTime = nil
		v.Absorption = &a
		v.Verify = slices.DeleteFunc(slices.Clone(v.Verify), func(p string) bool {
			return p == "absorption.oneTime" || len(p) > 19 && p[:19] == "absorption.oneTime."
		})
		v.Note = ""
		versions[i] = v
	}
	return versions
}

// reviseAll revises every version into its programme's state and returns
// the states and the events decided.
func reviseAll(t *testing.T, states map[programme.Code]State, versions []Version) []PolicyVersionPublished {
	t.Helper()
	var out []PolicyVersionPublished
	for _, v := range versions {
		events, err := Decide(states[v.Programme], revision(v))
		if err != nil {
			t.Fatalf("revise %s: %v", v.ID, err)
		}
		for _, e := range events {
			states[v.Programme] = Evolve(states[v.Programme], e)
			out = append(out, e.(PolicyVersionPublished))
		}
	}
	return out
}

// TestRevisedSeedOverOlderSeed: a ledger that published the older seed
// takes the current one: identical versions are skipped, the three changed
// absorption versions become amendments, the old versions stay as they
// were, and a second run decides nothing.
func TestRevisedSeedOverOlderSeed(t *testing.T) {
	states := map[programme.Code]State{}
	old := olderSeed(t)
	if got := reviseAll(t, states, old); len(got) != len(old) {
		t.Fatalf("first publication decided %d events, want %d", len(got), len(old))
	}
	current, err := Seed()
	if err != nil {
		t.Fatal(err)
	}
	got := reviseAll(t, states, current)
	var ids []string
	for _, e := range got {
		ids = append(ids, e.Version.ID+" supersedes "+e.Version.Supersedes)
	}
	want := []string{"absorption-2023.r2 supersedes absorption-2023", "absorption-2024.r2 supersedes absorption-2024", "absorption-2025.r2 supersedes absorption-2025"}
	if !slices.Equal(ids, want) {
		t.Fatalf("revising with the current seed decided %q, want %q", ids, want)
	}
	if again := reviseAll(t, states, current); len(again) != 0 {
		t.Fatalf("revising twice decided %d more events", len(again))
	}
	abs := states[programme.Absorption]
	for _, year := range []string{"2023", "2024", "2025"} {
		v, err := Select(abs.Versions, programme.Absorption, calendar.MustParse(year+"-05-01"))
		if err != nil || v.ID != "absorption-"+year+".r2" || v.Absorption.OneTime == nil {
			t.Errorf("Select(absorption, %s) = %s (oneTime %v), %v; want the amendment", year, v.ID, v.Absorption != nil && v.Absorption.OneTime != nil, err)
		}
		orig, ok := find(abs.Versions, "absorption-"+year)
		if !ok || orig.Absorption.OneTime != nil {
			t.Errorf("the published absorption-%s changed: %+v", year, orig.Absorption)
		}
	}
	for _, p := range programme.All() {
		if p != programme.Absorption && len(states[p].Versions) != 3 {
			t.Errorf("%s has %d versions after revising, want the 3 first published", p, len(states[p].Versions))
		}
	}
}

// TestRevisionChain: a second change amends the amendment, never an old
// version, and the newest word is selected.
func TestRevisionChain(t *testing.T) {
	s := State{}
	v := expansionVersion("expansion-2025", "2025-01-01", "2025-12-31")
	for i, amount := range []int64{1500, 1600, 1700, 1700} {
		v.Expansion = &Expansion{}
		*v.Expansion = *expansionVersion("x", "2025-01-01", "2025-12-31").Expansion
		v.Expansion.GrantAmount = money.Yuan(amount)
		events, err := Decide(s, revision(v))
		if err != nil {
			t.Fatalf("revision %d: %v", i+1, err)
		}
		for _, e := range events {
			s = Evolve(s, e)
		}
	}
	var ids []string
	for _, w := range s.Versions {
		ids = append(ids, w.ID+"<"+w.Supersedes)
	}
	if want := []string{"expansion-2025<", "expansion-2025.r2<expansion-2025", "expansion-2025.r3<expansion-2025.r2"}; !slices.Equal(ids, want) {
		t.Fatalf("versions = %q, want %q", ids, want)
	}
	got, err := Select(s.Versions, programme.Expansion, calendar.MustParse("2025-03-01"))
	if err != nil || got.ID != "expansion-2025.r3" || got.Expansion.GrantAmount.String() != "1700.00" {
		t.Fatalf("Select = %s %v, %v; want expansion-2025.r3 at 1700.00", got.ID, got.Expansion, err)
	}
}

// TestChangedVersionNamesTheFields: publishing other content under a
// published ID is refused with the version and the differing fields named.
func TestChangedVersionNamesTheFields(t *testing.T) {
	old := olderSeed(t)
	current, err := Seed()
	if err != nil {
		t.Fatal(err)
	}
	var s State
	var was, now Version
	for i, v := range old {
		if v.ID == "absorption-2024" {
			s = publish(t, State{}, v)
			was, now = v, current[i]
		}
	}
	events, err := Decide(s, byAdmin(now))
	var ce *ChangedError
	if events != nil || !errors.As(err, &ce) || !errors.Is(err, domain.ErrRejected) {
		t.Fatalf("Decide = %v, %v; want a *ChangedError", events, err)
	}
	if _, rule := fieldRule(err); rule != "policy-version-immutable" || ce.ID != "absorption-2024" {
		t.Fatalf("error %v: want rule policy-version-immutable on absorption-2024", err)
	}
	want := []string{"absorption.oneTime", "note", "verify"}
	if !slices.Equal(ce.Fields, want) {
		t.Fatalf("fields = %q, want %q", ce.Fields, want)
	}
	if len(s.Versions) != 1 || len(Differences(s.Versions[0], was)) != 0 {
		t.Fatalf("the refused command changed the state: %+v", s.Versions)
	}
}

func TestDifferences(t *testing.T) {
	a := expansionVersion("expansion-2025", "2025-01-01", "2025-12-31")
	b := expansionVersion("expansion-2025.r2", "2025-01-01", "2025-12-31")
	b.Supersedes = "expansion-2025"
	if d := Differences(a, b); len(d) != 0 {
		t.Fatalf("ID and Supersedes counted as content: %q", d)
	}
	b.Expansion.GrantAmount = money.MustParse("1500.0")
	if d := Differences(a, b); len(d) != 0 {
		t.Fatalf("equal amounts printed differently differ: %q", d)
	}
	b.Expansion.MinInsuredMonths = 6
	b.EffectiveTo = calendar.MustParse("2025-06-30")
	b.Verify = []string{"document"}
	want := []string{"effectiveTo", "expansion.minInsuredMonths", "verify"}
	if d := Differences(a, b); !slices.Equal(d, want) {
		t.Fatalf("Differences = %q, want %q", d, want)
	}
}

// TestAmendmentRules: an amendment supersedes a published, latest version
// it shares a day with, and overlaps nothing else; on the days before it
// starts the amended version stays in force.
func TestAmendmentRules(t *testing.T) {
	base := publish(t, State{}, expansionVersion("expansion-2025", "2025-01-01", "2025-12-31"))
	base = publish(t, base, expansionVersion("expansion-2026", "2026-01-01", "2026-12-31"))
	amend := func(id, from, to, supersedes string) Version {
		v := expansionVersion(id, from, to)
		v.Expansion.GrantAmount = money.Yuan(1800)
		v.Supersedes = supersedes
		return v
	}
	sameAsAmendment := expansionVersion("expansion-2026", "2026-01-01", "2026-12-31")
	sameAsAmendment.Supersedes = "expansion-2025"
	midYear := publish(t, base, amend("expansion-2025-h2", "2025-07-01", "2025-12-31", "expansion-2025"))
	for d, want := range map[string]string{"2025-06-30": "expansion-2025", "2025-07-01": "expansion-2025-h2", "2025-12-31": "expansion-2025-h2", "2026-01-01": "expansion-2026"} {
		if v, err := Select(midYear.Versions, programme.Expansion, calendar.MustParse(d)); err != nil || v.ID != want {
			t.Errorf("Select(%s) = %s, %v; want %s", d, v.ID, err, want)
		}
	}
	tests := []struct {
		name        string
		state       State
		v           Version
		field, rule string
	}{
		{"supersedes nothing published", base, amend("expansion-2025.r2", "2025-01-01", "2025-12-31", "expansion-2024"), "supersedes", "policy-supersedes-published"},
		{"supersedes an already amended version", midYear, amend("expansion-2025.r3", "2025-01-01", "2025-12-31", "expansion-2025"), "supersedes", "policy-supersede-latest"},
		{"shares no day with the amended version", base, amend("expansion-2027", "2027-01-01", "2027-12-31", "expansion-2025"), "effectiveFrom", "policy-amendment-overlaps"},
		{"overlaps another version", base, amend("expansion-2025.r2", "2025-01-01", "2026-01-01", "expansion-2025"), "effectiveFrom", "policy-no-overlap"},
		{"same ID and content, now as an amendment", base, sameAsAmendment, "id", "policy-version-immutable"},
		{"supersedes itself", base, amend("expansion-2025.r2", "2025-01-01", "2025-12-31", "expansion-2025.r2"), "supersedes", "policy-version-id"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			events, err := Decide(tt.state, byAdmin(tt.v))
			if field, rule := fieldRule(err); events != nil || field != tt.field || rule != tt.rule {
				t.Fatalf("Decide = %v, %v; want field %s rule %s", events, err, tt.field, tt.rule)
			}
		})
	}
	v := expansionVersion("expansion-2025", "2025-01-01", "2025-12-31")
	v.Supersedes = "expansion-2024"
	if _, err := Decide(base, revision(v)); !errors.Is(err, domain.ErrInvalid) {
		t.Fatalf("a revision naming what it supersedes: error %v, want ErrInvalid", err)
	}
}

// TestPolicyIsAnAdministratorsAct: publishing and revising need an
// administrator, a named actor and the command's time.
func TestPolicyIsAnAdministratorsAct(t *testing.T) {
	v := expansionVersion("expansion-2025", "2025-01-01", "2025-12-31")
	tests := []struct {
		name, actor, role string
		at                time.Time
		field, rule       string
	}{
		{"administrator", "admin1", role.Administrator, adminAt, "", ""},
		{"clerk", "clerk1", role.Clerk, adminAt, "role", "role-administrator"},
		{"approver", "approver1", role.Approver, adminAt, "role", "role-administrator"},
		{"auditor", "auditor1", role.Auditor, adminAt, "role", "role-administrator"},
		{"no role", "admin1", "", adminAt, "role", "role-administrator"},
		{"no actor", " ", role.Administrator, adminAt, "actor", "required"},
		{"no time", "admin1", role.Administrator, time.Time{}, "at", "required"},
	}
	for _, tt := range tests {
		for _, cmd := range []Command{
			PublishVersion{Version: v, Actor: tt.actor, Role: tt.role, At: tt.at},
			ReviseVersion{Version: v, Actor: tt.actor, Role: tt.role, At: tt.at},
		} {
			t.Run(tt.name, func(t *testing.T) {
				events, err := Decide(State{}, cmd)
				field, rule := fieldRule(err)
				if field != tt.field || rule != tt.rule {
					t.Fatalf("%T: error %v; want field %q rule %q", cmd, err, tt.field, tt.rule)
				}
				if (err == nil) != (len(events) == 1) {
					t.Fatalf("%T: events %v with error %v", cmd, events, err)
				}
			})
		}
	}
}
