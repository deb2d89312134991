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

var errCrashed = errors.New("process died here")

// failClaimAppends is a store whose appends to claim-<id> fail, standing
// in for a process killed between the reservation and the approval.
func failClaimAppends(t *testing.T, id string) (*faultyStore, *ledger.Service, *ledger.Service) {
	t.Helper()
	st := openStore(t, t.TempDir())
	healthy := approvalService(t, st)
	setUpClaims(t, healthy, 10, 1)
	f := &faultyStore{Store: st, fail: func(stream string) error {
		if stream == claim.Stream(id) {
			return errCrashed
		}
		return nil
	}}
	return f, approvalService(t, f), healthy
}

func TestReconcileCompletesInterruptedApproval(t *testing.T) {
	ctx := context.Background()
	id := expansionClaimID(0)
	f, crashing, healthy := failClaimAppends(t, id)
	env := approverEnv("appr1")
	if _, err := ledger.ApproveClaim(ctx, crashing, id, approve("appr1"), env); !errors.Is(err, errCrashed) {
		t.Fatalf("err = %v, want the crash", err)
	}
	if c, held := claimState(t, f.Store, id), lineState(t, healthy, f.Store).Claims[id].Pending; c.Status != claim.StatusChecked || !held.Equal(grant) {
		t.Fatalf("after the crash: claim %s, line holds %s; want checked and %s", c.Status, held, grant)
	}

	// The start-up model finds exactly this claim unfinished.
	candidates := unfinishedClaims(t, f.Store)
	if len(candidates) != 1 || candidates[0] != id {
		t.Fatalf("unfinished claims %v, want [%s]", candidates, id)
	}
	n, err := ledger.Reconcile(ctx, healthy, candidates)
	if err != nil {
		t.Fatal(err)
	}
	if n != (ledger.Repairs{Claims: 1, Completed: 1}) {
		t.Errorf("repairs %+v, want one completed approval", n)
	}
	if checkAgreement(t, healthy, f.Store, 1) != 1 {
		t.Error("the interrupted approval was not completed")
	}
	if left := unfinishedClaims(t, f.Store); len(left) != 0 {
		t.Errorf("after the repair, unfinished claims %v, want none", left)
	}
	c := claimState(t, f.Store, id)
	if len(c.Approvals) != 1 || c.Approvals[0].Actor != "appr1" {
		t.Errorf("approvals %+v, want appr1's", c.Approvals)
	}

	// The original command, retried, finds its approval already recorded.
	events := lastPosition(t, f.Store)
	res, err := ledger.ApproveClaim(ctx, healthy, id, approve("appr1"), env)
	if err != nil || !res.Replayed {
		t.Fatalf("retry: %+v, %v; want a replay", res, err)
	}
	if again, err := ledger.Reconcile(ctx, healthy, []string{id}); err != nil || again != (ledger.Repairs{Claims: 1}) {
		t.Errorf("second reconcile: %+v, %v; want nothing to repair", again, err)
	}
	if got := lastPosition(t, f.Store); got != events {
		t.Errorf("retry and reconcile appended: log at %d, was %d", got, events)
	}
}

// TestRejectAfterInterruptedApprovalReleases: money reserved by an approval
// that crashed before the claim recorded it is released by a later
// rejection itself, before any recovery runs.
func TestRejectAfterInterruptedApprovalReleases(t *testing.T) {
	ctx := context.Background()
	id := expansionClaimID(0)
	f, crashing, healthy := failClaimAppends(t, id)
	if _, err := ledger.ApproveClaim(ctx, crashing, id, approve("appr1"), approverEnv("appr1")); !errors.Is(err, errCrashed) {
		t.Fatalf("err = %v, want the crash", err)
	}
	// Before recovery runs, another approver rejects the claim.
	reject := claim.Reject{Reason: "forged contract", Actor: "appr2", Role: role.Approver, At: claimAt}
	if _, err := ledger.RejectClaim(ctx, healthy, id, reject, approverEnv("appr2")); err != nil {
		t.Fatal(err)
	}
	if checkAgreement(t, healthy, f.Store, 1) != 0 {
		t.Error("a rejected claim counts as approved")
	}
	if line := lineState(t, healthy, f.Store); !line.Claims[id].Pending.IsZero() {
		t.Errorf("the rejected claim still holds %s on its line", line.Claims[id].Pending)
	}
	if rep, err := ledger.ReconcileClaim(ctx, healthy, id); err != nil || rep != (ledger.Repair{}) {
		t.Errorf("reconcile after the rejection: %+v, %v; want nothing left to repair", rep, err)
	}
	if left := unfinishedClaims(t, f.Store); len(left) != 0 {
		t.Errorf("unfinished claims %v, want none", left)
	}
}

