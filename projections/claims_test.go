package projections_test

import (
	"fmt"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/haixi-hrss/fundledger/domain"
	"github.com/haixi-hrss/fundledger/domain/calendar"
	"github.com/haixi-hrss/fundledger/domain/claim"
	"github.com/haixi-hrss/fundledger/domain/eligibility"
	"github.com/haixi-hrss/fundledger/domain/expansion"
	"github.com/haixi-hrss/fundledger/domain/identity"
	"github.com/haixi-hrss/fundledger/domain/money"
	"github.com/haixi-hrss/fundledger/domain/policy"
	"github.com/haixi-hrss/fundledger/domain/programme"
	"github.com/haixi-hrss/fundledger/domain/region"
	"github.com/haixi-hrss/fundledger/domain/role"
	"github.com/haixi-hrss/fundledger/ledger"
	"github.com/haixi-hrss/fundledger/projections"
)

var claimEffective = calendar.MustParse("2025-03-03")

func employerCode(i int) identity.CreditCode {
	body := fmt.Sprintf("91632801MA%07d", i)
	c, ok := identity.CreditCheckChar(body)
	if !ok {
		panic(body)
	}
	return identity.CreditCode(body + string(c))
}

// personRef is a keyed reference, as the API derives it; never an ID.
func personRef(i int) identity.PersonRef {
	return identity.PersonRef(fmt.Sprintf("%064x", i+0xabc))
}

func hireFacts(i int) expansion.Facts {
	return expansion.Facts{
		Person: personRef(i), Employer: employerCode(i), Group: expansion.Graduate,
		GraduationDate: calendar.MustParse("2024-06-30"), RegularDegreeCourse: true,
		ContractDate:              calendar.MustParse("2025-03-01"),
		InsuredMonthsUnemployment: 3, InsuredMonthsWorkInjury: 3, InsuredMonthsPension: 3,
		InsuredAtCheck: true,
	}
}

// onClaim runs a claim command through Handle, as the API does.
func (w *world) onClaim(id string, cmd claim.Command) {
	w.t.Helper()
	agg := ledger.Aggregate[claim.State]{Stream: claim.Stream(id), Evolve: claim.Evolve}
	if _, err := ledger.Handle(w.ctx, w.svc, agg, ledger.Command{ID: uuid.New(), Name: fmt.Sprintf("%T", cmd), Payload: cmd},
		func(s claim.State) ([]domain.Event, error) { return claim.Decide(s, cmd) }); err != nil {
		w.t.Fatalf("%T on %s: %v", cmd, id, err)
	}
}

// submit files employer i's expansion claim in county r through
// ledger.SubmitClaim, uniqueness keys and all.
func (w *world) submit(i int, r region.Code, clerk string) string {
	w.t.Helper()
	id := fmt.Sprintf("exp-%03d", i)
	f := hireFacts(i)
	cmd := claim.Submit{ClaimID: id, Programme: programme.Expansion, Beneficiary: claim.Beneficiary{Kind: claim.Employer, Ref: string(f.Employer)},
		Region: r, BudgetLineID: "line-expansion-2025", EffectiveDate: claimEffective, UniquenessKeys: expansion.Keys(f),
		Actor: clerk, Role: role.Clerk, At: at}
	if _, err := ledger.SubmitClaim(w.ctx, w.svc, cmd, ledger.Command{ID: uuid.New(), Actor: clerk, Role: role.Clerk}); err != nil {
		w.t.Fatal(err)
	}
	return id
}

func expansionPolicy(t testing.TB) policy.Version {
	t.Helper()
	vs, err := policy.Seed()
	if err != nil {
		t.Fatal(err)
	}
	v, err := policy.Select(vs, programme.Expansion, claimEffective)
	if err != nil {
		t.Fatal(err)
	}
	return v
}

