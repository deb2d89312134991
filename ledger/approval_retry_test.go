package ledger_test

import (
	"context"
	"errors"
	"slices"
	"testing"

	"github.com/google/uuid"

	"github.com/haixi-hrss/fundledger/domain/budget"
	"github.com/haixi-hrss/fundledger/domain/claim"
	"github.com/haixi-hrss/fundledger/domain/role"
	"github.com/haixi-hrss/fundledger/ledger"
)

// objectToClaim takes approved claim id through disclosure to an
// objection, which sends it back to review in the next round and
// releases its reservation.
func objectToClaim(t *testing.T, svc *ledger.Service, id string) {
	t.Helper()
	ctx := context.Background()
	if _, err := ledger.StartDisclosure(ctx, svc, id, startDisclosure(), clerkEnv()); err != nil {
		t.Fatal(err)
	}
	objection := claim.RaiseObjection{Reason: "a neighbour reports the hire is fictitious", Actor: "appr2", Role: role.Approver, At: claimAt}
	if _, err := ledger.RaiseObjection(ctx, svc, id, objection, approverEnv("appr2")); err != nil {
		t.Fatal(err)
	}
}

// TestApproveClaimRetryAfterObjectionReservesNothing: an approval retried
// after an objection sent its claim back to review, by its idempotency
// key (a client's retry, new command ID) or by its command ID, returns
// the first approval and reserves nothing for the new round. The same key
// with other input is refused before anything is reserved.
func TestApproveClaimRetryAfterObjectionReservesNothing(t *testing.T) {
	tests := []struct {
		name  string
		key   string
		retry func(first ledger.Command) ledger.Command
	}{
		{"same key, new command ID", "approve-once", func(first ledger.Command) ledger.Command {
			first.ID = uuid.New()
			return first
		}},
		{"same command ID, no key", "", func(first ledger.Command) ledger.Command { return first }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctx := context.Background()
			st := openStore(t, t.TempDir())
			svc := paymentService(t, st)
			setUpClaims(t, svc, 10, 1)
			id := expansionClaimID(0)
			env := approverEnv("appr1")
			env.IdempotencyKey = tt.key
			first, err := ledger.ApproveClaim(ctx, svc, id, approve("appr1"), env)
			if err != nil {
				t.Fatal(err)
			}
			objectToClaim(t, svc, id)
			before := lineState(t, svc, st)
			head := lastPosition(t, st)

			again, err := ledger.ApproveClaim(ctx, svc, id, approve("appr1"), tt.retry(env))
			if err != nil {
				t.Fatalf("retry: %v", err)
			}
			if !again.Replayed || again.Position != first.Position || !slices.Equal(again.EventIDs, first.EventIDs) {
				t.Errorf("retry gave %+v, want a replay of %v at position %d", again, first.EventIDs, first.Position)
			}
			var approved *claim.Approved
			for _, ev := range again.Events {
				if a, ok := ev.(*claim.Approved); ok {
					approved = a
				}
			}
			if approved == nil || approved.ReservationID != id+"/reserve/0" {
				t.Errorf("retry returned %d events without the round-0 approval", len(again.Events))
			}
			if got := lastPosition(t, st); got != head {
				t.Errorf("retry appended: log at %d, was %d", got, head)
			}
			after := lineState(t, svc, st)
			if !after.Reserved.Equal(before.Reserved) || !after.Claims[id].Pending.IsZero() {
				t.Errorf("line reserved %s (was %s), holds %s for the claim; want unchanged and 0",
					after.Reserved, before.Reserved, after.Claims[id].Pending)
			}
			if _, ok := after.Ops[id+"/reserve/1"]; ok {
				t.Error("the retry reserved for round 1")
			}
			if c := claimState(t, st, id); c.Status != claim.StatusChecked || c.Round != 1 || len(c.Approvals) != 0 {
				t.Errorf("claim %s round %d with %d approvals, want under review in round 1", c.Status, c.Round, len(c.Approvals))
			}
			checkAgreement(t, svc, st, 1)

			// The new round's own approval still goes through.
			if _, err := ledger.ApproveClaim(ctx, svc, id, approve("appr1"), approverEnv("appr1")); err != nil {
				t.Fatal(err)
			}
			if line := lineState(t, svc, st); !line.Claims[id].Pending.Equal(grant) || line.Ops[id+"/reserve/1"].Kind != "reserve" {
				t.Errorf("round-1 approval: line holds %s, ops %v", line.Claims[id].Pending, line.Ops)
			}
			checkAgreement(t, svc, st, 1)
		})
	}
}

