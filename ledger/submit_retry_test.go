package ledger_test

import (
	"context"
	"fmt"
	"testing"

	"github.com/google/uuid"

	"github.com/haixi-hrss/fundledger/domain/claim"
	"github.com/haixi-hrss/fundledger/domain/identity"
	"github.com/haixi-hrss/fundledger/domain/paymentbatch"
	"github.com/haixi-hrss/fundledger/domain/role"
	"github.com/haixi-hrss/fundledger/ledger"
)

// TestSubmitClaimKeyReusedReservesNothing: an idempotency key reused for
// another claim is refused with ErrIdempotencyMismatch before the other
// claim's uniqueness keys are reserved; a retry of the first submission
// after its claim was rejected replays it without taking its person back.
func TestSubmitClaimKeyReusedReservesNothing(t *testing.T) {
	ctx := context.Background()
	st := openStore(t, t.TempDir())
	svc := claimService(t, st)
	first := hire(hiredPerson, 1)
	env := envelope("submit-once")
	res, err := ledger.SubmitClaim(ctx, svc, submitExpansion(1, first), env)
	if err != nil {
		t.Fatal(err)
	}

	other := hire(identity.PersonRef(fmt.Sprintf("%064x", 7)), 2)
	reused := env
	reused.ID = uuid.New()
	head := lastPosition(t, st)
	_, err = ledger.SubmitClaim(ctx, svc, submitExpansion(2, other), reused)
	wantMismatch(t, err, env.IdempotencyKey)
	wantKeysFree(t, svc, other, "the refused claim")
	if got := lastPosition(t, st); got != head {
		t.Errorf("the refusal appended: log at %d, was %d", got, head)
	}

	checkExpansion(t, svc, expansionClaimID(1), first)
	reject := claim.Reject{Reason: "contract forged", Actor: "appr1", Role: role.Approver, At: claimAt}
	if _, err := ledger.RejectClaim(ctx, svc, expansionClaimID(1), reject, envelope("")); err != nil {
		t.Fatal(err)
	}
	head = lastPosition(t, st)
	retry := env
	retry.ID = uuid.New()
	again, err := ledger.SubmitClaim(ctx, svc, submitExpansion(1, first), retry)
	if err != nil || !again.Replayed || again.Position != res.Position {
		t.Fatalf("retry after rejection = %+v, %v; want a replay of position %d", again, err, res.Position)
	}
	wantKeysFree(t, svc, first, "the rejected claim")
	if got := lastPosition(t, st); got != head {
		t.Errorf("the retry appended: log at %d, was %d", got, head)
	}
}

// TestSubmitPersonClaimRetryRegistersNothing: a retried submission (same
// idempotency key) returns the first result without registering the
// person again, so it cannot overwrite the sealed name; a key reused for
// another person's claim registers nobody.
func TestSubmitPersonClaimRetryRegistersNothing(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	st := openStore(t, dir)
	svc := paymentService(t, st)
	people := openPeople(t, dir)
	build := func(i int) func(identity.PersonRef, identity.Facts) claim.Submit {
		return func(ref identity.PersonRef, facts identity.Facts) claim.Submit {
			return submitExpansion(i, youthHire(ref, facts, i))
		}
	}
	id := residentID(t, "20030415", 123)
	env := clerkEnv()
	env.IdempotencyKey = "person-claim-once"
	res, err := ledger.SubmitPersonClaim(ctx, svc, people, id, "马晓梅", build(0), env)
	if err != nil {
		t.Fatal(err)
	}

	retry := env
	retry.ID = uuid.New()
	again, err := ledger.SubmitPersonClaim(ctx, svc, people, id, "马小梅", build(0), retry)
	if err != nil || !again.Replayed || again.Position != res.Position {
		t.Fatalf("retry = %+v, %v; want a replay of position %d", again, err, res.Position)
	}
	who, err := people.Reveal(ctx, svc, revealTo(people.Ref(id), "clerk1", role.Clerk), clerkEnv())
	if err != nil || who.Name != "马晓梅" {
		t.Errorf("after the retry the sealed name is %q (%v), want the first registration's", who.Name, err)
	}

	otherID := residentID(t, "20011102", 246)
	reused := env
	reused.ID = uuid.New()
	_, err = ledger.SubmitPersonClaim(ctx, svc, people, otherID, "才让多杰", build(1), reused)
	wantMismatch(t, err, env.IdempotencyKey)
	if _, err := people.Reveal(ctx, svc, revealTo(people.Ref(otherID), "clerk1", role.Clerk), clerkEnv()); err == nil {
		t.Error("the person of the refused claim was registered")
	}
	if n := len(readStream(t, st, claim.Stream(expansionClaimID(1)))); n != 0 {
		t.Errorf("the refused claim's stream holds %d events", n)
	}
}

// TestReleaseBatchKeyReusedIsRefused: once a batch is sent, a re-run under
// the sending key with other input is refused with ErrIdempotencyMismatch
// (it used to skip the key and re-run the releases); the same input
// re-runs harmlessly.
func TestReleaseBatchKeyReusedIsRefused(t *testing.T) {
	ctx := context.Background()
	st := openStore(t, t.TempDir())
	svc := paymentService(t, st)
	disclosedClaims(t, svc, 10, 2)
	closedBatch(t, svc, batchID, paymentbatch.Scope{Kind: paymentbatch.ScopeBudgetLine, ID: expansionLine}, []int{0, 1}, nil)
	env := treasurerEnv()
	env.IdempotencyKey = "send-" + batchID
	if _, err := ledger.ReleaseBatch(ctx, svc, batchID, sendBatch(), env); err != nil {
		t.Fatal(err)
	}
	head := lastPosition(t, st)

	otherInput := sendBatch()
	otherInput.Actor = "tre2"
	reused := env
	reused.ID, reused.Actor = uuid.New(), "tre2"
	_, err := ledger.ReleaseBatch(ctx, svc, batchID, otherInput, reused)
	wantMismatch(t, err, env.IdempotencyKey)
	retry := env
	retry.ID = uuid.New()
	if b, err := ledger.ReleaseBatch(ctx, svc, batchID, sendBatch(), retry); err != nil || b.Count(paymentbatch.Released) != 2 {
		t.Errorf("retry = %d released, %v; want the sent batch", b.Count(paymentbatch.Released), err)
	}
	if got := lastPosition(t, st); got != head {
		t.Errorf("the re-runs appended: log at %d, was %d", got, head)
	}
}
