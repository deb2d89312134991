package projections_test

import (
	"bytes"
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/google/uuid"

	"github.com/haixi-hrss/fundledger/domain"
	"github.com/haixi-hrss/fundledger/domain/absorption"
	"github.com/haixi-hrss/fundledger/domain/calendar"
	"github.com/haixi-hrss/fundledger/domain/claim"
	"github.com/haixi-hrss/fundledger/domain/employer"
	"github.com/haixi-hrss/fundledger/domain/expansion"
	"github.com/haixi-hrss/fundledger/domain/identity"
	"github.com/haixi-hrss/fundledger/domain/money"
	"github.com/haixi-hrss/fundledger/domain/programme"
	"github.com/haixi-hrss/fundledger/domain/region"
	"github.com/haixi-hrss/fundledger/domain/role"
	"github.com/haixi-hrss/fundledger/domain/uniqueness"
	"github.com/haixi-hrss/fundledger/eventstore"
	"github.com/haixi-hrss/fundledger/eventstore/sqlite"
	"github.com/haixi-hrss/fundledger/ledger/codec"
	"github.com/haixi-hrss/fundledger/ledger/schema"
	"github.com/haixi-hrss/fundledger/projections"
)

// The people and units of the crafted logs.
var (
	anPersonP = strings.Repeat("a1", 32)
	anPersonQ = strings.Repeat("b2", 32)
	anUnitE1  = anCreditCode(1)
	anUnitE2  = anCreditCode(2)
)

func anCreditCode(i int) string {
	body := fmt.Sprintf("91632801MA%07d", i)
	c, ok := identity.CreditCheckChar(body)
	if !ok {
		panic(body)
	}
	return body + string(c)
}

// anStep is one crafted event: its label (to name its position), stream and
// payload.
type anStep struct {
	label, stream string
	ev            domain.Event
}

var anDay = calendar.MustParse("2025-03-03")

func anOnClaim(label, id string, ev domain.Event) anStep { return anStep{label, claim.Stream(id), ev} }

func anSubmitted(label, id string, p programme.Code, kind, ref, clerk string, keys ...uniqueness.Key) anStep {
	return anOnClaim(label, id, &claim.Submitted{ClaimID: id, Programme: p, Beneficiary: claim.Beneficiary{Kind: kind, Ref: ref},
		Region: region.Golmud, BudgetLineID: "line-1", EffectiveDate: anDay, UniquenessKeys: keys,
		By: claim.By{Actor: clerk, Role: role.Clerk, At: at}})
}

func anExpansionFor(label, id, unit, person string) anStep {
	return anSubmitted(label, id, programme.Expansion, claim.Employer, unit, "clerk1", uniqueness.Key{Rule: expansion.KeyPerson, Value: person})
}

func anMonthKey(person, month string) uniqueness.Key {
	return uniqueness.Key{Rule: absorption.KeyPersonMonth, Value: person + "|" + month}
}

func anAbsorptionFor(label, id, unit, person, month string) anStep {
	return anSubmitted(label, id, programme.Absorption, claim.Employer, unit, "clerk1", anMonthKey(person, month))
}

func anReleased(label, id string, n int, payment string) anStep {
	return anOnClaim(label, id, &claim.PaymentReleased{Instalment: n, Amount: money.MustParse("100.00"), PaymentID: payment,
		By: claim.By{Actor: "tre1", Role: role.Treasurer, At: at}})
}

func anPaid(label, id string, n int, payment string) anStep {
	return anOnClaim(label, id, &claim.InstalmentPaid{Instalment: n, Amount: money.MustParse("100.00"), PaymentID: payment,
		SpendID: id + "/" + payment, BankRef: "B-" + payment, On: anDay, BudgetLineID: "line-1",
		By: claim.By{Actor: "tre1", Role: role.Treasurer, At: at}})
}

func anClawedBack(label, id string) anStep {
	return anOnClaim(label, id, &claim.ClawedBack{RecoveryID: "r1", RecoverID: id + "/r1", Amount: money.MustParse("100.00"),
		Reason: "fraud", Detail: "forged contract", On: anDay, BudgetLineID: "line-1",
		By: claim.By{Actor: "appr1", Role: role.Approver, At: at}})
}

