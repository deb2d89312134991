package ledger_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/google/uuid"

	"github.com/haixi-hrss/fundledger/domain"
	"github.com/haixi-hrss/fundledger/eventstore"
	"github.com/haixi-hrss/fundledger/eventstore/sqlite"
	"github.com/haixi-hrss/fundledger/ledger"
)

func keyed(key string, by int) ledger.Command {
	return ledger.Command{ID: uuid.New(), Name: "Increment", IdempotencyKey: key, Actor: "clerk-1", Payload: map[string]int{"by": by}}
}

// sameResult fails unless got is a replay of want.
func sameResult(t *testing.T, got, want ledger.Result) {
	t.Helper()
	if !got.Replayed {
		t.Errorf("result not marked Replayed: %+v", got)
	}
	got.Replayed, want.Replayed = false, false
	if !reflect.DeepEqual(got, want) {
		t.Errorf("replayed result\n %+v\nwant the first\n %+v", got, want)
	}
}

func TestIdempotentRepeatReturnsFirstResultAndAppendsNothing(t *testing.T) {
	ctx := context.Background()
	st := openStore(t, t.TempDir())
	svc := newService(t, st)
	agg := counterAggregate("counter-1")
	first, err := ledger.Handle(ctx, svc, agg, keyed("k1", 2), increment(2))
	if err != nil {
		t.Fatal(err)
	}
	if first.Replayed {
		t.Fatal("first run marked Replayed")
	}
	before := lastPosition(t, st)
	// The retry carries a new command ID, as a client's retry would.
	again, err := ledger.Handle(ctx, svc, agg, keyed("k1", 2), increment(2))
	if err != nil {
		t.Fatal(err)
	}
	sameResult(t, again, first)
	if after := lastPosition(t, st); after != before {
		t.Errorf("the repeat appended: log moved from %d to %d", before, after)
	}
	// The claim alone: its command ID determines the result.
	if n := len(readStream(t, st, ledger.IdempotencyStream("k1"))); n != 1 {
		t.Errorf("idempotency stream has %d records, want the claim only", n)
	}
	for _, ev := range readStream(t, st, "counter-1") {
		if ev.Metadata.IdempotencyKey != "k1" {
			t.Errorf("event %d metadata lacks the idempotency key: %+v", ev.Version, ev.Metadata)
		}
	}
}

func TestIdempotencyKeyReusedForDifferentInput(t *testing.T) {
	ctx := context.Background()
	st := openStore(t, t.TempDir())
	svc := newService(t, st)
	if _, err := ledger.Handle(ctx, svc, counterAggregate("counter-1"), keyed("k1", 2), increment(2)); err != nil {
		t.Fatal(err)
	}
	before := lastPosition(t, st)
	for name, tc := range map[string]struct {
		stream string
		cmd    ledger.Command
	}{
		"other payload": {"counter-1", keyed("k1", 3)},
		"other stream":  {"counter-2", keyed("k1", 2)},
	} {
		_, err := ledger.Handle(ctx, svc, counterAggregate(tc.stream), tc.cmd, increment(2))
		var me *ledger.IdempotencyMismatchError
		if !errors.Is(err, ledger.ErrIdempotencyMismatch) || !errors.As(err, &me) || me.Key != "k1" || me.Stream != "counter-1" {
			t.Errorf("%s: err = %v, want an IdempotencyMismatchError for k1 on counter-1", name, err)
		}
	}
	if after := lastPosition(t, st); after != before {
		t.Errorf("a mismatched key appended: log moved from %d to %d", before, after)
	}
}

// TestKeyReusedUnderTheSameCommandID: a client deriving command IDs from
// its keys (as the API does) sends other input under a used key: the same
// command ID, so the claim it would append must still differ from the
// first one for the store to refuse it, on the same stream or another.
func TestKeyReusedUnderTheSameCommandID(t *testing.T) {
	ctx := context.Background()
	st := openStore(t, t.TempDir())
	svc := newService(t, st)
	first := keyed("k1", 2)
	if _, err := ledger.Handle(ctx, svc, counterAggregate("counter-1"), first, increment(2)); err != nil {
		t.Fatal(err)
	}
	before := lastPosition(t, st)
	other := first
	other.Payload = map[string]int{"by": 3}
	for _, stream := range []string{"counter-1", "counter-2"} {
		_, err := ledger.Handle(ctx, svc, counterAggregate(stream), other, increment(3))
		if !errors.Is(err, ledger.ErrIdempotencyMismatch) {
			t.Errorf("%s: err = %v, want ErrIdempotencyMismatch", stream, err)
		}
	}
	if after := lastPosition(t, st); after != before {
		t.Errorf("a reused key appended: log moved from %d to %d", before, after)
	}
}

