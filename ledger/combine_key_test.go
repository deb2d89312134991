package ledger

import (
	"context"
	"testing"

	"github.com/google/uuid"

	"github.com/haixi-hrss/fundledger/domain"
	"github.com/haixi-hrss/fundledger/eventstore/sqlite"
)

// TestBatchKeepsAReplayAcrossATakenKey: a combined batch on a cold cache
// holds a retry of a command already in the stream, which the tail read
// answers with its first result, and a command whose key claim is taken.
// The batch is decided again without the second; the retry keeps its
// first result instead of being decided afresh on a state that holds it.
func TestBatchKeepsAReplayAcrossATakenKey(t *testing.T) {
	ctx := context.Background()
	st, err := sqlite.Open(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	agg, _ := sharedTally("line-1", 100)
	once := func(n int) ([]domain.Event, error) {
		if n >= 1 {
			return nil, nil // applied already
		}
		return []domain.Event{added{By: 1}}, nil
	}
	first := Command{ID: uuid.New(), Name: "Add", Actor: "a", Role: "r"}
	if _, err := Handle(ctx, tallyService(t, st), agg, first, once); err != nil {
		t.Fatal(err)
	}
	holder := Command{ID: uuid.New(), Name: "Other", Actor: "a", Role: "r"}
	taken, err := newKeyClaim(IdempotencyStream("k"), &holder, "other-1", "fp-holder")
	if err != nil {
		t.Fatal(err)
	}
	if err := tallyService(t, st).appendClaim(ctx, taken); err != nil {
		t.Fatal(err)
	}

	svc := tallyService(t, st) // nothing cached: the batch reads the stream
	keyed := Command{ID: uuid.New(), Name: "Keyed", Actor: "a", Role: "r"}
	kc, err := newKeyClaim(IdempotencyStream("k"), &keyed, "other-2", "fp-keyed")
	if err != nil {
		t.Fatal(err)
	}
	keyed.keyOf = kc
	retry := first
	op1 := &pendingOp[int]{cmd: &retry, decide: once, finished: make(chan struct{})}
	op2 := &pendingOp[int]{cmd: &keyed, decide: func(int) ([]domain.Event, error) { return []domain.Event{added{By: 5}}, nil },
		finished: make(chan struct{})}
	runBatch(ctx, svc, agg, []any{op1, op2})
	if op1.err != nil || !op1.res.Replayed || len(op1.res.Events) != 1 {
		t.Errorf("the retry's result: %+v, %v; want its first run's, replayed", op1.res, op1.err)
	}
	if op2.err != errKeyTaken || kc.tried {
		t.Errorf("the keyed command: %v (claim tried %v), want errKeyTaken and nothing recorded", op2.err, kc.tried)
	}
}