func (w *world) check(id string, i int) eligibility.Assessment {
	w.t.Helper()
	v := expansionPolicy(w.t)
	a, err := expansion.Assess(v, claimEffective, hireFacts(i))
	if err != nil || !a.Eligible {
		w.t.Fatalf("assessment eligible=%v err=%v", a.Eligible, err)
	}
	w.onClaim(id, claim.Check{Assessment: a, Policy: v, Actor: "clerk-2", Role: role.Clerk, At: at})
	return a
}

// claimScenario leaves five claims, one at each step of the queue:
// exp-001 submitted; exp-002 checked; exp-003 disclosed; exp-004 paid and
// partly clawed back; exp-005 rejected.
func (w *world) claimScenario() {
	w.t.Helper()
	w.submit(1, region.Golmud, "clerk-1")
	w.submit(2, region.Golmud, "clerk-1")
	w.check("exp-002", 2)
	for _, i := range []int{3, 4, 5} {
		id := w.submit(i, region.Delingha, "clerk-1")
		w.check(id, i)
	}
	for _, id := range []string{"exp-003", "exp-004"} {
		w.onClaim(id, claim.Approve{Reason: "evidence complete", Actor: "appr-1", Role: role.Approver, At: at})
		w.onClaim(id, claim.StartDisclosure{On: claimEffective, Masked: "9163**********001X", Actor: "clerk-2", Role: role.Clerk, At: at})
		w.onClaim(id, claim.CompleteDisclosure{On: claimEffective.AddDays(7), Actor: "clerk-2", Role: role.Clerk, At: at})
	}
	w.onClaim("exp-004", claim.ReleasePayment{Instalment: 1, PaymentID: "pay-4", Actor: "tr-1", Role: role.Treasurer, At: at})
	w.onClaim("exp-004", claim.RecordPaymentResult{Instalment: 1, PaymentID: "pay-4", Paid: true, BankRef: "B-4",
		On: claimEffective.AddDays(9), Actor: "tr-1", Role: role.Treasurer, At: at})
	w.onClaim("exp-004", claim.RecordClawback{RecoveryID: "rec-1", Amount: money.MustParse("100.00"), Reason: "ineligible",
		Detail: "wrong month", On: claimEffective.AddDays(20), Actor: "tr-1", Role: role.Treasurer, At: at})
	if _, err := ledger.RejectClaim(w.ctx, w.svc, "exp-005", claim.Reject{Reason: "contract not genuine", Actor: "appr-1",
		Role: role.Approver, At: at}, ledger.Command{ID: uuid.New(), Actor: "appr-1", Role: role.Approver}); err != nil {
		w.t.Fatal(err)
	}
}

func ids(rows []projections.ClaimRow) []string {
	out := []string{}
	for _, r := range rows {
		out = append(out, r.ID)
	}
	return out
}

func wantIDs(t *testing.T, what string, rows []projections.ClaimRow, want ...string) {
	t.Helper()
	if want == nil {
		want = []string{}
	}
	if got := ids(rows); !reflect.DeepEqual(got, want) {
		t.Errorf("%s: %v, want %v", what, got, want)
	}
}

// recordedAt returns when the last event of claim id's stream was stored.
func (w *world) recordedAt(id string) time.Time {
	w.t.Helper()
	evs, err := w.store.ReadStreamBackward(w.ctx, claim.Stream(id), 1)
	if err != nil || len(evs) != 1 {
		w.t.Fatalf("last event of %s: %v", id, err)
	}
	return evs[0].RecordedAt.UTC()
}

