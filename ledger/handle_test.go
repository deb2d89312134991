package ledger_test

import (
	"context"
	"encoding/json"
	"errors"
	"sync"
	"testing"

	"github.com/google/uuid"

	"github.com/haixi-hrss/fundledger/domain"
	"github.com/haixi-hrss/fundledger/eventstore"
	"github.com/haixi-hrss/fundledger/ledger"
	"github.com/haixi-hrss/fundledger/ledger/codec"
)

func TestHandleAppendsWithEnvelopeAndFolds(t *testing.T) {
	ctx := context.Background()
	st := openStore(t, t.TempDir())
	svc := newService(t, st)
	agg := counterAggregate("counter-1")

	cmd := ledger.Command{ID: uuid.New(), Name: "Increment", Actor: "clerk-1", Role: "clerk",
		EffectiveDate: "2025-03-01", PolicyVersion: "p1", Payload: 3}
	res, err := ledger.Handle(ctx, svc, agg, cmd, increment(3))
	if err != nil {
		t.Fatal(err)
	}
	if res.Stream != "counter-1" || res.FirstVersion != 0 || res.LastVersion != 2 || len(res.Events) != 3 || res.Replayed {
		t.Fatalf("result %+v, want versions 0..2 with 3 events", res)
	}
	evs := readStream(t, st, "counter-1")
	if len(evs) != 3 {
		t.Fatalf("stream has %d events, want 3", len(evs))
	}
	for i, ev := range evs {
		if ev.ID != ledger.EventID(cmd.ID, "counter-1", i) || ev.ID != res.EventIDs[i] {
			t.Errorf("event %d has ID %s, want the one derived from the command", i, ev.ID)
		}
		want := eventstore.Metadata{Actor: "clerk-1", Role: "clerk", CorrelationID: cmd.ID.String(),
			CausationID: cmd.ID.String(), EffectiveDate: "2025-03-01", PolicyVersion: "p1"}
		if ev.Metadata != want {
			t.Errorf("event %d metadata %+v, want %+v", i, ev.Metadata, want)
		}
		if ev.Type != "Incremented" || ev.SchemaVersion != 1 {
			t.Errorf("event %d is %s v%d", i, ev.Type, ev.SchemaVersion)
		}
	}
	if res.Position != evs[2].Position {
		t.Errorf("result position %d, last event at %d", res.Position, evs[2].Position)
	}

	// The next command sees the folded state: 3 + 47 = 50 fits, one more
	// does not.
	res, err = ledger.Handle(ctx, svc, agg, ledger.Command{ID: uuid.New(), CorrelationID: "req-7", CausationID: "ev-1"}, increment(47))
	if err != nil {
		t.Fatal(err)
	}
	if res.FirstVersion != 3 || res.LastVersion != 49 {
		t.Errorf("second command landed at %d..%d, want 3..49", res.FirstVersion, res.LastVersion)
	}
	if m := readStream(t, st, "counter-1")[3].Metadata; m.CorrelationID != "req-7" || m.CausationID != "ev-1" {
		t.Errorf("given correlation/causation not recorded: %+v", m)
	}
	if _, err := ledger.Handle(ctx, svc, agg, ledger.Command{ID: uuid.New()}, increment(1)); !errors.Is(err, domain.ErrRejected) {
		t.Errorf("past the max: err = %v, want ErrRejected", err)
	}
}

func TestDecideErrorIsReturnedAndAppendsNothing(t *testing.T) {
	ctx := context.Background()
	st := openStore(t, t.TempDir())
	svc := newService(t, st)
	agg := counterAggregate("counter-1")
	if _, err := ledger.Handle(ctx, svc, agg, ledger.Command{ID: uuid.New()}, increment(counterMax)); err != nil {
		t.Fatal(err)
	}
	before := lastPosition(t, st)

	for _, key := range []string{"", "key-1"} {
		_, err := ledger.Handle(ctx, svc, agg, ledger.Command{ID: uuid.New(), IdempotencyKey: key}, increment(1))
		var re *domain.RuleError
		if !errors.As(err, &re) || re.Rule != "counter-max" || !errors.Is(err, domain.ErrRejected) {
			t.Errorf("key %q: err = %v, want the decide's *domain.RuleError", key, err)
		}
	}
	if after := lastPosition(t, st); after != before {
		t.Errorf("a rejected command appended: global log moved from %d to %d", before, after)
	}
}