func anApprovalRecorded(label, id, actor string, round int) anStep {
	return anOnClaim(label, id, &claim.ApprovalRecorded{Round: round, Reason: "ok", By: claim.By{Actor: actor, Role: role.Approver, At: at}})
}

func anApproved(label, id, actor string, round int, approvers ...string) anStep {
	return anOnClaim(label, id, &claim.Approved{Round: round, Amount: money.MustParse("100.00"), BudgetLineID: "line-1",
		ReservationID: fmt.Sprintf("%s/reserve/%d", id, round), Approvers: approvers,
		By: claim.By{Actor: actor, Role: role.Approver, At: at}})
}

func anFlagged(label, unit string) anStep {
	return anStep{label, employer.Stream(unit), &employer.DishonestyFlagged{On: anDay, Reason: "listed",
		By: employer.By{Actor: "admin-1", Role: role.Administrator, At: at}}}
}

func anCleared(label, unit string) anStep {
	return anStep{label, employer.Stream(unit), &employer.DishonestyCleared{On: anDay, Reason: "delisted",
		By: employer.By{Actor: "admin-1", Role: role.Administrator, At: at}}}
}

// anCraftedLog appends steps to a new embedded store through the ledger's
// codec, bypassing the domain as an import or an older version would, and
// returns the store and each label's position.
func anCraftedLog(t *testing.T, steps []anStep) (*sqlite.Store, *codec.Codec, map[string]uint64) {
	t.Helper()
	st, err := sqlite.Open(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	c := schema.Codec()
	pos := map[string]uint64{}
	for _, s := range steps {
		pos[s.label] = anAppend(t, st, c, s)
	}
	return st, c, pos
}

// anAppend appends step s to st through codec c and returns its position.
func anAppend(t *testing.T, st eventstore.Store, c *codec.Codec, s anStep) uint64 {
	t.Helper()
	typ, ver, data, err := c.Encode(s.ev)
	if err != nil {
		t.Fatal(err)
	}
	res, err := st.Append(context.Background(), s.stream, eventstore.Any,
		eventstore.EventData{ID: uuid.New(), Type: typ, SchemaVersion: ver, Data: data})
	if err != nil {
		t.Fatal(err)
	}
	return res.Position
}

func anRebuildAnomalies(t *testing.T, st eventstore.Store, c *codec.Codec) *projections.Anomalies {
	t.Helper()
	a := projections.NewAnomalies()
	if _, err := projections.Rebuild(context.Background(), st, c, nil, a); err != nil {
		t.Fatal(err)
	}
	return a
}

// anWant is an expected anomaly: positions and claims by label and ID.
type anWant struct {
	kind      projections.AnomalyKind
	claims    []string
	positions []string
	subject   string
}

func TestAnomalies(t *testing.T) {
	tests := []struct {
		name  string
		steps []anStep
		want  []anWant
	}{
		{"expansion then absorption for the same person", []anStep{
			anExpansionFor("s1", "exp-1", anUnitE1, anPersonP), anPaid("p1", "exp-1", 1, "pay-1"),
			anAbsorptionFor("s2", "abs-1", anUnitE2, anPersonP, "2025-03"), anReleased("r2", "abs-1", 1, "pay-2"), anPaid("p2", "abs-1", 1, "pay-2"),
		}, []anWant{{projections.ExclusiveProgrammes, []string{"exp-1", "abs-1"}, []string{"p1", "p2"}, anPersonP}}},
		{"absorption then expansion for the same person", []anStep{
			anAbsorptionFor("s1", "abs-1", anUnitE1, anPersonP, "2025-03"), anPaid("p1", "abs-1", 1, "pay-1"),
			anExpansionFor("s2", "exp-1", anUnitE1, anPersonP), anPaid("p2", "exp-1", 1, "pay-2"), anPaid("p3", "exp-1", 2, "pay-3"),
		}, []anWant{{projections.ExclusiveProgrammes, []string{"abs-1", "exp-1"}, []string{"p1", "p2"}, anPersonP}}},
		{"expansion and absorption for different persons", []anStep{
			anExpansionFor("s1", "exp-1", anUnitE1, anPersonP), anPaid("p1", "exp-1", 1, "pay-1"),
			anAbsorptionFor("s2", "abs-1", anUnitE1, anPersonQ, "2025-03"), anPaid("p2", "abs-1", 1, "pay-2"),
		}, nil},
		{"absorption released but never paid", []anStep{
			anExpansionFor("s1", "exp-1", anUnitE1, anPersonP), anPaid("p1", "exp-1", 1, "pay-1"),
			anAbsorptionFor("s2", "abs-1", anUnitE1, anPersonP, "2025-03"), anReleased("r2", "abs-1", 1, "pay-2"),
		}, nil},
		{"absorption and social insurance for the same person-month", []anStep{
			anAbsorptionFor("s1", "abs-1", anUnitE1, anPersonP, "2025-03"), anPaid("p1", "abs-1", 1, "pay-1"),
			anSubmitted("s2", "si-1", programme.SocialInsurance, claim.Person, anPersonP, "clerk1", anMonthKey(anPersonP, "2025-03")),
			anPaid("p2", "si-1", 1, "pay-2"),
		}, []anWant{{projections.ExclusiveProgrammes, []string{"abs-1", "si-1"}, []string{"p1", "p2"}, anPersonP}}},
		{"absorption and social insurance for different months", []anStep{
			anAbsorptionFor("s1", "abs-1", anUnitE1, anPersonP, "2025-03"), anPaid("p1", "abs-1", 1, "pay-1"),
			anSubmitted("s2", "si-1", programme.SocialInsurance, claim.Person, anPersonP, "clerk1", anMonthKey(anPersonP, "2025-04")),
			anPaid("p2", "si-1", 1, "pay-2"),
		}, nil},
		{"payment after a clawback on the same claim", []anStep{
			anAbsorptionFor("s1", "c1", anUnitE1, anPersonP, "2025-03"), anPaid("p1", "c1", 1, "pay-1"), anClawedBack("k1", "c1"),
			anReleased("r2", "c1", 2, "pay-2"), anPaid("p2", "c1", 2, "pay-2"),
		}, []anWant{{projections.PaymentAfterClawback, []string{"c1"}, []string{"k1", "r2"}, anUnitE1}}},
		{"payment after a clawback from the same employer", []anStep{
			anAbsorptionFor("s1", "c1", anUnitE1, anPersonP, "2025-03"), anPaid("p1", "c1", 1, "pay-1"), anClawedBack("k1", "c1"),
			anAbsorptionFor("s2", "c2", anUnitE1, anPersonQ, "2025-03"), anPaid("p2", "c2", 1, "pay-2"),
		}, []anWant{{projections.PaymentAfterClawback, []string{"c1", "c2"}, []string{"k1", "p2"}, anUnitE1}}},
		{"payment after a clawback from the same person", []anStep{
			anSubmitted("s1", "si-1", programme.SocialInsurance, claim.Person, anPersonP, "clerk1", anMonthKey(anPersonP, "2025-03")),
			anPaid("p1", "si-1", 1, "pay-1"), anClawedBack("k1", "si-1"),
			anSubmitted("s2", "si-2", programme.SocialInsurance, claim.Person, anPersonP, "clerk1", anMonthKey(anPersonP, "2025-04")),
			anReleased("r2", "si-2", 1, "pay-2"),
		}, []anWant{{projections.PaymentAfterClawback, []string{"si-1", "si-2"}, []string{"k1", "r2"}, anPersonP}}},
		{"payments before a clawback, and to another employer", []anStep{
			anAbsorptionFor("s1", "c1", anUnitE1, anPersonP, "2025-03"), anPaid("p1", "c1", 1, "pay-1"),
			anAbsorptionFor("s2", "c2", anUnitE2, anPersonQ, "2025-03"), anClawedBack("k1", "c1"), anPaid("p2", "c2", 1, "pay-2"),
		}, nil},
		{"approval recorded by the submitter", []anStep{
			anExpansionFor("s1", "c1", anUnitE1, anPersonP), anApprovalRecorded("a1", "c1", "clerk1", 0),
			anApproved("a2", "c1", "clerk1", 0, "clerk1"),
			anApprovalRecorded("a3", "c1", "clerk1", 1),
		}, []anWant{
			{projections.SelfApproval, []string{"c1"}, []string{"s1", "a1"}, ""},
			{projections.SelfApproval, []string{"c1"}, []string{"s1", "a3"}, ""},
		}},
		{"approval decision listing the submitter, as an older version wrote it", []anStep{
			anExpansionFor("s1", "c1", anUnitE1, anPersonP), anApproved("a1", "c1", "appr1", 0, "clerk1", "appr1"),
		}, []anWant{{projections.SelfApproval, []string{"c1"}, []string{"s1", "a1"}, ""}}},
		{"approved by others", []anStep{
			anExpansionFor("s1", "c1", anUnitE1, anPersonP), anApprovalRecorded("a1", "c1", "appr1", 0),
			anApprovalRecorded("a2", "c1", "appr2", 0), anApproved("a3", "c1", "appr2", 0, "appr1", "appr2"),
		}, nil},
		{"payment to an employer flagged dishonest", []anStep{
			anFlagged("f1", anUnitE1), anExpansionFor("s1", "c1", anUnitE1, anPersonP),
			anReleased("r1", "c1", 1, "pay-1"), anPaid("p1", "c1", 1, "pay-1"),
		}, []anWant{{projections.PaymentToDishonestEmployer, []string{"c1"}, []string{"f1", "r1"}, anUnitE1}}},
		{"flag cleared before the payment, flagged again after it", []anStep{
			anExpansionFor("s1", "c1", anUnitE1, anPersonP), anFlagged("f1", anUnitE1), anCleared("x1", anUnitE1),
			anPaid("p1", "c1", 1, "pay-1"), anFlagged("f2", anUnitE1), anPaid("p2", "c1", 2, "pay-2"),
		}, []anWant{{projections.PaymentToDishonestEmployer, []string{"c1"}, []string{"f2", "p2"}, anUnitE1}}},
		{"another employer flagged", []anStep{
			anFlagged("f1", anUnitE2), anExpansionFor("s1", "c1", anUnitE1, anPersonP), anPaid("p1", "c1", 1, "pay-1"),
		}, nil},
		{"events of a claim the log never submitted", []anStep{
			anFlagged("f1", anUnitE1), anPaid("p1", "ghost", 1, "pay-1"), anApprovalRecorded("a1", "ghost", "clerk1", 0),
		}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			st, c, pos := anCraftedLog(t, tt.steps)
			got := anRebuildAnomalies(t, st, c).List(projections.AnomalyFilter{})
			if len(got) != len(tt.want) {
				t.Fatalf("found %d anomalies, want %d: %+v", len(got), len(tt.want), got)
			}
			for i, w := range tt.want {
				g := got[i]
				var positions []uint64
				for _, label := range w.positions {
					positions = append(positions, pos[label])
				}
				if g.Kind != w.kind || !slices.Equal(g.Claims, w.claims) || !slices.Equal(g.Positions, positions) || g.Subject.Ref != w.subject {
					t.Errorf("anomaly %d = %s %v at %v about %q; want %s %v at %v about %q",
						i, g.Kind, g.Claims, g.Positions, g.Subject.Ref, w.kind, w.claims, positions, w.subject)
				}
				for _, id := range w.claims {
					if !strings.Contains(g.Explanation, id) {
						t.Errorf("anomaly %d's explanation %q does not name claim %s", i, g.Explanation, id)
					}
				}
				if w.kind == projections.SelfApproval && g.Actor != "clerk1" {
					t.Errorf("self-approval by %q, want clerk1", g.Actor)
				}
			}
		})
	}
}

