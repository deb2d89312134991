package ledger

import (
	"context"
	"sync"
	"testing"

	"github.com/google/uuid"

	"github.com/haixi-hrss/fundledger/domain"
)

// TestPanicInABatchFailsTheOtherCommands: when one command's decide
// panics inside a combined batch, every other command's caller must learn
// what became of it (an error, or its events in the stream); none may be
// told "done, nothing to append" (nil error, no events), which the API
// answers as a success and ApproveClaim takes as "reserved" before
// approving the claim. The panic surfaces in its own caller only, never
// in a caller whose command was fine but happened to run the batch.
func TestPanicInABatchFailsTheOtherCommands(t *testing.T) {
	ctx := context.Background()
	st := openTallyStore(t)
	svc := tallyService(t, st)
	agg, add := inPlaceSet("set-1")
	unlock, err := svc.locks.lock(ctx, "set-1")
	if err != nil {
		t.Fatal(err)
	}
	queued := func(n int) { waitQueued(svc, "set-1", n) }
	const good = 3
	results := make([]Result, good)
	errs := make([]error, good)
	panicked := make([]bool, good)
	var wg sync.WaitGroup
	for i := range good {
		wg.Go(func() {
			defer func() {
				if recover() != nil {
					panicked[i] = true
				}
			}()
			results[i], errs[i] = Handle(ctx, svc, agg, Command{ID: uuid.New()}, add(10+i))
		})
		queued(i + 1)
	}
	ownPanic := false
	wg.Go(func() {
		defer func() { ownPanic = recover() != nil }()
		_, _ = Handle(ctx, svc, agg, Command{ID: uuid.New()}, func(map[int]bool) ([]domain.Event, error) { panic("decide failed") })
	})
	queued(good + 1)
	unlock()
	wg.Wait()

	stored := len(readAll(t, st, "set-1"))
	for i := range good {
		if panicked[i] {
			t.Errorf("command %d (whose decide did not panic) panicked: it ran the batch of another's panic", i)
			continue
		}
		if errs[i] == nil && len(results[i].EventIDs) == 0 {
			t.Errorf("command %d: nil error and no events, but it was never appended (stream holds %d events)", i, stored)
		}
	}
	if !ownPanic {
		t.Error("the command whose decide panicked did not panic in its caller")
	}
}

func readAll(t *testing.T, st *countingStore, stream string) []any {
	t.Helper()
	evs, err := st.Store.ReadStream(context.Background(), stream, 0, 0)
	if err != nil {
		t.Fatal(err)
	}
	out := make([]any, len(evs))
	for i := range evs {
		out[i] = evs[i]
	}
	return out
}