func TestApproveClaimCompensatesWhenRejectedFirst(t *testing.T) {
	ctx := context.Background()
	id := expansionClaimID(0)
	st := openStore(t, t.TempDir())
	healthy := approvalService(t, st)
	setUpClaims(t, healthy, 10, 1)
	rejected := false
	// Between the reservation and the approval's append, appr2's
	// rejection lands on the claim.
	f := &faultyStore{Store: st, fail: func(stream string) error {
		if stream == claim.Stream(id) && !rejected {
			rejected = true
			reject := claim.Reject{Reason: "forged contract", Actor: "appr2", Role: role.Approver, At: claimAt}
			if _, err := ledger.RejectClaim(ctx, healthy, id, reject, approverEnv("appr2")); err != nil {
				return err
			}
		}
		return nil
	}}
	_, err := ledger.ApproveClaim(ctx, approvalService(t, f), id, approve("appr1"), approverEnv("appr1"))
	if !errors.Is(err, domain.ErrRejected) || !rejected {
		t.Fatalf("err = %v (rejection landed: %v), want the claim's refusal", err, rejected)
	}
	line := lineState(t, healthy, st)
	if !line.Released.Equal(grant) || !line.Claims[id].Pending.IsZero() {
		t.Errorf("line released %s, holds %s for the claim; want %s released and nothing held", line.Released, line.Claims[id].Pending, grant)
	}
	checkAgreement(t, healthy, st, 1)
	// The reservation made for the refused approval and its release
	// balance out: nothing is left for a restart to look at.
	if left := unfinishedClaims(t, st); len(left) != 0 {
		t.Errorf("unfinished claims %v, want none", left)
	}
}

// TestCancelReleasesTheMoney: cancelling an approved claim gives its
// reservation back at once; a later reconcile finds nothing to do.
func TestCancelReleasesTheMoney(t *testing.T) {
	ctx := context.Background()
	id := expansionClaimID(0)
	st := openStore(t, t.TempDir())
	svc := approvalService(t, st)
	setUpClaims(t, svc, 10, 1)
	if _, err := ledger.ApproveClaim(ctx, svc, id, approve("appr1"), approverEnv("appr1")); err != nil {
		t.Fatal(err)
	}
	cancel := claim.Cancel{Reason: "employer withdrew", Actor: "appr2", Role: role.Approver, At: claimAt}
	if _, err := ledger.CancelClaim(ctx, svc, id, cancel, approverEnv("appr2")); err != nil {
		t.Fatal(err)
	}
	line := lineState(t, svc, st)
	if !line.Claims[id].Pending.IsZero() || !line.Available().Equal(times(10)) {
		t.Errorf("claim holds %s, line available %s; want 0 and %s", line.Claims[id].Pending, line.Available(), times(10))
	}
	rep, err := ledger.ReconcileClaim(ctx, svc, id)
	if err != nil || rep != (ledger.Repair{}) {
		t.Fatalf("repair after cancel = %+v, %v; want nothing left to do", rep, err)
	}
	if left := unfinishedClaims(t, st); len(left) != 0 {
		t.Errorf("unfinished claims %v, want none", left)
	}
}