// TestClaimsQueue drives the claim lifecycle through the ledger and checks
// the queue's rows, filters and each role's next work exactly.
func TestClaimsQueue(t *testing.T) {
	w := newWorld(t)
	w.claimScenario()
	c := projections.NewClaims()
	if _, err := w.runner(c).CatchUp(w.ctx); err != nil {
		t.Fatal(err)
	}
	v := expansionPolicy(t)
	grant, err := expansion.Assess(v, claimEffective, hireFacts(4))
	if err != nil {
		t.Fatal(err)
	}

	got, ok := c.Claim("exp-004")
	if !ok {
		t.Fatal("exp-004 missing")
	}
	want := projections.ClaimRow{
		ID: "exp-004", Programme: programme.Expansion, County: region.Delingha,
		Beneficiary: claim.Beneficiary{Kind: claim.Employer, Ref: string(employerCode(4))}, Employer: string(employerCode(4)),
		Status: claim.StatusPaid, Approved: grant.Amount, Paid: grant.Amount, Recovered: money.MustParse("100.00"),
		PolicyVersion: v.ID, SubmittedBy: "clerk-1", Approvers: []string{"appr-1"},
		Instalments: []claim.Instalment{{Number: 1, Amount: grant.Amount, Status: claim.InstalmentSettled, PaymentID: "pay-4", Attempts: 1}},
		LastChange:  w.recordedAt("exp-004"),
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("exp-004:\n got %+v\nwant %+v", got, want)
	}
	if !grant.Amount.IsPositive() || v.ID == "" {
		t.Fatalf("seeded grant %s under %q", grant.Amount, v.ID)
	}
	first, _ := c.Claim("exp-001")
	if first.Status != claim.StatusSubmitted || !first.Approved.IsZero() || first.PolicyVersion != "" || len(first.Approvers) != 0 {
		t.Errorf("exp-001 %+v", first)
	}
	if r, _ := c.Claim("exp-005"); r.Status != claim.StatusRejected || len(r.Approvers) != 0 {
		t.Errorf("exp-005 %+v", r)
	}
	if _, ok := c.Claim("exp-999"); ok {
		t.Error("an unknown claim was found")
	}

	// Queue order is least recently changed first.
	wantIDs(t, "all", c.Find(projections.ClaimFilter{}), "exp-001", "exp-002", "exp-003", "exp-004", "exp-005")
	wantIDs(t, "golmud", c.Find(projections.ClaimFilter{County: region.Golmud}), "exp-001", "exp-002")
	wantIDs(t, "delingha", c.Find(projections.ClaimFilter{County: region.Delingha}), "exp-003", "exp-004", "exp-005")
	wantIDs(t, "checked", c.Find(projections.ClaimFilter{Status: claim.StatusChecked}), "exp-002")
	wantIDs(t, "disclosed in delingha", c.Find(projections.ClaimFilter{Status: claim.StatusDisclosed, County: region.Delingha}), "exp-003")
	wantIDs(t, "expansion", c.Find(projections.ClaimFilter{Programme: programme.Expansion}), "exp-001", "exp-002", "exp-003", "exp-004", "exp-005")
	wantIDs(t, "start-up", c.Find(projections.ClaimFilter{Programme: programme.StartUp}))
	wantIDs(t, "employer 3", c.Find(projections.ClaimFilter{Employer: string(employerCode(3))}), "exp-003")

	wantIDs(t, "clerk", c.NextWork(role.Clerk, "clerk-2"), "exp-001")
	wantIDs(t, "approver", c.NextWork(role.Approver, "appr-1"), "exp-002")
	// Maker-checker: the submitter never sees its own claim to approve.
	wantIDs(t, "approver who submitted", c.NextWork(role.Approver, "clerk-1"))
	wantIDs(t, "treasurer", c.NextWork(role.Treasurer, "tr-1"), "exp-003")
	wantIDs(t, "auditor", c.NextWork(role.Auditor, "aud-1"))
	wantIDs(t, "no actor", c.NextWork(role.Approver, " "))
}

