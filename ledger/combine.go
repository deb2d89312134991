package ledger

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"

	"github.com/google/uuid"

	"github.com/haixi-hrss/fundledger/domain"
	"github.com/haixi-hrss/fundledger/eventstore"
)

// A shared stream (a budget line) is written by many commands of this
// process, one at a time under the stream's lock, and each append waits
// for a durable commit. Holding the lock across that wait would let one
// line take one command per commit. Instead the commands waiting for the
// lock are combined: whoever gets the lock takes every command queued for
// the stream, decides them in order, each on the fold of the ones before,
// and appends all their events in one append. The others find their
// result when they get the lock in turn.

// pendingOp is one command waiting for its shared stream's next append.
type pendingOp[S any] struct {
	cmd    *Command
	decide func(S) ([]domain.Event, error)
	// Set by the run that took the op, before it closes finished.
	res      Result
	err      error
	finished chan struct{}
	// panicked is what the op's decide panicked with, if it did: the
	// op's own caller panics with it, not the caller running the batch.
	panicked any

	// The op's part of the batch being decided.
	decided []domain.Event
	ids     []uuid.UUID
	offset  uint64 // of its first event within the batch's append
	settled bool   // res or err is final for this batch
	// final is set when res or err is final for the whole run, not just
	// this round: the op was found applied before (readBatchTail), its
	// key claim (Command.keyOf) was found taken, or the stream of the
	// command part it carries (Command.partOf) moved. The batch's later
	// rounds leave it out.
	final bool
}

// opQueues holds the ops waiting for each shared stream.
type opQueues struct {
	mu      sync.Mutex
	waiting map[string][]any // of *pendingOp[S] for the stream's S
}

func (q *opQueues) add(stream string, op any) {
	q.mu.Lock()
	defer q.mu.Unlock()
	if q.waiting == nil {
		q.waiting = make(map[string][]any)
	}
	q.waiting[stream] = append(q.waiting[stream], op)
}

// take removes and returns every op waiting for stream.
func (q *opQueues) take(stream string) []any {
	q.mu.Lock()
	defer q.mu.Unlock()
	ops := q.waiting[stream]
	delete(q.waiting, stream)
	return ops
}

// withdraw removes op if no run has taken it yet, and reports whether it
// did.
func (q *opQueues) withdraw(stream string, op any) bool {
	q.mu.Lock()
	defer q.mu.Unlock()
	ops := q.waiting[stream]
	for i := range ops {
		if ops[i] == op {
			q.waiting[stream] = append(ops[:i:i], ops[i+1:]...)
			if len(q.waiting[stream]) == 0 {
				delete(q.waiting, stream)
			}
			return true
		}
	}
	return false
}

// runCombined runs cmd on shared aggregate agg as one of the ops combined
// into the stream's next append.
func runCombined[S any](ctx context.Context, s *Service, agg Aggregate[S], cmd *Command, decide func(S) ([]domain.Event, error)) (Result, error) {
	op := &pendingOp[S]{cmd: cmd, decide: decide, finished: make(chan struct{})}
	s.ops.add(agg.Stream, op)
	unlock, err := s.locks.lock(ctx, agg.Stream)
	if err != nil {
		if s.ops.withdraw(agg.Stream, op) {
			return Result{}, fmt.Errorf("ledger: %s on %s: %w", cmd.label(), agg.Stream, err)
		}
		// Taken by a run under way: its outcome is this command's.
		<-op.finished
		return op.outcome()
	}
	defer unlock()
	select {
	case <-op.finished:
	default:
		// The batch runs for every op in it, so it does not stop when
		// this caller's context ends: the append is one commit away.
		runBatch(context.WithoutCancel(ctx), s, agg, s.ops.take(agg.Stream))
	}
	return op.outcome()
}

// outcome is the finished op's result, or its decide's panic again.
func (op *pendingOp[S]) outcome() (Result, error) {
	if op.panicked != nil {
		panic(op.panicked)
	}
	return op.res, op.err
}

