package ledger_test

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/google/uuid"

	"github.com/haixi-hrss/fundledger/domain/identity"
	"github.com/haixi-hrss/fundledger/eventstore"
	"github.com/haixi-hrss/fundledger/ledger"
)

// The tests below place another request inside a command's commit with
// multiStore's hook. (Found by a review of the one-commit path; each
// failed before its fix.)

// TestRaceDuplicateWinsBetweenAttempts: the first command's commit of
// claim+events is refused because an unrelated writer moved the stream; a
// duplicate (same key, same input) then claims the key and applies. The
// first command's retry decides on the duplicate's state and is refused,
// yet the idempotency rule says it must get the duplicate's result.
func TestRaceDuplicateWinsBetweenAttempts(t *testing.T) {
	ctx := context.Background()
	st := &multiStore{MultiAppender: openStore(t, t.TempDir())}
	svc := newService(t, st)
	agg := counterAggregate("counter-race")
	var dup ledger.Result
	var dupErr error
	st.hook = func(call func() ([]eventstore.AppendResult, error)) ([]eventstore.AppendResult, error) {
		// An unrelated writer moves the counter first.
		if _, err := ledger.Handle(ctx, svc, agg, ledger.Command{ID: uuid.New(), Name: "Other", Actor: "clerk-2"}, increment(1)); err != nil {
			t.Fatal(err)
		}
		res, err := call() // refused: the counter moved
		// A duplicate under the same key and input runs to completion.
		dup, dupErr = ledger.Handle(ctx, svc, agg, keyed("k-race", 30), increment(30))
		return res, err
	}
	first, err := ledger.Handle(ctx, svc, agg, keyed("k-race", 30), increment(30))
	if dupErr != nil {
		t.Fatalf("duplicate: %v", dupErr)
	}
	if err != nil {
		t.Fatalf("first command under key k-race: %v; want the duplicate's result %+v (same key, same input)", err, dup)
	}
	if first.FirstVersion != dup.FirstVersion || first.LastVersion != dup.LastVersion {
		t.Errorf("first %+v, duplicate %+v: want one result", first, dup)
	}
}

// TestRaceMismatchLeavesNoReservation: a submission whose idempotency
// key another input claims between its repeat check and its commit gets
// the mismatch, and must not leave its person's uniqueness keys held by a
// claim that was never submitted.
func TestRaceMismatchLeavesNoReservation(t *testing.T) {
	ctx := context.Background()
	st := &multiStore{MultiAppender: openStore(t, t.TempDir())}
	svc := claimService(t, st)
	other := identity.PersonRef(strings.Repeat("4e", 32))
	st.hook = func(call func() ([]eventstore.AppendResult, error)) ([]eventstore.AppendResult, error) {
		// Another input under the same key wins the key first.
		if _, err := ledger.SubmitClaim(ctx, svc, submitExpansion(1, hire(hiredPerson, 1)), envelope("k-shared")); err != nil {
			t.Fatal(err)
		}
		return call()
	}
	_, err := ledger.SubmitClaim(ctx, svc, submitExpansion(2, hire(other, 2)), envelope("k-shared"))
	var mm *ledger.IdempotencyMismatchError
	if !errors.As(err, &mm) {
		t.Fatalf("second input under the key: %v, want a mismatch", err)
	}
	wantKeysFree(t, svc, hire(other, 2), "the refused request (held by a claim that does not exist)")
	// The person's own claim must be accepted: none of its keys is held.
	if _, err := ledger.SubmitClaim(ctx, svc, submitExpansion(3, hire(other, 3)), envelope("k-other")); err != nil {
		t.Errorf("the person's own claim: %v", err)
	}
}

// TestRaceClaimIDTakenLeavesNoReservation: a submission whose claim ID
// another submission (another person) takes between the existence check
// and the commit is refused, and must not leave its own person's keys
// held by the other person's claim.
func TestRaceClaimIDTakenLeavesNoReservation(t *testing.T) {
	ctx := context.Background()
	st := &multiStore{MultiAppender: openStore(t, t.TempDir())}
	svc := claimService(t, st)
	other := identity.PersonRef(strings.Repeat("4e", 32))
	st.hook = func(call func() ([]eventstore.AppendResult, error)) ([]eventstore.AppendResult, error) {
		if _, err := ledger.SubmitClaim(ctx, svc, submitExpansion(1, hire(hiredPerson, 1)), envelope("k-a")); err != nil {
			t.Fatal(err)
		}
		return call()
	}
	_, err := ledger.SubmitClaim(ctx, svc, submitExpansion(1, hire(other, 1)), envelope("k-b"))
	if err == nil {
		t.Fatal("a second submission of claim 1 for another person was accepted")
	}
	var dup *ledger.DuplicateError
	if errors.As(err, &dup) {
		t.Errorf("second submission of claim 1: %v; the claim is taken, not the person", err)
	}
	wantKeysFree(t, svc, hire(other, 1), "the refused submission (held by another person's claim)")
}