// TestClaimsQueueFollowsEachStep checks the work lists move as the claim
// does: an approver who approved leaves the list, an in-flight payment is
// still the treasurer's, an approved claim is the clerk's to disclose.
func TestClaimsQueueFollowsEachStep(t *testing.T) {
	w := newWorld(t)
	w.submit(7, region.Ulan, "clerk-1")
	w.check("exp-007", 7)
	c := projections.NewClaims()
	r := w.runner(c)
	step := func() {
		t.Helper()
		if _, err := r.CatchUp(w.ctx); err != nil {
			t.Fatal(err)
		}
	}
	step()
	wantIDs(t, "approver before", c.NextWork(role.Approver, "appr-1"), "exp-007")
	wantIDs(t, "clerk before", c.NextWork(role.Clerk, "clerk-1"))
	w.onClaim("exp-007", claim.Approve{Reason: "ok", Actor: "appr-1", Role: role.Approver, At: at})
	step()
	wantIDs(t, "approver after", c.NextWork(role.Approver, "appr-1"))
	wantIDs(t, "clerk to disclose", c.NextWork(role.Clerk, "clerk-1"), "exp-007")
	w.onClaim("exp-007", claim.StartDisclosure{On: claimEffective, Masked: "9163**********007X", Actor: "clerk-2", Role: role.Clerk, At: at})
	step()
	wantIDs(t, "clerk to complete", c.NextWork(role.Clerk, "clerk-1"), "exp-007")
	w.onClaim("exp-007", claim.CompleteDisclosure{On: claimEffective.AddDays(7), Actor: "clerk-2", Role: role.Clerk, At: at})
	w.onClaim("exp-007", claim.ReleasePayment{Instalment: 1, PaymentID: "p-7", Actor: "tr-1", Role: role.Treasurer, At: at})
	step()
	wantIDs(t, "clerk after disclosure", c.NextWork(role.Clerk, "clerk-1"))
	wantIDs(t, "treasurer awaiting the bank", c.NextWork(role.Treasurer, "tr-1"), "exp-007")
	w.onClaim("exp-007", claim.RecordPaymentResult{Instalment: 1, PaymentID: "p-7", Paid: true, BankRef: "B", On: claimEffective.AddDays(9),
		Actor: "tr-1", Role: role.Treasurer, At: at})
	step()
	wantIDs(t, "treasurer after payment", c.NextWork(role.Treasurer, "tr-1"))
	if got, _ := c.Claim("exp-007"); got.Status != claim.StatusPaid || !got.Paid.Equal(got.Approved) {
		t.Errorf("exp-007 %+v", got)
	}
}

// TestClaimsIncrementalEqualsRebuildAndAsOf checks that the queue fed in
// two catch-ups, restored from its snapshot, and rebuilt from the log are
// one model, and that an as-of replay shows the queue as it then was.
func TestClaimsIncrementalEqualsRebuildAndAsOf(t *testing.T) {
	w := newWorld(t)
	w.submit(1, region.Golmud, "clerk-1")
	inc := projections.NewClaims()
	r := w.runner(inc)
	if _, err := r.CatchUp(w.ctx); err != nil {
		t.Fatal(err)
	}
	mid := w.claimScenarioRest()
	if _, err := r.CatchUp(w.ctx); err != nil {
		t.Fatal(err)
	}
	full := projections.NewClaims()
	if _, err := projections.Rebuild(w.ctx, w.store, w.codec, nil, full); err != nil {
		t.Fatal(err)
	}
	mustEqual(t, "incremental and rebuilt queues", inc, full)
	restored := projections.NewClaims()
	w.runner(restored)
	mustEqual(t, "restored and rebuilt queues", restored, full)
	wantIDs(t, "restored approver", restored.NextWork(role.Approver, "appr-1"), "exp-002")

	// As of exp-002's check, nothing was approved yet: exp-001 is the
	// clerk's, exp-002 the approver's, and later claims do not exist.
	var midAt time.Time
	for _, ev := range w.log(0) {
		if ev.Position == mid {
			midAt = ev.RecordedAt
		}
	}
	past := projections.NewClaims()
	pr, err := projections.AsOf(w.ctx, w.store, w.codec, midAt, past)
	if err != nil {
		t.Fatal(err)
	}
	if pr.Position != mid {
		t.Errorf("as-of replay stopped at %d, want %d", pr.Position, mid)
	}
	wantIDs(t, "as-of all", past.Find(projections.ClaimFilter{}), "exp-001", "exp-002")
	wantIDs(t, "as-of approver", past.NextWork(role.Approver, "appr-1"), "exp-002")
	wantIDs(t, "as-of treasurer", past.NextWork(role.Treasurer, "tr-1"))
}

