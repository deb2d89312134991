package main

import (
	"context"
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/haixi-hrss/fundledger/domain"
	"github.com/haixi-hrss/fundledger/domain/calendar"
	"github.com/haixi-hrss/fundledger/domain/policy"
	"github.com/haixi-hrss/fundledger/domain/programme"
	"github.com/haixi-hrss/fundledger/domain/role"
	"github.com/haixi-hrss/fundledger/ledger"
	"github.com/haixi-hrss/fundledger/ledger/datadir"
	"github.com/haixi-hrss/fundledger/ledger/schema"
)

// olderSeed is the seed as ledgers published it before the one-time
// absorption subsidy was added to absorption-2023/24/25.
func olderSeed(t *testing.T) []policy.Version {
	t.Helper()
	versions, err := policy.Seed()
	if err != nil {
		t.Fatal(err)
	}
	for i, v := range versions {
		if v.Programme == programme.Absorption {
			a := *v.Absorption
			a.OneTime = nil
			v.Absorption = &a
			v.Verify = slices.DeleteFunc(slices.Clone(v.Verify), func(p string) bool { return strings.HasPrefix(p, "absorption.oneTime") })
			v.Note = ""
			versions[i] = v
		}
	}
	return versions
}

// policyCommand runs one policy command as the administrator and returns
// how many events it appended.
func policyCommand(t *testing.T, l *datadir.Ledger, p programme.Code, name string, cmd policy.Command) (int, error) {
	t.Helper()
	env := ledger.Command{ID: uuid.New(), Name: name, Actor: "admin-1", Role: role.Administrator, Payload: cmd}
	res, err := ledger.Handle(context.Background(), l.Service, schema.Policy(p), env,
		func(s policy.State) ([]domain.Event, error) { return policy.Decide(s, cmd) })
	return len(res.Events), err
}

// TestRevisedSeedOnALedgerThatPublishedTheOlderOne: a ledger that
// published the older seed takes the current one: the three changed
// absorption versions are appended as amendments, the rest is skipped, a
// second run appends nothing, the old events stay as they were, and
// publishing changed content under an old ID is refused naming the fields.
func TestRevisedSeedOnALedgerThatPublishedTheOlderOne(t *testing.T) {
	dir := t.TempDir()
	clock := time.Date(2025, 1, 2, 9, 0, 0, 0, time.UTC)
	at := clock
	l := testLedger(t, dir, &clock)
	for _, v := range olderSeed(t) {
		if n, err := policyCommand(t, l, v.Programme, "PublishPolicyVersion", policy.PublishVersion{Version: v, Actor: "admin-1", Role: role.Administrator, At: at}); err != nil || n != 1 {
			t.Fatalf("publish the older %s: %d events, %v", v.ID, n, err)
		}
	}
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
	l = testLedger(t, dir, &clock)
	current, err := policy.Seed()
	if err != nil {
		t.Fatal(err)
	}
	revise := func() int {
		total := 0
		for _, v := range current {
			n, err := policyCommand(t, l, v.Programme, "RevisePolicyVersion", policy.ReviseVersion{Version: v, Actor: "admin-1", Role: role.Administrator, At: at})
			if err != nil {
				t.Fatalf("revise %s: %v", v.ID, err)
			}
			total += n
		}
		return total
	}
	if n := revise(); n != 3 {
		t.Fatalf("the current seed appended %d events, want the 3 absorption amendments", n)
	}
	if n := revise(); n != 0 {
		t.Fatalf("the current seed again appended %d events, want none", n)
	}

	evs, err := l.Store.ReadStream(context.Background(), policy.Stream(programme.Absorption), 0, 0)
	if err != nil {
		t.Fatal(err)
	}
	var s policy.State
	for i := range evs {
		e, err := l.Codec.Decode(&evs[i])
		if err != nil {
			t.Fatal(err)
		}
		s = policy.Evolve(s, e)
	}
	if len(s.Versions) != 6 {
		t.Fatalf("the absorption stream holds %d versions, want 3 + 3 amendments", len(s.Versions))
	}
	for i, v := range s.Versions[:3] {
		if v.Absorption.OneTime != nil || v.Supersedes != "" {
			t.Errorf("published version %d (%s) changed: %+v", i, v.ID, v)
		}
	}
	v, err := policy.Select(s.Versions, programme.Absorption, calendar.MustParse("2024-05-01"))
	if err != nil || v.ID != "absorption-2024.r2" || v.Supersedes != "absorption-2024" || v.Absorption.OneTime == nil {
		t.Fatalf("in force on 2024-05-01: %s (supersedes %q), %v; want absorption-2024.r2 with the one-time subsidy", v.ID, v.Supersedes, err)
	}

	for _, v := range current {
		if v.ID == "absorption-2023" {
			_, err := policyCommand(t, l, v.Programme, "PublishPolicyVersion", policy.PublishVersion{Version: v, Actor: "admin-1", Role: role.Administrator, At: at})
			var ce *policy.ChangedError
			if !errors.As(err, &ce) || ce.ID != "absorption-2023" || !slices.Contains(ce.Fields, "absorption.oneTime") {
				t.Fatalf("publishing changed content under absorption-2023: %v; want a ChangedError naming absorption.oneTime", err)
			}
		}
	}
}
