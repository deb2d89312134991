package projections_test

import (
	"fmt"
	"reflect"
	"strings"
	"testing"

	"github.com/google/uuid"

	"github.com/haixi-hrss/fundledger/domain"
	"github.com/haixi-hrss/fundledger/domain/budget"
	"github.com/haixi-hrss/fundledger/domain/claim"
	"github.com/haixi-hrss/fundledger/domain/expansion"
	"github.com/haixi-hrss/fundledger/domain/fund"
	"github.com/haixi-hrss/fundledger/domain/money"
	"github.com/haixi-hrss/fundledger/domain/programme"
	"github.com/haixi-hrss/fundledger/domain/region"
	"github.com/haixi-hrss/fundledger/domain/role"
	"github.com/haixi-hrss/fundledger/eventstore"
	"github.com/haixi-hrss/fundledger/ledger"
	"github.com/haixi-hrss/fundledger/projections"
)

// envOf is the envelope the API gives a command of actor in role r.
func envOf(name, actor, r string) ledger.Command {
	return ledger.Command{ID: uuid.New(), Name: name, Actor: actor, Role: r, CorrelationID: "req-" + uuid.NewString(),
		EffectiveDate: claimEffective.String()}
}

// onClaimAs runs a claim command through Handle under env.
func (w *world) onClaimAs(id string, cmd claim.Command, env ledger.Command) {
	w.t.Helper()
	agg := ledger.Aggregate[claim.State]{Stream: claim.Stream(id), Evolve: claim.Evolve}
	env.Payload = cmd
	if _, err := ledger.Handle(w.ctx, w.svc, agg, env, func(s claim.State) ([]domain.Event, error) { return claim.Decide(s, cmd) }); err != nil {
		w.t.Fatalf("%T on %s: %v", cmd, id, err)
	}
}

// tracedClaim submits employer i's claim on the Golmud line, checks it
// under the seeded policy and approves it by approver; every command
// carries its actor, role and effective date in the envelope, the check
// also its policy version. It returns the claim ID and granted amount.
func (w *world) tracedClaim(i int, approver string) (string, money.Amount) {
	w.t.Helper()
	id := fmt.Sprintf("exp-%03d", i)
	f := hireFacts(i)
	cmd := claim.Submit{ClaimID: id, Programme: programme.Expansion, Beneficiary: claim.Beneficiary{Kind: claim.Employer, Ref: string(f.Employer)},
		Region: region.Golmud, BudgetLineID: golmud, EffectiveDate: claimEffective, UniquenessKeys: expansion.Keys(f),
		Actor: "clerk-1", Role: role.Clerk, At: at}
	if _, err := ledger.SubmitClaim(w.ctx, w.svc, cmd, envOf("SubmitClaim", "clerk-1", role.Clerk)); err != nil {
		w.t.Fatal(err)
	}
	v := expansionPolicy(w.t)
	a, err := expansion.Assess(v, claimEffective, f)
	if err != nil || !a.Eligible {
		w.t.Fatalf("assessment eligible=%v err=%v", a.Eligible, err)
	}
	env := envOf("CheckClaim", "clerk-2", role.Clerk)
	env.PolicyVersion = v.ID
	w.onClaimAs(id, claim.Check{Assessment: a, Policy: v, Actor: "clerk-2", Role: role.Clerk, At: at}, env)
	if _, err := ledger.ApproveClaim(w.ctx, w.svc, id, claim.Approve{Reason: "evidence complete", Actor: approver, Role: role.Approver, At: at},
		envOf("ApproveClaim", approver, role.Approver)); err != nil {
		w.t.Fatal(err)
	}
	return id, a.Amount
}