func TestIdempotencySurvivesRestart(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	st, err := sqlite.Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	first, err := ledger.Handle(ctx, newService(t, st), counterAggregate("counter-1"), keyed("k1", 2), increment(2))
	if err != nil {
		t.Fatal(err)
	}
	if err := st.Close(); err != nil {
		t.Fatal(err)
	}

	st2 := openStore(t, dir)
	again, err := ledger.Handle(ctx, newService(t, st2), counterAggregate("counter-1"), keyed("k1", 2), increment(2))
	if err != nil {
		t.Fatal(err)
	}
	sameResult(t, again, first)
	if n := len(readStream(t, st2, "counter-1")); n != 2 {
		t.Errorf("stream has %d events after restart and repeat, want 2", n)
	}
}

// failAppendNumber fails the n-th append (1-based) to stream with a
// non-concurrency error, as a process dying at that point would leave it.
func failAppendNumber(stream string, n int64) func(string) error {
	var seen atomic.Int64
	return func(s string) error {
		if s == stream && seen.Add(1) == n {
			return fmt.Errorf("simulated crash before appending to %s", s)
		}
		return nil
	}
}

func TestIdempotencyRecoversFromCrashBetweenClaimAndAppend(t *testing.T) {
	ctx := context.Background()
	st := openStore(t, t.TempDir())
	faulty := &faultyStore{Store: st, fail: failAppendNumber("counter-1", 1)}
	crashed := keyed("k1", 2)
	if _, err := ledger.Handle(ctx, newService(t, faulty), counterAggregate("counter-1"), crashed, increment(2)); err == nil {
		t.Fatal("the simulated crash did not surface")
	}
	if n := len(readStream(t, st, ledger.IdempotencyStream("k1"))); n != 1 {
		t.Fatalf("idempotency stream has %d records, want the claim only", n)
	}

	// After the "restart" a retry (new command ID) finishes the claimed
	// command under the claim's command ID, once.
	svc := newService(t, st)
	res, err := ledger.Handle(ctx, svc, counterAggregate("counter-1"), keyed("k1", 2), increment(2))
	if err != nil {
		t.Fatal(err)
	}
	evs := readStream(t, st, "counter-1")
	if len(evs) != 2 {
		t.Fatalf("stream has %d events, want 2", len(evs))
	}
	for i, ev := range evs {
		if ev.ID != ledger.EventID(crashed.ID, "counter-1", i) {
			t.Errorf("event %d ID is not derived from the claiming command", i)
		}
	}
	again, err := ledger.Handle(ctx, svc, counterAggregate("counter-1"), keyed("k1", 2), increment(2))
	if err != nil {
		t.Fatal(err)
	}
	sameResult(t, again, res)
}

// TestIdempotencyHonoursCompletionRecords: logs written by earlier
// versions of the ledger hold a second record per key naming the result
// (IdempotencyKeyCompleted); a repeat returns that result and appends
// nothing, and a record naming events the stream does not hold is an
// error rather than a guess.
func TestIdempotencyHonoursCompletionRecords(t *testing.T) {
	ctx := context.Background()
	st := openStore(t, t.TempDir())
	svc := newService(t, st)
	first, err := ledger.Handle(ctx, svc, counterAggregate("counter-1"), keyed("k1", 2), increment(2))
	if err != nil {
		t.Fatal(err)
	}
	complete := func(key string, res ledger.Result) {
		t.Helper()
		data, err := json.Marshal(ledger.IdempotencyKeyCompleted{Stream: res.Stream, FirstVersion: res.FirstVersion,
			LastVersion: res.LastVersion, Position: res.Position, EventIDs: res.EventIDs})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := st.Append(ctx, ledger.IdempotencyStream(key), eventstore.Exact(0), eventstore.EventData{
			ID: uuid.New(), Type: "IdempotencyKeyCompleted", SchemaVersion: 1, Data: data}); err != nil {
			t.Fatal(err)
		}
	}
	complete("k1", first)
	before := lastPosition(t, st)
	again, err := ledger.Handle(ctx, svc, counterAggregate("counter-1"), keyed("k1", 2), increment(2))
	if err != nil {
		t.Fatal(err)
	}
	sameResult(t, again, first)
	if after := lastPosition(t, st); after != before {
		t.Errorf("the repeat appended: log moved from %d to %d", before, after)
	}

	second, err := ledger.Handle(ctx, svc, counterAggregate("counter-2"), keyed("k2", 2), increment(2))
	if err != nil {
		t.Fatal(err)
	}
	second.EventIDs = []uuid.UUID{uuid.New(), uuid.New()}
	complete("k2", second)
	if _, err := ledger.Handle(ctx, svc, counterAggregate("counter-2"), keyed("k2", 2), increment(2)); err == nil ||
		!strings.Contains(err.Error(), "is not the recorded") {
		t.Errorf("err = %v, want one saying the stream does not hold the recorded events", err)
	}
}