// decideSafely runs op's decide on state, recovering a panic into
// op.panicked: the batch goes on without the op, and outcome panics in
// the op's caller. decide is pure, so state is as it was.
func (op *pendingOp[S]) decideSafely(state S) (decided []domain.Event, err error, panicked bool) {
	defer func() {
		if p := recover(); p != nil {
			op.panicked, panicked = p, true
		}
	}()
	decided, err = op.decide(state)
	return decided, err, false
}

// runBatch decides and appends ops, the caller holding the stream's lock,
// and finishes each of them. It follows run: the cached fold is decided on
// unread, a refusal or an empty decision is only given on the stream as
// read, a command whose events are among those read gets its first
// result, and a conflict with another process folds the stream again.
func runBatch[S any](ctx context.Context, s *Service, agg Aggregate[S], taken []any) {
	batch := make([]*pendingOp[S], 0, len(taken))
	for _, o := range taken {
		if op, ok := o.(*pendingOp[S]); ok {
			batch = append(batch, op)
			continue
		}
		// Every writer of a shared stream uses its one aggregate type.
		o.(interface{ fail(error) }).fail(fmt.Errorf("ledger: %s is written with two aggregate types", agg.Stream))
	}
	defer func() {
		for _, op := range batch {
			close(op.finished)
		}
	}()
	defer func() {
		// A panic (a decide recovered by the HTTP server) may leave
		// decisions folded into the cached state but not appended:
		// forget it, and let the next command read the stream.
		if p := recover(); p != nil {
			s.states.drop(agg.Stream)
			// The other commands of the batch were decided, not appended:
			// each caller must learn it, not take a zero result for done.
			failAll(batch, fmt.Errorf("ledger: %s: a command combined into the same append panicked; nothing of this command was appended: %v", agg.Stream, p))
			panic(p)
		}
	}()
	state, next := cachedState(s, agg)
	unread := next > 0
	for attempt := 1; ; attempt++ {
		for _, op := range batch {
			if !op.final {
				op.decided, op.ids, op.settled = nil, nil, false
			}
		}
		if !unread {
			var err error
			if state, next, err = readBatchTail(ctx, s, agg, state, next, batch); err != nil {
				failAll(batch, err)
				return
			}
		}
		data, after, undo, refused := decideBatch(s, agg, state, batch, unread)
		if refused {
			undo()
			unread = false
			attempt--
			continue
		}
		if len(data) == 0 {
			return
		}
		expected := eventstore.NoStream
		if next > 0 {
			expected = eventstore.Exact(next - 1)
		}
		res, err := appendBatch(ctx, s, agg.Stream, expected, data, batch)
		if errors.Is(err, errKeyTaken) || errors.Is(err, errPartMoved) {
			// appendBatch took the op whose key was taken, or whose own
			// stream moved, out of the batch, and nothing was written:
			// decide the others again.
			undo()
			attempt--
			continue
		}
		if err == nil {
			if res.Repeated || res.FirstVersion != next {
				// A repeat the store acknowledged: the commands were
				// applied before, and the cache keeps the fold before.
				undo()
				settleRepeat(ctx, s, agg, batch, res.FirstVersion)
				return
			}
			settleBatch(s, agg, batch, res, next, after)
			return
		}
		undo()
		if !isConcurrency(err) {
			failAll(batch, fmt.Errorf("ledger: append to %s: %w", agg.Stream, err))
			return
		}
		// Another process wrote the stream: fold it again from the start.
		s.states.drop(agg.Stream)
		state, next, unread = agg.Initial, 0, false
		if attempt >= s.maxAttempts {
			failAll(batch, &ConflictError{Stream: agg.Stream, Attempts: attempt, Last: err})
			return
		}
		if werr := s.wait(ctx, attempt); werr != nil {
			failAll(batch, fmt.Errorf("ledger: append to %s: %w", agg.Stream, werr))
			return
		}
	}
}