// payClaim discloses and pays claim id's single instalment, and spends the
// amount on the line as the payment's settlement.
func (w *world) payClaim(id string, amount money.Amount) {
	w.t.Helper()
	w.onClaimAs(id, claim.StartDisclosure{On: claimEffective, Masked: "9163**********010X", Actor: "clerk-2", Role: role.Clerk, At: at},
		envOf("StartDisclosure", "clerk-2", role.Clerk))
	w.onClaimAs(id, claim.CompleteDisclosure{On: claimEffective.AddDays(7), Actor: "clerk-2", Role: role.Clerk, At: at},
		envOf("CompleteDisclosure", "clerk-2", role.Clerk))
	w.onClaimAs(id, claim.ReleasePayment{Instalment: 1, PaymentID: "pay-" + id, Actor: "tr-1", Role: role.Treasurer, At: at},
		envOf("ReleasePayment", "tr-1", role.Treasurer))
	w.onClaimAs(id, claim.RecordPaymentResult{Instalment: 1, PaymentID: "pay-" + id, Paid: true, BankRef: "B-10", On: claimEffective.AddDays(9),
		Actor: "tr-1", Role: role.Treasurer, At: at}, envOf("RecordPaymentResult", "tr-1", role.Treasurer))
	spend := budget.Spend{PaymentID: id + "/spend/1", ClaimID: id, Amount: amount, Actor: "tr-1", Role: role.Treasurer, At: at}
	agg := ledger.Aggregate[budget.State]{Stream: budget.Stream(golmud), Evolve: budget.Evolve}
	env := envOf("Spend", "tr-1", role.Treasurer)
	env.Payload = spend
	if _, err := ledger.Handle(w.ctx, w.svc, agg, env, func(s budget.State) ([]domain.Event, error) { return budget.Decide(s, spend) }); err != nil {
		w.t.Fatal(err)
	}
}

// byPosition indexes the stored log.
func (w *world) byPosition() map[uint64]eventstore.Event {
	w.t.Helper()
	out := map[uint64]eventstore.Event{}
	for _, ev := range w.log(0) {
		out[ev.Position] = ev
	}
	return out
}

// checkEntry fails unless e is the stored event at its position, field by
// field, hash included.
func checkEntry(t *testing.T, log map[uint64]eventstore.Event, e projections.TrailEntry) {
	t.Helper()
	ev, ok := log[e.Position]
	if !ok {
		t.Fatalf("no stored event at %d", e.Position)
	}
	m := ev.Metadata
	want := projections.TrailEntry{Position: ev.Position, Stream: ev.Stream, Version: ev.Version, Type: ev.Type, RecordedAt: ev.RecordedAt.UTC(),
		Actor: m.Actor, Role: m.Role, CorrelationID: m.CorrelationID, CausationID: m.CausationID, PolicyVersion: m.PolicyVersion,
		EffectiveDate: m.EffectiveDate, Hash: ev.Hash.String()}
	if !reflect.DeepEqual(e, want) {
		t.Errorf("entry at %d:\n got %+v\nwant %+v", e.Position, e, want)
	}
	if ev.Hash.IsZero() || len(e.Hash) != 64 {
		t.Errorf("entry at %d: hash %q", e.Position, e.Hash)
	}
}

type step struct{ typ, stream, actor, role string }