func TestNoEventsAppendsNothing(t *testing.T) {
	ctx := context.Background()
	st := openStore(t, t.TempDir())
	svc := newService(t, st)
	none := func(counter) ([]domain.Event, error) { return nil, nil }
	res, err := ledger.Handle(ctx, svc, counterAggregate("counter-1"), ledger.Command{ID: uuid.New(), IdempotencyKey: "k"}, none)
	if err != nil || len(res.Events) != 0 {
		t.Fatalf("res %+v, err %v", res, err)
	}
	if p := lastPosition(t, st); p != 0 {
		t.Errorf("a command that decided nothing appended up to position %d", p)
	}
}

func TestSameCommandIDIsAppliedOnce(t *testing.T) {
	ctx := context.Background()
	st := openStore(t, t.TempDir())
	svc := newService(t, st)
	agg := counterAggregate("counter-1")
	cmd := ledger.Command{ID: uuid.New()}
	first, err := ledger.Handle(ctx, svc, agg, cmd, increment(2))
	if err != nil {
		t.Fatal(err)
	}
	// Another command lands in between; the retry must still find its own
	// events rather than append them again after the newcomer.
	if _, err := ledger.Handle(ctx, svc, agg, ledger.Command{ID: uuid.New()}, increment(1)); err != nil {
		t.Fatal(err)
	}
	again, err := ledger.Handle(ctx, svc, agg, cmd, increment(2))
	if err != nil {
		t.Fatal(err)
	}
	if !again.Replayed || again.FirstVersion != first.FirstVersion || again.LastVersion != first.LastVersion ||
		again.Position != first.Position || len(again.Events) != 2 {
		t.Errorf("retry result %+v, want a replay of %+v", again, first)
	}
	if n := len(readStream(t, st, "counter-1")); n != 3 {
		t.Errorf("stream has %d events, want 3", n)
	}
}

func TestConflictAfterBoundedAttempts(t *testing.T) {
	ctx := context.Background()
	st := &faultyStore{Store: openStore(t, t.TempDir()), fail: func(stream string) error {
		return &eventstore.ConcurrencyError{Stream: stream, Expected: eventstore.NoStream, Actual: 0}
	}}
	svc := newService(t, st, ledger.WithMaxAttempts(5), ledger.WithBackoff(0))
	_, err := ledger.Handle(ctx, svc, counterAggregate("counter-1"), ledger.Command{ID: uuid.New()}, increment(1))
	var ce *ledger.ConflictError
	if !errors.Is(err, ledger.ErrConflict) || !errors.As(err, &ce) || ce.Attempts != 5 || !errors.Is(err, eventstore.ErrConcurrency) {
		t.Fatalf("err = %v, want a ConflictError after 5 attempts", err)
	}
	if n := st.appends.Load(); n != 5 {
		t.Errorf("%d appends tried, want exactly 5", n)
	}
}

func TestOtherAppendErrorsAreNotRetried(t *testing.T) {
	boom := errors.New("disk on fire")
	st := &faultyStore{Store: openStore(t, t.TempDir()), fail: func(string) error { return boom }}
	svc := newService(t, st, ledger.WithBackoff(0))
	_, err := ledger.Handle(context.Background(), svc, counterAggregate("counter-1"), ledger.Command{ID: uuid.New()}, increment(1))
	if !errors.Is(err, boom) || errors.Is(err, ledger.ErrConflict) {
		t.Fatalf("err = %v, want the store's error unchanged in the chain", err)
	}
	if n := st.appends.Load(); n != 1 {
		t.Errorf("%d appends tried, want 1", n)
	}
}

