package ledger

import (
	"context"
	"errors"
	"testing"

	"github.com/google/uuid"

	"github.com/haixi-hrss/fundledger/domain"
)

// TestHandleNextAfterAnotherProcessWrote: the step before created
// the stream on this process; another process then wrote it. The next
// step, decided on the step before without reading, must not be appended
// on that stale fold: it is refused when the stream as read calls for it,
// and appended after every event otherwise. A step retried after a
// replayed step before (HandleNext then runs as Handle) lands once.
func TestHandleNextAfterAnotherProcessWrote(t *testing.T) {
	ctx := context.Background()
	st := openTallyStore(t)
	here, there := tallyService(t, st), tallyService(t, st)
	step1 := Command{ID: uuid.New()}
	prev, err := Handle(ctx, here, tally("tally-1"), step1, add(2))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := Handle(ctx, there, tally("tally-1"), Command{ID: uuid.New()}, add(7)); err != nil {
		t.Fatal(err)
	}
	// The step before says 2 (room for 2 more); the stream says 9.
	if _, err := HandleNext(ctx, here, tally("tally-1"), Command{ID: uuid.New()}, add(2), prev); !errors.Is(err, domain.ErrRejected) {
		t.Fatalf("step on a stale step before: err = %v, want the refusal the stream calls for", err)
	}
	step2 := Command{ID: uuid.New()}
	res, err := HandleNext(ctx, here, tally("tally-1"), step2, add(1), prev)
	if err != nil || res.FirstVersion != 2 {
		t.Fatalf("step that fits: %+v, %v; want version 2", res, err)
	}
	// The request retried on the other process: its first step replays,
	// and its second step is recognised, not appended again.
	again, err := Handle(ctx, there, tally("tally-1"), step1, add(2))
	if err != nil || !again.Replayed {
		t.Fatalf("first step retried: %+v, %v; want a replay", again, err)
	}
	res2, err := HandleNext(ctx, there, tally("tally-1"), step2, add(1), again)
	if err != nil || res2.EventIDs[0] != res.EventIDs[0] || res2.FirstVersion != 2 {
		t.Errorf("second step retried: %+v, %v; want its first result at version 2", res2, err)
	}
	evs, err := st.Store.ReadStream(ctx, "tally-1", 0, 0)
	if err != nil || len(evs) != 3 {
		t.Errorf("stream holds %d events (%v), want 3", len(evs), err)
	}
}