// claimScenarioRest is claimScenario after exp-001's submission.
func (w *world) claimScenarioRest() uint64 {
	w.t.Helper()
	w.submit(2, region.Golmud, "clerk-1")
	w.check("exp-002", 2)
	mid := w.log(0)
	w.submit(3, region.Delingha, "clerk-1")
	w.check("exp-003", 3)
	w.onClaim("exp-003", claim.Approve{Reason: "ok", Actor: "appr-1", Role: role.Approver, At: at})
	return mid[len(mid)-1].Position
}

// TestClaimsSecondApprover checks a claim above the two-approver
// threshold: after the first approval it stays checked, leaves the first
// approver's list and stays on another approver's until the second
// approval. The threshold is lowered in a copy of the seeded version so an
// expansion grant needs two approvers.
func TestClaimsSecondApprover(t *testing.T) {
	w := newWorld(t)
	id := w.submit(8, region.Mangya, "clerk-1")
	v := expansionPolicy(t)
	v.TwoApproverThreshold = money.MustParse("1000.00")
	a, err := expansion.Assess(v, claimEffective, hireFacts(8))
	if err != nil || !a.Amount.GreaterThan(v.TwoApproverThreshold) {
		t.Fatalf("assessment %s err %v, want more than %s", a.Amount, err, v.TwoApproverThreshold)
	}
	w.onClaim(id, claim.Check{Assessment: a, Policy: v, Actor: "clerk-2", Role: role.Clerk, At: at})
	w.onClaim(id, claim.Approve{Reason: "ok", Actor: "appr-1", Role: role.Approver, At: at})
	c := projections.NewClaims()
	r := w.runner(c)
	if _, err := r.CatchUp(w.ctx); err != nil {
		t.Fatal(err)
	}
	got, _ := c.Claim(id)
	if got.Status != claim.StatusChecked || !reflect.DeepEqual(got.Approvers, []string{"appr-1"}) {
		t.Fatalf("after one approval: status %s approvers %v", got.Status, got.Approvers)
	}
	wantIDs(t, "first approver", c.NextWork(role.Approver, "appr-1"))
	wantIDs(t, "second approver", c.NextWork(role.Approver, "appr-2"), id)
	w.onClaim(id, claim.Approve{Reason: "ok", Actor: "appr-2", Role: role.Approver, At: at})
	if _, err := r.CatchUp(w.ctx); err != nil {
		t.Fatal(err)
	}
	got, _ = c.Claim(id)
	if got.Status != claim.StatusApproved || !reflect.DeepEqual(got.Approvers, []string{"appr-1", "appr-2"}) {
		t.Fatalf("after two approvals: status %s approvers %v", got.Status, got.Approvers)
	}
	wantIDs(t, "second approver after", c.NextWork(role.Approver, "appr-2"))
}

// TestClaimRowCountsEvidence: a claim's row counts the documents recorded
// on it, so an approver's queue shows which claims carry evidence.
func TestClaimRowCountsEvidence(t *testing.T) {
	w := newWorld(t)
	id := w.submit(1, region.Golmud, "clerk-1")
	c := projections.NewClaims()
	r := w.runner(c)
	for i, digest := range []string{strings.Repeat("a", 64), strings.Repeat("b", 64)} {
		w.onClaim(id, claim.RecordEvidence{Kind: claim.LabourContract, DocumentNo: fmt.Sprintf("HT-2025-%d", i), Digest: digest,
			ReceivedOn: calendar.MustParse("2025-02-28"), Actor: "clerk-1", Role: role.Clerk, At: at})
		if _, err := r.CatchUp(w.ctx); err != nil {
			t.Fatal(err)
		}
		row, ok := c.Claim(id)
		if !ok || row.Evidence != i+1 {
			t.Fatalf("after %d documents the row counts %d (found %v)", i+1, row.Evidence, ok)
		}
	}
}