// appendBatch appends a batch's events to stream, and in the same commit
// the parts of other commands its ops with events carry: a key claim
// (Command.keyOf), marked tried, and a command's own append
// (Command.partOf), marked done with its result, when the commit succeeds.
// A part whose stream is found moved (a key taken, a claim written since
// it was decided), or that an earlier op of the batch carries too (two
// runs under one key, two decisions on one claim), finishes its op with
// errKeyTaken or errPartMoved, writes nothing, and returns that error for
// the batch to be decided again without the op.
func appendBatch[S any](ctx context.Context, s *Service, stream string, expected eventstore.ExpectedVersion, data []eventstore.EventData, batch []*pendingOp[S]) (eventstore.AppendResult, error) {
	// Key claims go before the stream's events, and the commands' own
	// appends before or after them as each asks (ownPart.first): the log
	// then reads in the order of the steps.
	var before, after []carriedPart[S]
	for _, op := range batch {
		if op.settled || len(op.decided) == 0 {
			continue
		}
		if k := op.cmd.keyOf; k != nil {
			before = append(before, carriedPart[S]{op: op, part: k.part(), moved: errKeyTaken,
				done: func(eventstore.AppendResult) { k.tried = true }})
		}
		if o := op.cmd.partOf; o != nil {
			c := carriedPart[S]{op: op, part: o.part, moved: errPartMoved,
				done: func(res eventstore.AppendResult) { o.done, o.res = true, res }}
			if o.first {
				before = append(before, c)
			} else {
				after = append(after, c)
			}
		}
	}
	carried, line := append(before, after...), len(before)
	if len(carried) == 0 {
		return s.store.Append(ctx, stream, expected, data...)
	}
	parts := make([]eventstore.StreamAppend, 0, len(carried)+1)
	for _, c := range carried {
		if slices.ContainsFunc(parts, func(p eventstore.StreamAppend) bool { return p.Stream == c.part.Stream }) {
			return c.takeOut()
		}
		parts = append(parts, c.part)
	}
	if s.multi == nil {
		return eventstore.AppendResult{}, errors.New("ledger: another command's part in a combined append needs a store that appends to several streams at once")
	}
	parts = slices.Insert(parts, line, eventstore.StreamAppend{Stream: stream, Expected: expected, Events: data})
	results, err := s.multi.AppendMulti(ctx, parts...)
	var ce *eventstore.ConcurrencyError
	if errors.As(err, &ce) {
		for _, c := range carried {
			if c.part.Stream == ce.Stream {
				return c.takeOut()
			}
		}
	}
	if err != nil {
		return eventstore.AppendResult{}, err
	}
	for i, c := range carried {
		if i >= line {
			i++
		}
		c.done(results[i])
	}
	return results[line], nil
}

// carriedPart is another command's part that an op of a combined append
// carries (see appendBatch).
type carriedPart[S any] struct {
	op   *pendingOp[S]
	part eventstore.StreamAppend
	// moved is the op's error when the part's stream is found moved.
	moved error
	// done records the part's result once committed.
	done func(eventstore.AppendResult)
}

// takeOut finishes the op with its part's moved error, for the batch to
// be decided again without it.
func (c carriedPart[S]) takeOut() (eventstore.AppendResult, error) {
	c.op.res, c.op.err, c.op.settled, c.op.final = Result{}, c.moved, true, true
	return eventstore.AppendResult{}, c.moved
}

// readBatchTail folds the events after next into state and caches the
// fold; an op whose first event is among them gets its first result.
func readBatchTail[S any](ctx context.Context, s *Service, agg Aggregate[S], state S, next uint64, batch []*pendingOp[S]) (S, uint64, error) {
	evs, err := s.store.ReadStream(ctx, agg.Stream, next, 0)
	if err != nil {
		return state, next, fmt.Errorf("ledger: read %s: %w", agg.Stream, err)
	}
	firsts := make(map[uuid.UUID]*pendingOp[S], len(batch))
	for _, op := range batch {
		if !op.settled {
			firsts[EventID(op.cmd.ID, agg.Stream, 0)] = op
		}
	}
	decoded := make([]domain.Event, 0, len(evs))
	for i := range evs {
		if op := firsts[evs[i].ID]; op != nil && !op.settled {
			op.res, op.err = s.applied(op.cmd.ID, agg.Stream, evs[i:])
			op.settled, op.final = true, true
		}
		ev, err := s.codec.Decode(&evs[i])
		if err != nil {
			return state, next, fmt.Errorf("ledger: %s version %d: %w", agg.Stream, evs[i].Version, err)
		}
		decoded = append(decoded, ev)
		next = evs[i].Version + 1
	}
	if len(decoded) > 0 || next == 0 {
		state = agg.fold(state, decoded)
		remember(s, agg, next, state, nil)
	}
	return state, next, nil
}

