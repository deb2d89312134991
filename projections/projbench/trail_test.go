package projbench_test

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/haixi-hrss/fundledger/domain/budget"
	"github.com/haixi-hrss/fundledger/domain/claim"
	"github.com/haixi-hrss/fundledger/domain/fund"
	"github.com/haixi-hrss/fundledger/eventstore"
	"github.com/haixi-hrss/fundledger/ledger/codec"
	"github.com/haixi-hrss/fundledger/ledger/schema"
	"github.com/haixi-hrss/fundledger/projections"
	"github.com/haixi-hrss/fundledger/projections/projbench"
)

// trailOracle answers the trail's queries the way the model did before
// it held compact records: full envelopes kept per claim, per actor and
// per line, straight from the log.
type trailOracle struct {
	claims map[string]*oracleClaim
	actors map[string][]projections.Action
	lines  map[string][]projections.Allocation
}

type oracleClaim struct {
	line, checkPolicy string
	entries           []projections.TrailEntry
	approvals         []projections.Approval
}

func entryOf(ev *eventstore.Event) projections.TrailEntry {
	m := ev.Metadata
	return projections.TrailEntry{Position: ev.Position, Stream: ev.Stream, Version: ev.Version, Type: ev.Type,
		RecordedAt: ev.RecordedAt.UTC(), Actor: m.Actor, Role: m.Role, CorrelationID: m.CorrelationID,
		CausationID: m.CausationID, PolicyVersion: m.PolicyVersion, EffectiveDate: m.EffectiveDate, Hash: ev.Hash.String()}
}

func newTrailOracle(t *testing.T, c *codec.Codec, evs []eventstore.Event) *trailOracle {
	t.Helper()
	o := &trailOracle{claims: map[string]*oracleClaim{}, actors: map[string][]projections.Action{},
		lines: map[string][]projections.Allocation{}}
	claimOf := func(id, line string) *oracleClaim {
		if o.claims[id] == nil {
			o.claims[id] = &oracleClaim{line: line, approvals: []projections.Approval{}}
		}
		return o.claims[id]
	}
	for i := range evs {
		ev := &evs[i]
		if strings.HasPrefix(ev.Stream, "idem-") || strings.HasPrefix(ev.Stream, "uniq-") || !slices.Contains(c.Types(), ev.Type) {
			continue
		}
		if a := ev.Metadata.Actor; a != "" {
			o.actors[a] = append(o.actors[a], projections.Action{Position: ev.Position, Stream: ev.Stream, Type: ev.Type})
		}
		d, err := c.Decode(ev)
		if err != nil {
			t.Fatal(err)
		}
		entry := entryOf(ev)
		if id, ok := strings.CutPrefix(ev.Stream, claim.Stream("")); ok {
			cl := claimOf(id, "")
			cl.entries = append(cl.entries, entry)
			switch e := d.(type) {
			case *claim.Submitted:
				cl.line = e.BudgetLineID
			case *claim.Checked:
				cl.checkPolicy = e.Terms.PolicyVersion
			case *claim.ApprovalRecorded:
				cl.approvals = append(cl.approvals, projections.Approval{Entry: entry, Round: e.Round, Actor: e.Actor, Role: e.Role})
			}
			continue
		}
		line := strings.TrimPrefix(ev.Stream, budget.Stream(""))
		var claimID string
		switch e := d.(type) {
		case *fund.Allocated:
			o.lines[e.BudgetLineID] = append(o.lines[e.BudgetLineID],
				projections.Allocation{Entry: entry, AllocationID: e.AllocationID, FundID: e.FundID, Amount: e.Amount})
		case *budget.FundsReserved:
			claimID = e.ClaimID
		case *budget.FundsSpent:
			claimID = e.ClaimID
		case *budget.FundsReleased:
			claimID = e.ClaimID
		case *budget.FundsRecovered:
			claimID = e.ClaimID
		}
		if claimID != "" {
			cl := claimOf(claimID, line)
			cl.entries = append(cl.entries, entry)
		}
	}
	return o
}

// trace is the old TracePayment over the oracle's claim.
func (o *trailOracle) trace(id string) (projections.PaymentTrace, bool) {
	c := o.claims[id]
	if c == nil {
		return projections.PaymentTrace{}, false
	}
	sub := slices.IndexFunc(c.entries, func(e projections.TrailEntry) bool { return e.Type == "ClaimSubmitted" })
	if sub < 0 {
		return projections.PaymentTrace{}, false
	}
	allocs := o.lines[c.line]
	if allocs == nil {
		allocs = []projections.Allocation{}
	}
	tr := projections.PaymentTrace{ClaimID: id, Submission: c.entries[sub], CheckPolicy: c.checkPolicy, Approvals: c.approvals,
		Payments: []projections.TrailEntry{}, BudgetLineID: c.line, Allocations: allocs}
	for _, e := range c.entries {
		switch e.Type {
		case "ClaimChecked":
			tr.Check = e
		case "ClaimPaymentReleased", "ClaimInstalmentPaid", "FundsSpent":
			tr.Payments = append(tr.Payments, e)
		}
	}
	if len(tr.Payments) == 0 {
		return projections.PaymentTrace{}, false
	}
	return tr, true
}

