package ledger_test

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/google/uuid"
	"github.com/haixi-hrss/fundledger/domain/expansion"
	"github.com/haixi-hrss/fundledger/domain/identity"
	"github.com/haixi-hrss/fundledger/domain/role"
	"github.com/haixi-hrss/fundledger/ledger"
)

// TestSubmitClaimInOneCommit: on a store that appends to several streams
// at once, a claim with fresh uniqueness keys is submitted in one commit
// (keys, idempotency claim and claim events together) without a single
// stream read; a retry under the same key finds it written and replays
// the first result, appending nothing; a second claim for the same hire
// finds a key written, takes the key-by-key path and is refused as a
// duplicate with nothing of it recorded, after one refused try of the one
// commit.
func TestSubmitClaimInOneCommit(t *testing.T) {
	ctx := context.Background()
	m := &multiStore{MultiAppender: openStore(t, t.TempDir())}
	svc := claimService(t, m)
	facts := hire(hiredPerson, 1)
	if _, err := ledger.SubmitClaim(ctx, svc, submitExpansion(1, facts), envelope("submit-1")); err != nil {
		t.Fatal(err)
	}
	if a, n := m.appends.Load(), m.multis.Load(); a != 0 || n != 1 {
		t.Errorf("%d appends and %d multi-stream appends, want one multi-stream append", a, n)
	}
	if r := m.reads.Load(); r != 0 {
		t.Errorf("the new claim read %d streams before its commit, want none", r)
	}
	head := lastPosition(t, m)
	retry := envelope("submit-1")
	res, err := ledger.SubmitClaim(ctx, svc, submitExpansion(1, facts), retry)
	if err != nil || !res.Replayed {
		t.Fatalf("retry under the same key: replayed %v, %v; want the first result", res.Replayed, err)
	}
	if got := lastPosition(t, m); got != head {
		t.Errorf("the retry appended: log at %d, was %d", got, head)
	}
	keys := expansion.Keys(facts)
	if len(keys) == 0 {
		t.Fatal("the hire has no uniqueness keys")
	}
	for _, k := range keys {
		if h := holder(t, svc, k); h != "claim-"+expansionClaimID(1) {
			t.Errorf("key %s held by %q, want the first claim", k.Rule, h)
		}
	}

	multis := m.multis.Load()
	_, err = ledger.SubmitClaim(ctx, svc, submitExpansion(2, hire(hiredPerson, 1)), envelope("submit-2"))
	var dup *ledger.DuplicateError
	if !errors.As(err, &dup) {
		t.Fatalf("second claim for the hire: %v, want a *DuplicateError", err)
	}
	if got := lastPosition(t, m); got != head {
		t.Errorf("the refused claim appended: log at %d, was %d", got, head)
	}
	if n := m.multis.Load() - multis; n != 1 {
		t.Errorf("the refused claim tried %d multi-stream commits, want the one tried before any read", n)
	}
}

// TestResubmitByCommandIDReservesNothing: a submission repeated under the
// same command ID without an idempotency key, but naming another person,
// replays the first result and leaves the other person's keys free. The
// store would accept the repeated claim events as a retry in a commit
// with fresh keys, so such a submission must not take the one-commit try.
func TestResubmitByCommandIDReservesNothing(t *testing.T) {
	ctx := context.Background()
	m := &multiStore{MultiAppender: openStore(t, t.TempDir())}
	svc := claimService(t, m)
	first := ledger.Command{ID: uuid.New(), Actor: "clerk1", Role: role.Clerk}
	if _, err := ledger.SubmitClaim(ctx, svc, submitExpansion(1, hire(hiredPerson, 1)), first); err != nil {
		t.Fatal(err)
	}
	other := hire(identity.PersonRef(strings.Repeat("4e", 32)), 1)
	res, err := ledger.SubmitClaim(ctx, svc, submitExpansion(1, other), first)
	if err != nil || !res.Replayed {
		t.Fatalf("repeat under the same command ID: replayed %v, %v; want the first result", res.Replayed, err)
	}
	wantKeysFree(t, svc, other, "the person the repeat named")
}