// TestConcurrentDuplicates sends one key from 64 goroutines at once, half
// of them with a different payload: exactly one command is appended, every
// sender of the winning input gets its result, every other sender a
// mismatch.
func TestConcurrentDuplicates(t *testing.T) {
	ctx := context.Background()
	st := openStore(t, t.TempDir())
	svc := newService(t, st)
	const senders = 64
	results := make([]ledger.Result, senders)
	errs := make([]error, senders)
	var wg sync.WaitGroup
	for i := range senders {
		by := 2 + i%2
		wg.Go(func() {
			results[i], errs[i] = ledger.Handle(ctx, svc, counterAggregate("counter-1"), keyed("k1", by), increment(by))
		})
	}
	wg.Wait()

	evs := readStream(t, st, "counter-1")
	if len(evs) != 2 && len(evs) != 3 {
		t.Fatalf("stream has %d events, want one command's 2 or 3", len(evs))
	}
	winner := len(evs)
	var want []uuid.UUID
	for _, ev := range evs {
		want = append(want, ev.ID)
	}
	for i := range senders {
		by := 2 + i%2
		switch {
		case by == winner && errs[i] != nil:
			t.Errorf("sender %d (winning input): %v", i, errs[i])
		case by == winner && !reflect.DeepEqual(results[i].EventIDs, want):
			t.Errorf("sender %d got events %v, want %v", i, results[i].EventIDs, want)
		case by != winner && !errors.Is(errs[i], ledger.ErrIdempotencyMismatch):
			t.Errorf("sender %d (losing input): err = %v, want ErrIdempotencyMismatch", i, errs[i])
		}
	}
	if n := len(readStream(t, st, ledger.IdempotencyStream("k1"))); n != 1 {
		t.Errorf("idempotency stream has %d records, want the claim only", n)
	}
}

func TestDamagedIdempotencyStreamIsAnError(t *testing.T) {
	ctx := context.Background()
	st := openStore(t, t.TempDir())
	// Something that is not a claim where the claim should be.
	_, err := st.Append(ctx, ledger.IdempotencyStream("k1"), eventstore.NoStream,
		eventstore.EventData{ID: uuid.New(), Type: "Incremented", SchemaVersion: 1, Data: []byte(`{"by":1}`)})
	if err != nil {
		t.Fatal(err)
	}
	_, err = ledger.Handle(ctx, newService(t, st), counterAggregate("counter-1"), keyed("k1", 1), increment(1))
	if err == nil || !strings.Contains(err.Error(), "IdempotencyKeyClaimed") {
		t.Errorf("err = %v, want one naming the expected claim record", err)
	}
}

// TestKeyAddedToAnAppliedCommandID covers a client that first sent a
// command without a key and retried it, same command ID, with one: the key
// is bound to the applied command, so later retries under the key append
// nothing either.
func TestKeyAddedToAnAppliedCommandID(t *testing.T) {
	ctx := context.Background()
	st := openStore(t, t.TempDir())
	svc := newService(t, st)
	cmd := keyed("", 2)
	first, err := ledger.Handle(ctx, svc, counterAggregate("counter-1"), cmd, increment(2))
	if err != nil {
		t.Fatal(err)
	}
	cmd.IdempotencyKey = "k1"
	for range 2 {
		res, err := ledger.Handle(ctx, svc, counterAggregate("counter-1"), cmd, increment(2))
		if err != nil {
			t.Fatal(err)
		}
		sameResult(t, res, first)
		cmd.ID = uuid.New()
	}
	if n := len(readStream(t, st, "counter-1")); n != 2 {
		t.Errorf("stream has %d events, want 2", n)
	}
}

// TestConcurrentDuplicatesOfACommandThatCannotRepeat sends one key from 64
// goroutines for a command the aggregate accepts only once: a duplicate
// that sees the first one's events must return the first result, not the
// rejection its own decision would give.
func TestConcurrentDuplicatesOfACommandThatCannotRepeat(t *testing.T) {
	ctx := context.Background()
	st := openStore(t, t.TempDir())
	svc := newService(t, st)
	once := func(s counter) ([]domain.Event, error) {
		if s.N > 0 {
			return nil, domain.Reject("once", "", "already done")
		}
		return []domain.Event{Incremented{By: 1}}, nil
	}
	const senders = 64
	results := make([]ledger.Result, senders)
	errs := make([]error, senders)
	var wg sync.WaitGroup
	for i := range senders {
		wg.Go(func() {
			results[i], errs[i] = ledger.Handle(ctx, svc, counterAggregate("counter-1"), keyed("k1", 1), once)
		})
	}
	wg.Wait()
	evs := readStream(t, st, "counter-1")
	if len(evs) != 1 {
		t.Fatalf("stream has %d events, want 1", len(evs))
	}
	for i := range senders {
		if errs[i] != nil || len(results[i].EventIDs) != 1 || results[i].EventIDs[0] != evs[0].ID {
			t.Errorf("sender %d: result %+v, err %v; want the first result", i, results[i], errs[i])
		}
	}
}