// anMixedLog holds one anomaly of each kind, in a known order.
func anMixedLog() []anStep {
	return []anStep{
		anFlagged("f1", anUnitE2),
		anExpansionFor("s1", "exp-1", anUnitE1, anPersonP), anApprovalRecorded("a1", "exp-1", "clerk1", 0), anPaid("p1", "exp-1", 1, "pay-1"),
		anAbsorptionFor("s2", "abs-1", anUnitE2, anPersonP, "2025-03"), anPaid("p2", "abs-1", 1, "pay-2"),
		anClawedBack("k1", "exp-1"), anReleased("r3", "exp-1", 2, "pay-3"),
		anAbsorptionFor("s3", "abs-2", anUnitE2, anPersonQ, "2025-04"), anApprovalRecorded("a2", "abs-2", "clerk1", 0),
		anReleased("r4", "abs-2", 1, "pay-4"),
	}
}

func TestAnomalyListFiltersByKindInLogOrder(t *testing.T) {
	st, c, _ := anCraftedLog(t, anMixedLog())
	a := anRebuildAnomalies(t, st, c)
	all := a.List(projections.AnomalyFilter{})
	var kinds []projections.AnomalyKind
	for i, an := range all {
		kinds = append(kinds, an.Kind)
		if i > 0 && an.Positions[len(an.Positions)-1] < all[i-1].Positions[len(all[i-1].Positions)-1] {
			t.Errorf("anomaly %d was revealed before anomaly %d", i, i-1)
		}
	}
	wantKinds := []projections.AnomalyKind{
		projections.SelfApproval, projections.PaymentToDishonestEmployer, projections.ExclusiveProgrammes,
		projections.PaymentAfterClawback, projections.SelfApproval, projections.PaymentToDishonestEmployer,
	}
	if !slices.Equal(kinds, wantKinds) {
		t.Fatalf("kinds %v, want %v", kinds, wantKinds)
	}
	for _, kind := range []projections.AnomalyKind{projections.SelfApproval, projections.PaymentToDishonestEmployer,
		projections.ExclusiveProgrammes, projections.PaymentAfterClawback} {
		got := a.List(projections.AnomalyFilter{Kind: kind})
		var want []projections.Anomaly
		for _, an := range all {
			if an.Kind == kind {
				want = append(want, an)
			}
		}
		if len(got) == 0 || fmt.Sprint(got) != fmt.Sprint(want) {
			t.Errorf("filter %s = %v, want %v", kind, got, want)
		}
	}
	// A caller changing what List returned does not change the report.
	all[0].Claims[0] = "changed"
	if a.List(projections.AnomalyFilter{})[0].Claims[0] == "changed" {
		t.Error("List shares its slices with the model")
	}
}

