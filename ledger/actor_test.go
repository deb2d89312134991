package ledger_test

import (
	"context"
	"fmt"
	"testing"

	"github.com/google/uuid"

	"github.com/haixi-hrss/fundledger/domain"
	"github.com/haixi-hrss/fundledger/domain/budget"
	"github.com/haixi-hrss/fundledger/domain/claim"
	"github.com/haixi-hrss/fundledger/domain/expansion"
	"github.com/haixi-hrss/fundledger/domain/identity"
	"github.com/haixi-hrss/fundledger/domain/policy"
	"github.com/haixi-hrss/fundledger/domain/programme"
	"github.com/haixi-hrss/fundledger/domain/region"
	"github.com/haixi-hrss/fundledger/domain/role"
	"github.com/haixi-hrss/fundledger/eventstore"
	"github.com/haixi-hrss/fundledger/ledger"
)

// TestEveryEventNamesItsActor runs claims through every path that moves
// money or uniqueness keys in another stream (approval, payment, a failed
// payment then cancellation, clawback, rejection, objection) and checks
// that every event in the log carries an actor, a role, a correlation and
// a cause in its envelope. The cross-stream steps (FundsReserved,
// FundsSpent, FundsReleased, FundsRecovered, UniqueKeyReserved,
// UniqueKeyReleased) must name the actor of the command that caused them
// and be correlated with it. There is no exception: the ledger appends no
// event on its own account.
func TestEveryEventNamesItsActor(t *testing.T) {
	ctx := context.Background()
	st := openStore(t, t.TempDir())
	svc := paymentService(t, st)
	env := func(actor, r string) ledger.Command {
		id := uuid.New()
		return ledger.Command{ID: id, Actor: actor, Role: r, CorrelationID: "req-" + id.String()}
	}
	alloc := budget.RecordAllocation{AllocationID: "alloc-1", BudgetLineID: expansionLine, FundID: "fund-1", Programme: programme.Expansion,
		Region: region.Haixi, FiscalYear: programme.FiscalYear(2025), Amount: times(10), Actor: "admin1", Role: role.Administrator, At: claimAt}
	if _, err := ledger.Handle(ctx, svc, ledger.Aggregate[budget.State]{Stream: budget.Stream(expansionLine), Evolve: budget.Evolve},
		env("admin1", role.Administrator), func(s budget.State) ([]domain.Event, error) { return budget.Decide(s, alloc) }); err != nil {
		t.Fatal(err)
	}
	vs, err := policy.Seed()
	if err != nil {
		t.Fatal(err)
	}
	v, err := policy.Select(vs, programme.Expansion, claimEffective)
	if err != nil {
		t.Fatal(err)
	}
	must := func(what string, _ ledger.Result, err error) {
		t.Helper()
		if err != nil {
			t.Fatalf("%s: %v", what, err)
		}
	}
	for i := range 4 {
		f := hire(identity.PersonRef(fmt.Sprintf("%064x", 100+i)), i)
		res, err := ledger.SubmitClaim(ctx, svc, submitExpansion(i, f), env("clerk1", role.Clerk))
		must("submit", res, err)
		a, err := expansion.Assess(v, claimEffective, f)
		if err != nil {
			t.Fatal(err)
		}
		check := claim.Check{Assessment: a, Policy: v, Actor: "clerk1", Role: role.Clerk, At: claimAt}
		res, err = ledger.Handle(ctx, svc, ledger.Aggregate[claim.State]{Stream: claim.Stream(expansionClaimID(i)), Evolve: claim.Evolve},
			env("clerk1", role.Clerk), func(s claim.State) ([]domain.Event, error) { return claim.Decide(s, check) })
		must("check", res, err)
	}
	approveAndDisclose := func(id string) {
		res, err := ledger.ApproveClaim(ctx, svc, id, approve("appr1"), env("appr1", role.Approver))
		must("approve "+id, res, err)
		start := claim.StartDisclosure{On: claimEffective, Masked: "6328**********1230", Actor: "clerk1", Role: role.Clerk, At: claimAt}
		res, err = ledger.StartDisclosure(ctx, svc, id, start, env("clerk1", role.Clerk))
		must("disclose "+id, res, err)
	}
	completeDisclosure := func(id string) {
		done := claim.CompleteDisclosure{On: claimEffective.AddDays(7), Actor: "clerk1", Role: role.Clerk, At: claimAt}
		res, err := ledger.CompleteDisclosure(ctx, svc, id, done, env("clerk1", role.Clerk))
		must("complete disclosure "+id, res, err)
	}

	// Claim 0: paid, then partly clawed back.
	paid := expansionClaimID(0)
	approveAndDisclose(paid)
	completeDisclosure(paid)
	res, err := ledger.ReleasePayment(ctx, svc, paid, release(payID(0)), env("tre1", role.Treasurer))
	must("release", res, err)
	res, err = ledger.RecordPaymentResult(ctx, svc, paid, bankPaid(payID(0)), env("tre1", role.Treasurer))
	must("paid", res, err)
	res, err = ledger.RecordClawback(ctx, svc, paid, clawback("r1", "1000.00"), env("tre1", role.Treasurer))
	must("clawback", res, err)

	// Claim 1: the payment fails, then the claim is cancelled: its money
	// and its keys are released.
	failed := expansionClaimID(1)
	approveAndDisclose(failed)
	completeDisclosure(failed)
	res, err = ledger.ReleasePayment(ctx, svc, failed, release(payID(1)), env("tre1", role.Treasurer))
	must("release", res, err)
	res, err = ledger.RecordPaymentResult(ctx, svc, failed, bankFailed(payID(1)), env("tre1", role.Treasurer))
	must("failed", res, err)
	cancel := claim.Cancel{Reason: "employer withdrew", Actor: "appr2", Role: role.Approver, At: claimAt}
	res, err = ledger.CancelClaim(ctx, svc, failed, cancel, env("appr2", role.Approver))
	must("cancel", res, err)

	// Claim 2: rejected, its keys released.
	rejected := expansionClaimID(2)
	reject := claim.Reject{Reason: "forged contract", Actor: "appr2", Role: role.Approver, At: claimAt}
	res, err = ledger.RejectClaim(ctx, svc, rejected, reject, env("appr2", role.Approver))
	must("reject", res, err)

	// Claim 3: an objection during disclosure sends it back, releasing
	// its reservation.
	objected := expansionClaimID(3)
	approveAndDisclose(objected)
	objection := claim.RaiseObjection{Reason: "a neighbour reports the hire is fictitious", Actor: "appr2", Role: role.Approver, At: claimAt}
	res, err = ledger.RaiseObjection(ctx, svc, objected, objection, env("appr2", role.Approver))
	must("objection", res, err)
	if _, err := ledger.ReconcileClaim(ctx, svc, objected); err != nil {
		t.Fatal(err)
	}

	evs, err := st.ReadAll(ctx, 0, 0)
	if err != nil {
		t.Fatal(err)
	}
	byID := map[uuid.UUID]eventstore.Event{}
	for _, ev := range evs {
		byID[ev.ID] = ev
	}
	seen := map[string]int{}
	for _, ev := range evs {
		m := ev.Metadata
		if m.Actor == "" || m.Role == "" || m.CorrelationID == "" || m.CausationID == "" {
			t.Errorf("%s %s v%d has actor %q, role %q, correlation %q, causation %q", ev.Type, ev.Stream, ev.Version, m.Actor, m.Role, m.CorrelationID, m.CausationID)
		}
		seen[ev.Type]++
		// A cross-stream step caused by another event shares its actor,
		// role and correlation.
		if cause, ok := byID[uuid.MustParse(m.CausationID)]; ok {
			if cause.Metadata.Actor != m.Actor || cause.Metadata.Role != m.Role || cause.Metadata.CorrelationID != m.CorrelationID {
				t.Errorf("%s %s v%d (by %s/%s, correlation %s) differs from its cause %s %s v%d (by %s/%s, correlation %s)",
					ev.Type, ev.Stream, ev.Version, m.Actor, m.Role, m.CorrelationID,
					cause.Type, cause.Stream, cause.Version, cause.Metadata.Actor, cause.Metadata.Role, cause.Metadata.CorrelationID)
			}
		}
	}
	for _, typ := range []string{"FundsReserved", "FundsSpent", "FundsReleased", "FundsRecovered", "UniqueKeyReserved", "UniqueKeyReleased"} {
		if seen[typ] == 0 {
			t.Errorf("the lifecycle appended no %s; seen %v", typ, seen)
		}
	}
	for _, ev := range evs {
		want := map[string]string{"FundsSpent": "tre1", "FundsRecovered": "tre1", "FundsReserved": "appr1"}[ev.Type]
		if want != "" && ev.Metadata.Actor != want {
			t.Errorf("%s %s v%d by %q, want %q", ev.Type, ev.Stream, ev.Version, ev.Metadata.Actor, want)
		}
		if ev.Type == "UniqueKeyReleased" && ev.Metadata.Actor != "appr2" {
			t.Errorf("key released by %q, want appr2, who closed the claim", ev.Metadata.Actor)
		}
	}
}
