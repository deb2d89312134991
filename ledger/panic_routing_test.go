package ledger

import (
	"context"
	"sync"
	"testing"

	"github.com/google/uuid"

	"github.com/haixi-hrss/fundledger/domain"
)

// TestPanicSurfacesInItsOwnCaller: a decide that panics inside a
// combined batch should fail its own caller only. Whichever caller's
// goroutine happens to run the batch re-panics instead, so a request
// whose own command was fine is answered 500 (and its command is not
// appended) for another request's panic.
func TestPanicSurfacesInItsOwnCaller(t *testing.T) {
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
	panicked := make([]bool, good)
	var wg sync.WaitGroup
	for i := range good {
		wg.Go(func() {
			defer func() { panicked[i] = recover() != nil }()
			_, _ = Handle(ctx, svc, agg, Command{ID: uuid.New()}, add(10+i))
		})
		queued(i + 1)
	}
	wg.Go(func() {
		defer func() { _ = recover() }()
		_, _ = Handle(ctx, svc, agg, Command{ID: uuid.New()}, func(map[int]bool) ([]domain.Event, error) { panic("decide failed") })
	})
	queued(good + 1)
	unlock()
	wg.Wait()
	for i := range good {
		if panicked[i] {
			t.Errorf("command %d (whose decide did not panic) panicked: it ran the batch of another's panic", i)
		}
	}
}
