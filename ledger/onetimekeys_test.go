package ledger_test

import (
	"context"
	"fmt"
	"testing"

	"github.com/haixi-hrss/fundledger/domain/claim"
	"github.com/haixi-hrss/fundledger/domain/expansion"
	"github.com/haixi-hrss/fundledger/domain/identity"
	"github.com/haixi-hrss/fundledger/domain/role"
	"github.com/haixi-hrss/fundledger/domain/uniqueness"
	"github.com/haixi-hrss/fundledger/ledger"
)

// TestBackfillOneTimeKeys: expansion claims submitted before the grant
// reserved the key it shares with the one-time absorption subsidy get it,
// once; a closed claim gets none; a person who meanwhile got a one-time
// absorption claim is reported, not taken from; and the backfilled key
// keeps a later one-time absorption claim out and is released with the
// claim's other keys.
func TestBackfillOneTimeKeys(t *testing.T) {
	ctx := context.Background()
	st := openStore(t, t.TempDir())
	svc := claimService(t, st)
	person := func(i int) identity.PersonRef { return identity.PersonRef(fmt.Sprintf("%064x", 100+i)) }
	// older submits employer i's expansion claim for person(i) as it was
	// submitted before issue 3: with the expansion-person key only.
	older := func(i int) {
		t.Helper()
		cmd := submitExpansion(i, hire(person(i), i))
		cmd.UniquenessKeys = []uniqueness.Key{{Rule: expansion.KeyPerson, Value: string(person(i))}}
		if _, err := ledger.SubmitClaim(ctx, svc, cmd, envelope("")); err != nil {
			t.Fatal(err)
		}
	}
	older(1) // open: gets the key
	older(2) // rejected: needs none
	checkExpansion(t, svc, expansionClaimID(2), hire(person(2), 2))
	reject := claim.Reject{Reason: "contract forged", Actor: "appr1", Role: role.Approver, At: claimAt}
	if _, err := ledger.RejectClaim(ctx, svc, expansionClaimID(2), reject, envelope("")); err != nil {
		t.Fatal(err)
	}
	older(3) // open, but the person got a one-time absorption claim meanwhile
	if _, err := ledger.SubmitClaim(ctx, svc, submitOneTime(30, oneTimeHire(person(3), 30)), envelope("")); err != nil {
		t.Fatal(err)
	}
	if _, err := ledger.SubmitClaim(ctx, svc, submitExpansion(4, hire(person(4), 4)), envelope("")); err != nil {
		t.Fatal(err) // current: already holds both keys
	}
	// Written without SubmitClaim: it holds no key, so it gets none.
	bypass := submitExpansion(5, hire(person(5), 5))
	bypass.UniquenessKeys = []uniqueness.Key{{Rule: expansion.KeyPerson, Value: string(person(5))}}
	onClaim(t, svc, expansionClaimID(5), bypass)

	got, err := ledger.BackfillOneTimeKeys(ctx, svc)
	if err != nil {
		t.Fatal(err)
	}
	conflict := map[string]string{expansionClaimID(3): claim.Stream(oneTimeClaimID(30))}
	if got.Candidates != 4 || got.Reserved != 1 || got.AlreadyHeld != 0 || got.Released != 1 || got.NotHolder != 1 || fmt.Sprint(got.Conflicts) != fmt.Sprint(conflict) {
		t.Fatalf("backfill = %+v, want 4 candidates: 1 reserved, 1 released, 1 not holding its key, claim 3 in conflict with %v", got, conflict)
	}
	shared := func(i int) uniqueness.Key { return uniqueness.HireOneTimeSubsidy(string(person(i))) }
	for i, want := range map[int]string{
		1: claim.Stream(expansionClaimID(1)), 2: "", 3: claim.Stream(oneTimeClaimID(30)), 4: claim.Stream(expansionClaimID(4)), 5: "",
	} {
		if h := holder(t, svc, shared(i)); h != want {
			t.Errorf("person %d's shared key held by %q, want %q", i, h, want)
		}
	}

	// Idempotent: a second run appends nothing and finds the key held.
	head := lastPosition(t, st)
	again, err := ledger.BackfillOneTimeKeys(ctx, svc)
	if err != nil {
		t.Fatal(err)
	}
	if again.Reserved != 0 || again.AlreadyHeld != 1 || again.Released != 1 || again.NotHolder != 1 || len(again.Conflicts) != 1 {
		t.Errorf("second run = %+v, want the key already held and nothing reserved", again)
	}
	if got := lastPosition(t, st); got != head {
		t.Errorf("the second run appended: log at %d, was %d", got, head)
	}

	// The point: a one-time absorption claim for person 1 is now refused.
	_, err = ledger.SubmitClaim(ctx, svc, submitOneTime(10, oneTimeHire(person(1), 10)), envelope(""))
	wantDuplicate(t, err, claim.Stream(expansionClaimID(1)))

	// Rejecting claim 1 releases the backfilled key with its own.
	checkExpansion(t, svc, expansionClaimID(1), hire(person(1), 1))
	if _, err := ledger.RejectClaim(ctx, svc, expansionClaimID(1), reject, envelope("")); err != nil {
		t.Fatal(err)
	}
	if h := holder(t, svc, shared(1)); h != "" {
		t.Errorf("after rejection the shared key is held by %q, want free", h)
	}
	if _, err := ledger.SubmitClaim(ctx, svc, submitOneTime(10, oneTimeHire(person(1), 10)), envelope("")); err != nil {
		t.Errorf("one-time absorption claim after the rejection: %v", err)
	}
}
