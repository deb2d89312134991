package ledger

import (
	"context"
	"sync"
	"testing"

	"github.com/google/uuid"

	"github.com/haixi-hrss/fundledger/eventstore"
)

// gatedStore holds the first append to a stream until gate is closed,
// after telling entered.
type gatedStore struct {
	eventstore.Store
	once    sync.Once
	entered chan struct{}
	gate    chan struct{}
}

func (g *gatedStore) Append(ctx context.Context, stream string, expected eventstore.ExpectedVersion, events ...eventstore.EventData) (eventstore.AppendResult, error) {
	first := false
	g.once.Do(func() { first = true })
	if first {
		close(g.entered)
		<-g.gate
	}
	return g.Store.Append(ctx, stream, expected, events...)
}

// TestCancelledCallerInABatchUnderWay: two commands are combined
// into one batch; one caller gives up (context cancelled) while the
// batch's append is on its way, whether its goroutine runs the batch or
// waits for it. The batch is one commit away and runs for both: both are
// appended and each answer names its own event at its version. The
// cached fold then agrees with the stream.
func TestCancelledCallerInABatchUnderWay(t *testing.T) {
	ctx := context.Background()
	base := openTallyStore(t)
	st := &gatedStore{Store: base.Store, entered: make(chan struct{}), gate: make(chan struct{})}
	svc := tallyService(t, st)
	agg, add := inPlaceSet("set-1")
	unlock, err := svc.locks.lock(ctx, "set-1")
	if err != nil {
		t.Fatal(err)
	}
	cancelled, cancel := context.WithCancel(ctx)
	type call struct {
		ctx context.Context
		cmd Command
		by  int
		res Result
		err error
	}
	calls := []*call{{ctx: cancelled, cmd: Command{ID: uuid.New()}, by: 1}, {ctx: ctx, cmd: Command{ID: uuid.New()}, by: 2}}
	var wg sync.WaitGroup
	for i, c := range calls {
		wg.Go(func() { c.res, c.err = Handle(c.ctx, svc, agg, c.cmd, add(c.by)) })
		for {
			svc.ops.mu.Lock()
			n := len(svc.ops.waiting["set-1"])
			svc.ops.mu.Unlock()
			if n == i+1 {
				break
			}
		}
	}
	unlock()
	<-st.entered
	cancel()
	close(st.gate)
	wg.Wait()

	evs, err := base.Store.ReadStream(ctx, "set-1", 0, 0)
	if err != nil {
		t.Fatal(err)
	}
	if len(evs) != 2 {
		t.Fatalf("stream holds %d events, want both commands'", len(evs))
	}
	for i, c := range calls {
		v := c.res.FirstVersion
		if c.err != nil || len(c.res.EventIDs) != 1 || v > 1 || evs[v].ID != EventID(c.cmd.ID, "set-1", 0) {
			t.Errorf("call %d: %+v, %v; want its own event in the stream", i, c.res, c.err)
		}
	}
	for _, by := range []int{1, 2} {
		if _, err := Handle(ctx, svc, agg, Command{ID: uuid.New()}, add(by)); err == nil {
			t.Errorf("%d added again after the batch: the cached fold lost it", by)
		}
	}
}