// wantMismatch fails unless err is the documented error for a key reused
// with other input.
func wantMismatch(t *testing.T, err error, key string) {
	t.Helper()
	var me *ledger.IdempotencyMismatchError
	if !errors.Is(err, ledger.ErrIdempotencyMismatch) || !errors.As(err, &me) || me.Key != key {
		t.Fatalf("err = %v, want ErrIdempotencyMismatch for key %q", err, key)
	}
}

// TestApproveClaimKeyReusedReservesNothing: an idempotency key reused for
// another approval, of the same claim after an objection or of another
// claim, is refused with ErrIdempotencyMismatch and reserves nothing.
func TestApproveClaimKeyReusedReservesNothing(t *testing.T) {
	ctx := context.Background()
	st := openStore(t, t.TempDir())
	svc := paymentService(t, st)
	setUpClaims(t, svc, 10, 2)
	id := expansionClaimID(0)
	env := approverEnv("appr1")
	env.IdempotencyKey = "approve-reused"
	if _, err := ledger.ApproveClaim(ctx, svc, id, approve("appr1"), env); err != nil {
		t.Fatal(err)
	}
	objectToClaim(t, svc, id)
	head := lastPosition(t, st)
	before := lineState(t, svc, st)

	otherReason := approve("appr1")
	otherReason.Reason = "evidence complete after the objection was heard"
	retry := env
	retry.ID = uuid.New()
	_, err := ledger.ApproveClaim(ctx, svc, id, otherReason, retry)
	wantMismatch(t, err, env.IdempotencyKey)
	otherClaim := env
	otherClaim.ID = uuid.New()
	_, err = ledger.ApproveClaim(ctx, svc, expansionClaimID(1), approve("appr1"), otherClaim)
	wantMismatch(t, err, env.IdempotencyKey)

	if got := lastPosition(t, st); got != head {
		t.Errorf("refusals appended: log at %d, was %d", got, head)
	}
	if after := lineState(t, svc, st); !after.Reserved.Equal(before.Reserved) || len(after.Ops) != len(before.Ops) {
		t.Errorf("line reserved %s with %d ops, was %s with %d", after.Reserved, len(after.Ops), before.Reserved, len(before.Ops))
	}
	checkAgreement(t, svc, st, 2)
}

// TestApproveClaimRetryFindsApprovalAfterObjection: a run that appended
// its approval and died before answering (the key holds its claim only,
// as every run leaves it) is retried after an objection; the retry finds
// the approval under the key's command, appends nothing to the key and
// reserves nothing.
func TestApproveClaimRetryFindsApprovalAfterObjection(t *testing.T) {
	ctx := context.Background()
	const key = "approve-crashed"
	keyStream := ledger.IdempotencyStream(key)
	st := openStore(t, t.TempDir())
	svc := paymentService(t, st)
	setUpClaims(t, svc, 10, 1)
	id := expansionClaimID(0)
	env := approverEnv("appr1")
	env.IdempotencyKey = key
	if _, err := ledger.ApproveClaim(ctx, svc, id, approve("appr1"), env); err != nil {
		t.Fatal(err)
	}
	if c := claimState(t, st, id); c.Status != claim.StatusApproved {
		t.Fatalf("claim is %s, want approved by the first run", c.Status)
	}
	objectToClaim(t, svc, id)
	before := lineState(t, svc, st)

	retry := env
	retry.ID = uuid.New()
	res, err := ledger.ApproveClaim(ctx, svc, id, approve("appr1"), retry)
	if err != nil {
		t.Fatal(err)
	}
	if !res.Replayed || res.EventIDs[0] != ledger.EventID(env.ID, claim.Stream(id), 0) {
		t.Errorf("retry gave %+v, want a replay of the crashed run's approval", res)
	}
	if got := len(readStream(t, st, keyStream)); got != 1 {
		t.Errorf("key stream holds %d records, want the claim only", got)
	}
	after := lineState(t, svc, st)
	if !after.Reserved.Equal(before.Reserved) || !after.Claims[id].Pending.IsZero() {
		t.Errorf("line reserved %s (was %s), holds %s for the claim; want unchanged and 0",
			after.Reserved, before.Reserved, after.Claims[id].Pending)
	}
	if n := countType(t, st, budget.Stream(expansionLine), "FundsReserved"); n != 1 {
		t.Errorf("line records %d reservations, want the first round's only", n)
	}
	checkAgreement(t, svc, st, 1)
}