// anHideInterest hides Anomalies' Interest method, so the runner decodes
// every event for it.
type anHideInterest struct{ projections.Projection }

// TestAnomaliesStateIsAFunctionOfTheLog: a model built incrementally
// across a snapshot equals one rebuilt from position 0, and one fed every
// event decoded, byte for byte (design invariant 11).
func TestAnomaliesStateIsAFunctionOfTheLog(t *testing.T) {
	ctx := context.Background()
	st, c, _ := anCraftedLog(t, anMixedLog())
	full := anRebuildAnomalies(t, st, c)
	anWant, err := full.MarshalState()
	if err != nil {
		t.Fatal(err)
	}
	everything := projections.NewAnomalies()
	if _, err := projections.Rebuild(ctx, st, c, nil, anHideInterest{everything}); err != nil {
		t.Fatal(err)
	}
	if ok, err := projections.Equal(full, everything); err != nil || !ok {
		t.Errorf("selective decoding differs from decoding everything (%v)", err)
	}

	evs, err := st.ReadAll(ctx, 0, 1000)
	if err != nil {
		t.Fatal(err)
	}
	first := projections.NewAnomalies()
	apply := func(a *projections.Anomalies, evs []eventstore.Event) {
		for i := range evs {
			if a.Interest(evs[i].Type) == projections.Ignore {
				continue
			}
			ev, err := c.Decode(&evs[i])
			if err != nil {
				t.Fatal(err)
			}
			if err := a.Apply(ev, &evs[i]); err != nil {
				t.Fatal(err)
			}
		}
	}
	half := len(evs) / 2
	apply(first, evs[:half])
	snap, err := first.MarshalState()
	if err != nil {
		t.Fatal(err)
	}
	restored := projections.NewAnomalies()
	if err := restored.UnmarshalState(snap); err != nil {
		t.Fatal(err)
	}
	apply(restored, evs[half:])
	got, err := restored.MarshalState()
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, anWant) {
		t.Errorf("incremental across a snapshot:\n%s\nrebuilt:\n%s", got, anWant)
	}
	if len(full.List(projections.AnomalyFilter{})) == 0 {
		t.Fatal("the log revealed no anomaly; the comparison proves nothing")
	}
}

func TestExclusionsAreWellFormed(t *testing.T) {
	for _, ex := range projections.Exclusions() {
		if !ex.Programmes[0].Valid() || !ex.Programmes[1].Valid() || ex.Programmes[0] == ex.Programmes[1] {
			t.Errorf("exclusion %v names programmes that are not a pair", ex.Programmes)
		}
		if ex.Shared == "" || ex.Basis == "" {
			t.Errorf("exclusion %v lacks what is shared or its basis", ex.Programmes)
		}
	}
}