// TestTrailOfAPaidClaim drives a claim from submission to payment through
// the ledger and checks its exact trail, the actor index and the payment
// trace, every entry against the stored event.
func TestTrailOfAPaidClaim(t *testing.T) {
	w := newWorld(t)
	w.phaseOne()
	id, amount := w.tracedClaim(10, "appr-1")
	other, _ := w.tracedClaim(11, "appr-2")
	w.payClaim(id, amount)
	tr := projections.NewTrail()
	if _, err := w.runner(tr).CatchUp(w.ctx); err != nil {
		t.Fatal(err)
	}
	log := w.byPosition()
	v := expansionPolicy(t)

	got, ok := tr.ClaimTrail(id)
	if !ok {
		t.Fatal("no trail")
	}
	cs, bs := claim.Stream(id), budget.Stream(golmud)
	want := []step{
		{"ClaimSubmitted", cs, "clerk-1", role.Clerk}, {"ClaimChecked", cs, "clerk-2", role.Clerk},
		{"FundsReserved", bs, "appr-1", role.Approver}, {"ClaimApprovalRecorded", cs, "appr-1", role.Approver},
		{"ClaimApproved", cs, "appr-1", role.Approver}, {"ClaimDisclosureStarted", cs, "clerk-2", role.Clerk},
		{"ClaimDisclosed", cs, "clerk-2", role.Clerk}, {"ClaimPaymentReleased", cs, "tr-1", role.Treasurer},
		{"ClaimInstalmentPaid", cs, "tr-1", role.Treasurer}, {"FundsSpent", bs, "tr-1", role.Treasurer},
	}
	var steps []step
	for i, e := range got {
		checkEntry(t, log, e)
		steps = append(steps, step{e.Type, e.Stream, e.Actor, e.Role})
		if i > 0 && e.Position <= got[i-1].Position {
			t.Errorf("trail out of log order at %d", i)
		}
		if e.EffectiveDate != "2025-03-03" {
			t.Errorf("%s effective %q", e.Type, e.EffectiveDate)
		}
	}
	if !reflect.DeepEqual(steps, want) {
		t.Fatalf("trail\n got %v\nwant %v", steps, want)
	}
	if got[1].PolicyVersion != v.ID || v.ID == "" || got[0].PolicyVersion != "" {
		t.Errorf("policy versions %q %q, want the check under %q", got[0].PolicyVersion, got[1].PolicyVersion, v.ID)
	}
	// The ledger's reservation is caused by the approval command.
	if got[2].CausationID == "" || got[2].CausationID != got[3].CausationID || got[2].CorrelationID != got[3].CorrelationID {
		t.Errorf("reservation not linked to its approval: %+v / %+v", got[2], got[3])
	}
	// The other claim's movements on the same line stay out of this trail.
	if o, _ := tr.ClaimTrail(other); len(o) != 5 || o[2].Type != "FundsReserved" || o[2].Actor != "appr-2" {
		t.Errorf("other claim's trail %+v", o)
	}
	// A hand reservation for a claim this log never submitted has a trail
	// of its movements but no payment to trace.
	if c1, ok := tr.ClaimTrail("c1"); !ok || len(c1) != 1 || c1[0].Type != "FundsReserved" {
		t.Errorf("c1 trail %+v", c1)
	}
	if _, ok := tr.ClaimTrail("exp-999"); ok {
		t.Error("unknown claim has a trail")
	}

	// Everything appr-1 and tr-1 did, in log order; the fund's admin
	// commands carried no envelope actor and are indexed under none.
	wantActs := func(actor string, evs []projections.TrailEntry) {
		t.Helper()
		var acts []projections.Action
		for _, e := range evs {
			acts = append(acts, projections.Action{Position: e.Position, Stream: e.Stream, Type: e.Type})
		}
		if gotActs := tr.ByActor(actor); !reflect.DeepEqual(gotActs, acts) {
			t.Errorf("%s did\n %+v\nwant %+v", actor, gotActs, acts)
		}
	}
	wantActs("appr-1", got[2:5])
	wantActs("tr-1", got[7:10])
	o, _ := tr.ClaimTrail(other)
	wantActs("clerk-1", []projections.TrailEntry{got[0], o[0]})
	wantActs("clerk-2", []projections.TrailEntry{got[1], o[1], got[5], got[6]})
	if a := tr.ByActor("admin-1"); len(a) != 0 {
		t.Errorf("admin-1 indexed %+v", a)
	}

	trace, ok := tr.TracePayment(id)
	if !ok {
		t.Fatal("no payment trace")
	}
	var alloc eventstore.Event
	for _, ev := range log {
		if ev.Type == "FundAllocated" && strings.Contains(string(ev.Data), golmud) {
			alloc = ev
		}
	}
	if alloc.Position == 0 {
		t.Fatal("no FundAllocated for the line in the log")
	}
	if len(trace.Allocations) != 1 {
		t.Fatalf("allocations %+v", trace.Allocations)
	}
	checkEntry(t, log, trace.Allocations[0].Entry)
	approval := log[got[3].Position]
	rec, err := w.codec.Decode(&approval)
	if err != nil {
		t.Fatal(err)
	}
	wantTrace := projections.PaymentTrace{
		ClaimID: id, Submission: got[0], Check: got[1], CheckPolicy: v.ID,
		Approvals: []projections.Approval{{Entry: got[3], Round: rec.(*claim.ApprovalRecorded).Round, Actor: "appr-1", Role: role.Approver}},
		Payments:  got[7:10], BudgetLineID: golmud,
		Allocations: []projections.Allocation{{Entry: trace.Allocations[0].Entry, AllocationID: "al-1", FundID: fundID,
			Amount: money.MustParse("500000.00")}},
	}
	if !reflect.DeepEqual(trace, wantTrace) {
		t.Errorf("trace\n got %+v\nwant %+v", trace, wantTrace)
	}
	if p := trace.Allocations[0].Entry; p.Position != alloc.Position || p.Stream != fund.Stream(fundID) {
		t.Errorf("allocation entry %+v, want position %d on the fund's stream", p, alloc.Position)
	}
	for _, unpaid := range []string{other, "c1", "exp-999"} {
		if _, ok := tr.TracePayment(unpaid); ok {
			t.Errorf("%s has a payment trace", unpaid)
		}
	}

	// No payload is copied: the person reference behind the uniqueness
	// keys and the beneficiary never reach the auditors' model.
	state, err := tr.MarshalState()
	if err != nil {
		t.Fatal(err)
	}
	for _, secret := range []string{string(personRef(10)), string(employerCode(10)), "9163**********010X"} {
		if strings.Contains(string(state), secret) {
			t.Errorf("trail state holds %q", secret)
		}
	}
}

