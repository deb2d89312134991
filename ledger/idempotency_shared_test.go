package ledger_test

import (
	"context"
	"slices"
	"testing"

	"github.com/google/uuid"

	"github.com/haixi-hrss/fundledger/domain"
	"github.com/haixi-hrss/fundledger/domain/budget"
	"github.com/haixi-hrss/fundledger/domain/role"
	"github.com/haixi-hrss/fundledger/ledger"
)

// TestKeyAddedToACommandAppliedOnABudgetLine: a budget-line command
// applied without a key is sent again, same command ID, with one. A
// budget line is decided on the process's cached fold, where the first
// run's events are not recognised by their IDs, and the repeat decides
// nothing (its operation ID is taken). As on any other stream (see
// TestKeyAddedToAnAppliedCommandID) the answer must be the first result,
// Replayed, and the key bound to it: a later retry under the key with a
// new command ID replays too, and other input under it is a mismatch.
func TestKeyAddedToACommandAppliedOnABudgetLine(t *testing.T) {
	ctx := context.Background()
	st := openStore(t, t.TempDir())
	svc := approvalService(t, st)
	if err := allocate(ctx, svc, 10); err != nil {
		t.Fatal(err)
	}
	reserve := func(amount int64) (budget.Reserve, func(budget.State) ([]domain.Event, error)) {
		cmd := budget.Reserve{ReservationID: "res-1", ClaimID: "claim-1", Amount: times(amount),
			Actor: "appr1", Role: role.Approver, At: claimAt}
		return cmd, func(s budget.State) ([]domain.Event, error) { return budget.Decide(s, cmd) }
	}
	line := ledger.BudgetLineAggregate(expansionLine)
	cmd, decide := reserve(1)
	env := ledger.Command{ID: uuid.New(), Name: "Reserve", Actor: "appr1", Role: role.Approver, Payload: cmd}
	first, err := ledger.Handle(ctx, svc, line, env, decide)
	if err != nil || len(first.EventIDs) != 1 {
		t.Fatalf("first run: %+v, %v; want one event", first, err)
	}
	lineEvents := len(readStream(t, st, line.Stream))

	keyed := env
	keyed.IdempotencyKey = "reserve-res-1"
	for _, retry := range []string{"same command ID, key added", "new command ID under the key"} {
		res, err := ledger.Handle(ctx, svc, line, keyed, decide)
		if err != nil || !res.Replayed || !slices.Equal(res.EventIDs, first.EventIDs) ||
			res.FirstVersion != first.FirstVersion || res.Position != first.Position {
			t.Errorf("%s: %+v, %v; want a replay of %+v", retry, res, err, first)
		}
		keyed.ID = uuid.New()
	}
	claims := readStream(t, st, ledger.IdempotencyStream("reserve-res-1"))
	if len(claims) != 1 {
		t.Fatalf("the key's stream holds %d records, want its claim", len(claims))
	}
	other, otherDecide := reserve(2)
	mismatched := keyed
	mismatched.Payload = other
	if _, err := ledger.Handle(ctx, svc, line, mismatched, otherDecide); err == nil {
		t.Error("other input under the bound key was accepted")
	} else {
		wantMismatch(t, err, keyed.IdempotencyKey)
	}
	if n := len(readStream(t, st, line.Stream)); n != lineEvents {
		t.Errorf("the line holds %d events, had %d: a repeat appended", n, lineEvents)
	}
}
