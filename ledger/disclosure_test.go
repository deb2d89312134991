package ledger_test

import (
	"context"
	"errors"
	"testing"

	"github.com/haixi-hrss/fundledger/domain"
	"github.com/haixi-hrss/fundledger/domain/claim"
	"github.com/haixi-hrss/fundledger/domain/role"
	"github.com/haixi-hrss/fundledger/ledger"
)

func startDisclosure() claim.StartDisclosure {
	return claim.StartDisclosure{On: claimEffective, Masked: "6328**********1230", Actor: "clerk1", Role: role.Clerk, At: claimAt}
}

// TestRaiseObjectionReleasesTheReservation: an objection during disclosure
// sends the claim back to review and gives its money back to the line; a
// new approval reserves again under the next round's reservation, and the
// claim can still be disclosed and paid once.
func TestRaiseObjectionReleasesTheReservation(t *testing.T) {
	ctx := context.Background()
	st := openStore(t, t.TempDir())
	svc := paymentService(t, st)
	setUpClaims(t, svc, 10, 1)
	id := expansionClaimID(0)
	if _, err := ledger.ApproveClaim(ctx, svc, id, approve("appr1"), approverEnv("appr1")); err != nil {
		t.Fatal(err)
	}
	if _, err := ledger.StartDisclosure(ctx, svc, id, startDisclosure(), clerkEnv()); err != nil {
		t.Fatal(err)
	}
	objection := claim.RaiseObjection{Reason: "a neighbour reports the hire is fictitious", Actor: "appr2", Role: role.Approver, At: claimAt}
	res, err := ledger.RaiseObjection(ctx, svc, id, objection, approverEnv("appr2"))
	if err != nil {
		t.Fatal(err)
	}
	o := res.Events[0].(*claim.ObjectionRaised)
	line := lineState(t, svc, st)
	if !line.Claims[id].Pending.IsZero() || !line.Released.Equal(grant) || line.Ops[o.ReleaseID].Kind != "release" || !line.Available().Equal(times(10)) {
		t.Errorf("after the objection the line holds %s, released %s, available %s (op %+v); want all %s back",
			line.Claims[id].Pending, line.Released, line.Available(), line.Ops[o.ReleaseID], times(10))
	}
	c := claimState(t, st, id)
	if c.Status != claim.StatusChecked || c.Round != 1 || len(c.Approvals) != 0 {
		t.Fatalf("claim %s round %d with %d approvals, want back under review in round 1", c.Status, c.Round, len(c.Approvals))
	}
	if rep, err := ledger.ReconcileClaim(ctx, svc, id); err != nil || rep != (ledger.Repair{}) {
		t.Errorf("reconcile after the objection: %+v, %v; want nothing to repair", rep, err)
	}

	// Review again: a new approval reserves under round 1.
	if _, err := ledger.ApproveClaim(ctx, svc, id, approve("appr1"), approverEnv("appr1")); err != nil {
		t.Fatal(err)
	}
	if line := lineState(t, svc, st); !line.Claims[id].Pending.Equal(grant) || line.Ops[id+"/reserve/1"].Kind != "reserve" {
		t.Errorf("re-approval: line holds %s, ops %v", line.Claims[id].Pending, line.Ops)
	}
	if _, err := ledger.StartDisclosure(ctx, svc, id, startDisclosure(), clerkEnv()); err != nil {
		t.Fatal(err)
	}
	done := claim.CompleteDisclosure{On: claimEffective.AddDays(7), Actor: "clerk1", Role: role.Clerk, At: claimAt}
	if _, err := ledger.CompleteDisclosure(ctx, svc, id, done, clerkEnv()); err != nil {
		t.Fatal(err)
	}
	if _, err := ledger.ReleasePayment(ctx, svc, id, release("p1"), treasurerEnv()); err != nil {
		t.Fatal(err)
	}
	if _, err := ledger.RecordPaymentResult(ctx, svc, id, bankPaid("p1"), treasurerEnv()); err != nil {
		t.Fatal(err)
	}
	if paid, _ := checkPayments(t, svc, st, 1); !paid.Equal(grant) {
		t.Errorf("paid %s, want %s", paid, grant)
	}
	if line := lineState(t, svc, st); !line.Released.Equal(grant) || !line.Spent.Equal(grant) || !line.Available().Equal(times(9)) {
		t.Errorf("line released %s, spent %s, available %s", line.Released, line.Spent, line.Available())
	}
}

// TestDisclosureRefusalsChangeNothing: each disclosure step refused by the
// claim's rules appends nothing.
func TestDisclosureRefusalsChangeNothing(t *testing.T) {
	ctx := context.Background()
	st := openStore(t, t.TempDir())
	svc := paymentService(t, st)
	setUpClaims(t, svc, 10, 1)
	id := expansionClaimID(0)
	if _, err := ledger.ApproveClaim(ctx, svc, id, approve("appr1"), approverEnv("appr1")); err != nil {
		t.Fatal(err)
	}
	head := lastPosition(t, st)
	unmasked := startDisclosure()
	unmasked.Masked = "632801199903151230"
	byApprover := startDisclosure()
	byApprover.Role = role.Approver
	tooEarly := claim.CompleteDisclosure{On: claimEffective.AddDays(7), Actor: "clerk1", Role: role.Clerk, At: claimAt}
	objection := claim.RaiseObjection{Reason: "x", Actor: "appr2", Role: role.Approver, At: claimAt}
	tests := []struct {
		name   string
		run    func() error
		target error
		rule   string
	}{
		{"identifier shown in full", func() error {
			_, err := ledger.StartDisclosure(ctx, svc, id, unmasked, clerkEnv())
			return err
		}, domain.ErrInvalid, "masked-identifier"},
		{"approver starts disclosure", func() error {
			_, err := ledger.StartDisclosure(ctx, svc, id, byApprover, clerkEnv())
			return err
		}, domain.ErrRejected, "role-clerk"},
		{"complete before it started", func() error {
			_, err := ledger.CompleteDisclosure(ctx, svc, id, tooEarly, clerkEnv())
			return err
		}, domain.ErrRejected, "claim-in-disclosure"},
		{"object before it started", func() error {
			_, err := ledger.RaiseObjection(ctx, svc, id, objection, approverEnv("appr2"))
			return err
		}, domain.ErrRejected, "claim-in-disclosure"},
	}
	for _, tt := range tests {
		err := tt.run()
		var fe *domain.FieldError
		var re *domain.RuleError
		switch {
		case !errors.Is(err, tt.target):
			t.Errorf("%s: err = %v, want %v", tt.name, err, tt.target)
		case errors.As(err, &fe) && fe.Rule != tt.rule, errors.As(err, &re) && re.Rule != tt.rule:
			t.Errorf("%s: err = %v, want rule %s", tt.name, err, tt.rule)
		}
	}
	if got := lastPosition(t, st); got != head {
		t.Errorf("refusals appended: log at %d, was %d", got, head)
	}
	if line := lineState(t, svc, st); !line.Claims[id].Pending.Equal(grant) {
		t.Errorf("line holds %s for the approved claim, want %s", line.Claims[id].Pending, grant)
	}
}