// decideBatch decides the unsettled ops in order, each on the fold of the
// decisions before it, and returns the events to append and the fold
// after them. refused is true when, on an unread fold, an op was refused
// or decided nothing: the batch must then be decided again on the stream
// as read.
//
// With agg.Apply the decisions are folded into state in place: state is
// the stream's cached fold (or one read for this batch), which only the
// holder of the stream's lock uses, so no one else sees it change. undo
// takes the decisions back out; it must be called unless after is cached
// as the fold after the batch's append.
func decideBatch[S any](s *Service, agg Aggregate[S], state S, batch []*pendingOp[S], unread bool) (data []eventstore.EventData, after S, undo func(), refused bool) {
	var undos []func()
	undo = func() {
		for i := len(undos) - 1; i >= 0; i-- {
			undos[i]()
		}
		undos = nil
	}
	var offset uint64
	for _, op := range batch {
		if op.settled {
			continue
		}
		decided, err, panicked := op.decideSafely(state)
		switch {
		case panicked:
			op.res, op.err, op.settled = Result{}, fmt.Errorf("ledger: %s on %s: decide panicked: %v", op.cmd.label(), agg.Stream, op.panicked), true
			continue
		case unread && (err != nil || len(decided) == 0):
			return nil, state, undo, true
		case err != nil:
			op.res, op.err, op.settled = Result{}, fmt.Errorf("ledger: %s on %s: %w", op.cmd.label(), agg.Stream, err), true
			continue
		case len(decided) == 0:
			op.res, op.err, op.settled = Result{Stream: agg.Stream}, nil, true
			continue
		}
		evs, ids, err := s.encode(op.cmd, agg.Stream, decided)
		if err != nil {
			op.res, op.err, op.settled = Result{}, err, true
			continue
		}
		op.decided, op.ids, op.offset = decided, ids, offset
		offset += uint64(len(evs))
		data = append(data, evs...)
		if agg.Apply != nil && agg.Clone != nil {
			undos = append(undos, agg.Apply(&state, decided...))
		} else {
			state = agg.fold(state, decided)
		}
	}
	return data, state, undo, false
}

// settleBatch gives each op with events its result from the batch's
// append res, and caches after, the fold after it. The position of a
// combined append is its last event's, so an op's Position may be a later
// op's.
func settleBatch[S any](s *Service, agg Aggregate[S], batch []*pendingOp[S], res eventstore.AppendResult, next uint64, after S) {
	for _, op := range batch {
		if op.settled || len(op.decided) == 0 {
			continue
		}
		first := res.FirstVersion + op.offset
		op.res = Result{Stream: agg.Stream, FirstVersion: first, LastVersion: first + uint64(len(op.decided)) - 1,
			Position: res.Position, Events: op.decided, EventIDs: op.ids}
		op.err, op.settled = nil, true
	}
	if res.FirstVersion == next {
		remember(s, agg, res.LastVersion+1, after, nil)
	}
}

// settleRepeat gives each op with events the result of its first run, read
// from the stream from version first, where the store found the batch's
// events already recorded.
func settleRepeat[S any](ctx context.Context, s *Service, agg Aggregate[S], batch []*pendingOp[S], first uint64) {
	evs, err := s.store.ReadStream(ctx, agg.Stream, first, 0)
	if err != nil {
		failAll(batch, fmt.Errorf("ledger: read %s: %w", agg.Stream, err))
		return
	}
	for _, op := range batch {
		if op.settled || len(op.decided) == 0 {
			continue
		}
		op.res, op.err = s.appliedFrom(op.cmd.ID, agg.Stream, first, evs, op.offset)
		op.settled = true
	}
}

// failAll gives err to every op not yet settled.
func failAll[S any](batch []*pendingOp[S], err error) {
	for _, op := range batch {
		if !op.settled {
			op.res, op.err, op.settled = Result{}, err, true
		}
	}
}

// fail finishes op with err; for an op queued on a stream written with
// another aggregate type.
func (op *pendingOp[S]) fail(err error) {
	op.res, op.err = Result{}, err
	close(op.finished)
}