// TestConcurrentWriters runs 64 writers on one counter. With enough
// attempts every writer succeeds until the max, the rest are rejected, and
// the stream holds exactly the successful increments: no lost update, no
// overshoot, no duplicate.
func TestConcurrentWriters(t *testing.T) {
	ctx := context.Background()
	st := openStore(t, t.TempDir())
	svc := newService(t, st, ledger.WithMaxAttempts(1000), ledger.WithBackoff(0))
	const writers = 64
	var wg sync.WaitGroup
	errs := make([]error, writers)
	for i := range writers {
		wg.Go(func() {
			_, errs[i] = ledger.Handle(ctx, svc, counterAggregate("counter-1"), ledger.Command{ID: uuid.New()}, increment(1))
		})
	}
	wg.Wait()
	ok, rejected := 0, 0
	for _, err := range errs {
		switch {
		case err == nil:
			ok++
		case errors.Is(err, domain.ErrRejected):
			rejected++
		default:
			t.Errorf("unexpected error: %v", err)
		}
	}
	if ok != counterMax || rejected != writers-counterMax {
		t.Errorf("%d succeeded and %d were rejected, want %d and %d", ok, rejected, counterMax, writers-counterMax)
	}
	evs := readStream(t, st, "counter-1")
	if len(evs) != counterMax {
		t.Fatalf("stream has %d events, want %d", len(evs), counterMax)
	}
	for i, ev := range evs {
		if ev.Version != uint64(i) {
			t.Fatalf("event %d has version %d", i, ev.Version)
		}
	}
}

// TestConcurrentWritersGiveUpBounded runs 64 writers with the default
// attempt limit and no maximum: each one either lands or reports
// ErrConflict, and the stream holds exactly the ones that landed.
func TestConcurrentWritersGiveUpBounded(t *testing.T) {
	ctx := context.Background()
	st := openStore(t, t.TempDir())
	svc := newService(t, st)
	const writers = 64
	var wg sync.WaitGroup
	errs := make([]error, writers)
	for i := range writers {
		wg.Go(func() {
			_, errs[i] = ledger.Handle(ctx, svc, counterAggregate("counter-2"), ledger.Command{ID: uuid.New()}, addOne)
		})
	}
	wg.Wait()
	ok := 0
	for _, err := range errs {
		var ce *ledger.ConflictError
		switch {
		case err == nil:
			ok++
		case errors.As(err, &ce) && ce.Attempts == ledger.DefaultMaxAttempts:
		default:
			t.Errorf("unexpected error: %v", err)
		}
	}
	if n := len(readStream(t, st, "counter-2")); ok == 0 || n != ok {
		t.Errorf("%d writers succeeded, stream has %d events", ok, n)
	}
	t.Logf("%d of %d writers landed within %d attempts", ok, writers, ledger.DefaultMaxAttempts)
}

// TestHandleFoldsUpcastEvents stores an Incremented at an old schema
// version ({"n":…}) and checks that Handle folds it through the codec's
// upcaster: the counter's limit counts it.
func TestHandleFoldsUpcastEvents(t *testing.T) {
	ctx := context.Background()
	st := openStore(t, t.TempDir())
	_, err := st.Append(ctx, "counter-1", eventstore.NoStream,
		eventstore.EventData{ID: uuid.New(), Type: "Incremented", SchemaVersion: 1, Data: []byte(`{"n":49}`)})
	if err != nil {
		t.Fatal(err)
	}
	renameN := func(data json.RawMessage) (json.RawMessage, error) {
		var v struct {
			N int `json:"n"`
		}
		if err := json.Unmarshal(data, &v); err != nil {
			return nil, err
		}
		return json.Marshal(Incremented{By: v.N})
	}
	c, err := codec.New(codec.Types(map[string]func() domain.Event{
		"Incremented": func() domain.Event { return Incremented{} },
	}), codec.Upcast("Incremented", 1, renameN))
	if err != nil {
		t.Fatal(err)
	}
	svc := ledger.New(st, c)
	if _, err := ledger.Handle(ctx, svc, counterAggregate("counter-1"), ledger.Command{ID: uuid.New()}, increment(1)); err != nil {
		t.Fatal(err)
	}
	if _, err := ledger.Handle(ctx, svc, counterAggregate("counter-1"), ledger.Command{ID: uuid.New()}, increment(1)); !errors.Is(err, domain.ErrRejected) {
		t.Errorf("51st increment: err = %v, want ErrRejected (the old event must count 49)", err)
	}
	if evs := readStream(t, st, "counter-1"); evs[1].SchemaVersion != 2 {
		t.Errorf("new event written at schema version %d, want the current 2", evs[1].SchemaVersion)
	}
}