// readHookStore runs a hook before reads of one stream, to place another
// command exactly between two steps of the one under test.
type readHookStore struct {
	eventstore.Store
	stream string
	hook   func()
}

func (h *readHookStore) ReadStream(ctx context.Context, stream string, from uint64, limit int) ([]eventstore.Event, error) {
	if stream == h.stream && h.hook != nil {
		hook := h.hook
		h.hook = nil
		hook()
	}
	return h.Store.ReadStream(ctx, stream, from, limit)
}

// TestDuplicateLandingBetweenKeyReadAndLoad places the first sender's whole
// command between the duplicate's read of the key (still unclaimed) and its
// load of the aggregate: the duplicate's own decision is a rejection, yet it
// must return the first result.
func TestDuplicateLandingBetweenKeyReadAndLoad(t *testing.T) {
	ctx := context.Background()
	st := openStore(t, t.TempDir())
	once := func(s counter) ([]domain.Event, error) {
		if s.N > 0 {
			return nil, domain.Reject("once", "", "already done")
		}
		return []domain.Event{Incremented{By: 1}}, nil
	}
	var first ledger.Result
	hooked := &readHookStore{Store: st, stream: "counter-1", hook: func() {
		var err error
		if first, err = ledger.Handle(ctx, newService(t, st), counterAggregate("counter-1"), keyed("k1", 1), once); err != nil {
			t.Error(err)
		}
	}}
	dup, err := ledger.Handle(ctx, newService(t, hooked), counterAggregate("counter-1"), keyed("k1", 1), once)
	if err != nil {
		t.Fatalf("duplicate got %v, want the first result", err)
	}
	sameResult(t, dup, first)
}

// TestStepKeyRecordsNoClaim: the second step of a request whose first
// step's key binds its input carries a step key: its events record the
// key, no idempotency record is written for it, and a retry of the whole
// request (same command IDs) appends nothing and replays both steps.
func TestStepKeyRecordsNoClaim(t *testing.T) {
	ctx := context.Background()
	st := openStore(t, t.TempDir())
	svc := newService(t, st)
	request := uuid.New()
	steps := func() (ledger.Command, ledger.Command) {
		first := keyed("req-1/first", 1)
		first.ID = uuid.NewSHA1(request, []byte("first"))
		second := ledger.Command{ID: uuid.NewSHA1(request, []byte("second")), StepKey: "req-1/second", Payload: map[string]int{"by": 2}}
		return first, second
	}
	agg := counterAggregate("counter-1")
	first, second := steps()
	a, err := ledger.Handle(ctx, svc, agg, first, increment(1))
	if err != nil {
		t.Fatal(err)
	}
	b, err := ledger.HandleNext(ctx, svc, agg, second, increment(2), a)
	if err != nil {
		t.Fatal(err)
	}
	if n := len(readStream(t, st, ledger.IdempotencyStream("req-1/second"))); n != 0 {
		t.Errorf("the step key has %d records, want none", n)
	}
	for _, ev := range readStream(t, st, "counter-1")[1:] {
		if ev.Metadata.IdempotencyKey != "req-1/second" {
			t.Errorf("event %d records key %q, want the step key", ev.Version, ev.Metadata.IdempotencyKey)
		}
	}
	head := lastPosition(t, st)
	first, second = steps()
	a2, err := ledger.Handle(ctx, svc, agg, first, increment(1))
	if err != nil {
		t.Fatal(err)
	}
	b2, err := ledger.HandleNext(ctx, svc, agg, second, increment(2), a2)
	if err != nil {
		t.Fatal(err)
	}
	sameResult(t, a2, a)
	sameResult(t, b2, b)
	if after := lastPosition(t, st); after != head {
		t.Errorf("the retry appended: log moved from %d to %d", head, after)
	}
	both := second
	both.IdempotencyKey = "k"
	if _, err := ledger.Handle(ctx, svc, agg, both, increment(1)); !errors.Is(err, domain.ErrInvalid) {
		t.Errorf("err = %v, want a command with both keys refused", err)
	}
}