// TestTrailAnswersAsFullEnvelopes: on a generated ledger, the compact
// trail, rebuilt and restored from its binary state, answers every
// claim's trail and payment trace, every actor's actions and every line's
// allocations exactly as a model holding the full envelopes does.
func TestTrailAnswersAsFullEnvelopes(t *testing.T) {
	st, evs, _ := generated(t, 12)
	c := schema.Codec()
	o := newTrailOracle(t, c, evs)
	rebuilt := projections.NewTrail()
	if _, err := projections.Rebuild(context.Background(), st, c, nil, rebuilt); err != nil {
		t.Fatal(err)
	}
	state, err := rebuilt.MarshalState()
	if err != nil {
		t.Fatal(err)
	}
	restored := projections.NewTrail()
	if err := restored.UnmarshalState(state); err != nil {
		t.Fatal(err)
	}
	if len(o.claims) < 30 || len(o.actors) < 5 || len(o.lines) == 0 {
		t.Fatalf("the generated history is too small to compare: %d claims, %d actors, %d lines", len(o.claims), len(o.actors), len(o.lines))
	}
	traced := 0
	for name, tr := range map[string]*projections.Trail{"rebuilt": rebuilt, "restored": restored} {
		for id, want := range o.claims {
			if got, ok := tr.ClaimTrail(id); !ok || !reflect.DeepEqual(got, want.entries) {
				t.Fatalf("%s: trail of %s\n got %+v\nwant %+v", name, id, got, want.entries)
			}
			wantTrace, wantOK := o.trace(id)
			gotTrace, ok := tr.TracePayment(id)
			if ok != wantOK || !reflect.DeepEqual(gotTrace, wantTrace) {
				t.Fatalf("%s: trace of %s (%v)\n got %+v\nwant %+v", name, id, ok, gotTrace, wantTrace)
			}
			if ok {
				traced++
			}
		}
		for actor, want := range o.actors {
			if got := tr.ByActor(actor); !reflect.DeepEqual(got, want) {
				t.Fatalf("%s: %s did %d actions, want %d", name, actor, len(got), len(want))
			}
		}
		for line, want := range o.lines {
			if got := tr.Allocations(line); !reflect.DeepEqual(got, want) {
				t.Fatalf("%s: allocations to %s\n got %+v\nwant %+v", name, line, got, want)
			}
		}
		if _, ok := tr.ClaimTrail("no-such-claim"); ok {
			t.Errorf("%s: an unknown claim has a trail", name)
		}
	}
	if traced == 0 {
		t.Error("no payment was traced")
	}
	again, err := restored.MarshalState()
	if err != nil || string(again) != string(state) {
		t.Errorf("the restored trail marshals differently (err %v)", err)
	}
}

// TestTrailStateRefusesDamage: a trail state cut anywhere, or in the JSON
// of earlier releases, is refused and leaves the model empty.
func TestTrailStateRefusesDamage(t *testing.T) {
	st, _, _ := generated(t, 2)
	tr := projections.NewTrail()
	if _, err := projections.Rebuild(context.Background(), st, schema.Codec(), nil, tr); err != nil {
		t.Fatal(err)
	}
	state, err := tr.MarshalState()
	if err != nil {
		t.Fatal(err)
	}
	empty, _ := projections.NewTrail().MarshalState()
	for cut := len(state) - 1; cut > 0; cut -= 1 + cut/50 {
		got := projections.NewTrail()
		if err := got.UnmarshalState(state[:cut]); err == nil {
			t.Fatalf("a state cut at %d of %d bytes was restored", cut, len(state))
		}
		if s, _ := got.MarshalState(); string(s) != string(empty) {
			t.Fatalf("a state cut at %d left a partial model", cut)
		}
	}
	if err := projections.NewTrail().UnmarshalState([]byte(`{"claims":{},"actors":{},"lines":{}}`)); !errors.Is(err, projections.ErrSnapshotFormat) {
		t.Errorf("a JSON trail state: %v, want ErrSnapshotFormat", err)
	}
}

// TestRestartRefusesAnOutdatedSnapshot: a restart measured from a
// snapshot an earlier release wrote fails naming the refusal, rather than
// timing a full rebuild as a restart.
func TestRestartRefusesAnOutdatedSnapshot(t *testing.T) {
	ctx := context.Background()
	dir, _, err := projbench.Cached(ctx, t.TempDir(), projbench.Options{Employers: 2})
	if err != nil {
		t.Fatal(err)
	}
	snap := t.TempDir()
	if _, err := projbench.MeasureRebuild(ctx, dir, snap); err != nil {
		t.Fatal(err)
	}
	if _, err := projbench.MeasureRestart(ctx, dir, snap, 1); err != nil {
		t.Fatalf("restart from the fresh snapshot: %v", err)
	}
	old := `{"format":1,"checkpoint":1,"models":{}}`
	if err := os.WriteFile(filepath.Join(snap, projections.SnapshotFile), []byte(old), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := projbench.MeasureRestart(ctx, dir, snap, 1); !errors.Is(err, projections.ErrSnapshotFormat) {
		t.Errorf("restart from a format 1 snapshot: %v, want ErrSnapshotFormat", err)
	}
}