// TestTrailIncrementalEqualsRebuildAndAsOf checks that the trail fed in
// two catch-ups, restored from its snapshot and rebuilt from the log are
// one model, and that an as-of replay gives a prefix of the trail.
func TestTrailIncrementalEqualsRebuildAndAsOf(t *testing.T) {
	w := newWorld(t)
	w.phaseOne()
	id, amount := w.tracedClaim(10, "appr-1")
	inc := projections.NewTrail()
	r := w.runner(inc)
	if _, err := r.CatchUp(w.ctx); err != nil {
		t.Fatal(err)
	}
	approved, _ := inc.ClaimTrail(id)
	w.payClaim(id, amount)
	w.tracedClaim(11, "appr-2")
	if _, err := r.CatchUp(w.ctx); err != nil {
		t.Fatal(err)
	}
	full := projections.NewTrail()
	if _, err := projections.Rebuild(w.ctx, w.store, w.codec, nil, full); err != nil {
		t.Fatal(err)
	}
	mustEqual(t, "incremental and rebuilt trails", inc, full)
	restored := projections.NewTrail()
	w.runner(restored)
	mustEqual(t, "restored and rebuilt trails", restored, full)
	if _, ok := restored.TracePayment(id); !ok {
		t.Error("restored trail lost the payment")
	}
	whole, _ := full.ClaimTrail(id)
	if len(whole) != 10 || len(approved) != 5 || !reflect.DeepEqual(whole[:5], approved) {
		t.Fatalf("trail after approval %d entries is not a prefix of the whole %d", len(approved), len(whole))
	}

	past := projections.NewTrail()
	pr, err := projections.AsOf(w.ctx, w.store, w.codec, approved[4].RecordedAt, past)
	if err != nil {
		t.Fatal(err)
	}
	if pr.Position != approved[4].Position {
		t.Errorf("as-of replay stopped at %d, want %d", pr.Position, approved[4].Position)
	}
	if then, _ := past.ClaimTrail(id); !reflect.DeepEqual(then, approved) {
		t.Errorf("as-of trail\n %+v\nwant %+v", then, approved)
	}
	if _, ok := past.TracePayment(id); ok {
		t.Error("as of the approval, a payment was traced")
	}
	if a := past.ByActor("tr-1"); len(a) != 0 {
		t.Errorf("as of the approval tr-1 had done %+v", a)
	}
	if _, ok := past.ClaimTrail("exp-011"); ok {
		t.Error("as of the approval, a later claim has a trail")
	}
}
