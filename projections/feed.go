package projections

import (
	"context"
	"fmt"
	"runtime"
	"strings"
	"sync"

	"github.com/haixi-hrss/fundledger/domain"
	"github.com/haixi-hrss/fundledger/eventstore"
	"github.com/haixi-hrss/fundledger/ledger/codec"
)

// Interest says what a projection needs of the events of one type.
type Interest uint8

const (
	// Ignore: Apply is not called for events of the type.
	Ignore Interest = iota
	// EnvelopeOnly: Apply is called with a nil event, for what the
	// envelope says (stream, position, actor, time, hash).
	EnvelopeOnly
	// Payload: Apply is called with the decoded event.
	Payload
)

// Selective is an optional interface of a Projection that folds only some
// event types. Replay is bound by decoding JSON payloads, so the runner
// decodes an event only when a projection asks for its Payload, once,
// and hands the same value to every projection that does; an event that
// no projection wants decoded is never decoded (and so a payload that
// would not decode goes unnoticed there). A projection without this
// method gets every event decoded, as before.
//
// Interest must depend on the event type alone and name Payload for
// every type Apply reads the event of: a type it leaves out is folded as
// a nil event or not at all.
type Selective interface {
	Interest(eventType string) Interest
}

// route is what the feeder does with events of one type.
type route struct {
	decode bool
	// wants[i] is what projection i needs of such an event.
	wants []Interest
}

// feeder decodes events for a fixed set of projections and applies them.
// Its routes are fixed when it is built, so it is safe for concurrent
// decoding; applying is for one goroutine at a time.
type feeder struct {
	codec  *codec.Codec
	projs  []Projection
	routes map[string]*route
}

func newFeeder(c *codec.Codec, projs []Projection) *feeder {
	f := &feeder{codec: c, projs: projs, routes: map[string]*route{}}
	for _, t := range c.Types() {
		r := &route{wants: make([]Interest, len(projs))}
		for i, p := range projs {
			in := Payload
			if s, ok := p.(Selective); ok {
				in = s.Interest(t)
			}
			r.wants[i] = in
			r.decode = r.decode || in == Payload
		}
		f.routes[t] = r
	}
	return f
}

// routeOf returns ev's route, or nil for an event no read model folds: a
// ledger record, or a type the codec does not know.
func (f *feeder) routeOf(ev *eventstore.Event) *route {
	for _, prefix := range ledgerStreams {
		if strings.HasPrefix(ev.Stream, prefix) {
			return nil
		}
	}
	return f.routes[ev.Type]
}

// batch is one read of the log, decoded: routes[i] is evs[i]'s route,
// decoded[i] its event when some projection needs it, errs[i] its
// decoding error.
type batch struct {
	evs     []eventstore.Event
	routes  []*route
	decoded []domain.Event
	errs    []error
	err     error
}

// decode finds the route of each of b's events and decodes what the
// routes need, spreading a large batch over the processors.
func (f *feeder) decode(b *batch) {
	b.routes = make([]*route, len(b.evs))
	b.decoded = make([]domain.Event, len(b.evs))
	b.errs = make([]error, len(b.evs))
	part := func(lo, hi int) {
		for i := lo; i < hi; i++ {
			ev := &b.evs[i]
			r := f.routeOf(ev)
			b.routes[i] = r
			if r != nil && r.decode {
				d, err := f.codec.Decode(ev)
				if err != nil {
					err = fmt.Errorf("projections: decode %s version %d (position %d): %w", ev.Stream, ev.Version, ev.Position, err)
				}
				b.decoded[i], b.errs[i] = d, err
			}
		}
	}
	n := runtime.GOMAXPROCS(0)
	if n < 2 || len(b.evs) < 256 {
		part(0, len(b.evs))
		return
	}
	var wg sync.WaitGroup
	size := (len(b.evs) + n - 1) / n
	for lo := 0; lo < len(b.evs); lo += size {
		wg.Go(func() { part(lo, min(lo+size, len(b.evs))) })
	}
	wg.Wait()
}

// parallelApply is the smallest batch whose projections are fed on
// goroutines of their own.
const parallelApply = 64

// apply hands b's first n events to the projections that want them and
// counts them in pr. The projections share nothing, so each folds the
// events on a goroutine of its own, and a replay applies as fast as its
// costliest model rather than all of them in turn. When one fails, apply
// returns the failure that folding event by event would have met first
// (the earliest event; of its projections, the first): the events before
// it are counted, and the caller discards the models. A payload that
// does not decode is such a failure, never skipped, because a read model
// that silently missed money would be wrong without anyone knowing.
func (f *feeder) apply(b *batch, n int, pr *Progress) error {
	// A payload that does not decode stops every projection before it.
	var undecoded error
	for i := range n {
		if b.routes[i] != nil && b.errs[i] != nil {
			n, undecoded = i, b.errs[i]
			break
		}
	}
	fails := make([]applyFailure, len(f.projs))
	feed := func(p int) {
		proj := f.projs[p]
		for i := range n {
			r := b.routes[i]
			if r == nil || r.wants[p] == Ignore {
				continue
			}
			var d domain.Event
			if r.wants[p] == Payload {
				d = b.decoded[i]
			}
			if err := proj.Apply(d, &b.evs[i]); err != nil {
				fails[p] = applyFailure{at: i, err: errApply(proj, &b.evs[i], err)}
				return
			}
		}
		fails[p] = applyFailure{at: n}
	}
	if n < parallelApply || len(f.projs) < 2 || runtime.GOMAXPROCS(0) < 2 {
		for p := range f.projs {
			feed(p)
		}
	} else {
		var wg sync.WaitGroup
		for p := range f.projs {
			wg.Go(func() { feed(p) })
		}
		wg.Wait()
	}
	first := applyFailure{at: n, err: undecoded}
	for _, fl := range fails {
		if fl.at < first.at {
			first = fl
		}
	}
	for i := range first.at {
		if b.routes[i] != nil {
			pr.Applied++
		}
		pr.Position = b.evs[i].Position
		pr.Events++
	}
	return first.err
}

// applyFailure is where one projection stopped in a batch: at the index
// of the event it failed on, with err, or past the events it was given.
type applyFailure struct {
	at  int
	err error
}

// intoReader is a store that reads the log into an array it is given
// (sqlite.Store does), so a replay can recycle a few arrays for its
// batches instead of allocating one per batch.
type intoReader interface {
	ReadAllInto(ctx context.Context, dst []eventstore.Event, after uint64, limit int) ([]eventstore.Event, error)
}

// readAheadDepth is how many batches wait between two stages of a
// reading ahead.
const readAheadDepth = 4

// readAhead is a reading of the log ahead of its application.
type readAhead struct {
	// batches are the log after the position it started from, decoded,
	// in log order, until the log ends (the channel closes) or a read
	// fails (a batch with err, then the close).
	batches <-chan batch
	// free holds arrays of applied batches for the reader to reuse.
	free   chan []eventstore.Event
	cancel context.CancelFunc
}

// applied hands b's array back for a later read; nothing may use b's
// events after.
func (ra *readAhead) applied(b *batch) {
	if b.evs == nil {
		return
	}
	select {
	case ra.free <- b.evs:
	default:
	}
}

// stop ends the reading; it must be called.
func (ra *readAhead) stop() {
	ra.cancel()
	for range ra.batches {
	}
}

// readAhead reads the log after position from on one goroutine and
// decodes it on another, so that reading, decoding and applying overlap.
func (f *feeder) readAhead(ctx context.Context, store eventstore.Store, from uint64) *readAhead {
	ctx, cancel := context.WithCancel(ctx)
	// Each stage runs ahead of the next by up to readAheadDepth batches,
	// so that a stage's slow stretch (a batch heavy in one model's events,
	// a collection) does not leave a processor idle.
	read := make(chan batch, readAheadDepth)
	out := make(chan batch, readAheadDepth)
	// Enough arrays for every batch in flight: those in each channel, one
	// being read, decoded and applied.
	ra := &readAhead{batches: out, free: make(chan []eventstore.Event, 2*readAheadDepth+3), cancel: cancel}
	into, reuse := store.(intoReader)
	go func() {
		defer close(read)
		after := from
		for {
			var evs []eventstore.Event
			var err error
			if reuse {
				var dst []eventstore.Event
				select {
				case dst = <-ra.free:
				default:
				}
				evs, err = into.ReadAllInto(ctx, dst, after, DefaultBatch)
			} else {
				evs, err = store.ReadAll(ctx, after, DefaultBatch)
			}
			if err != nil {
				err = fmt.Errorf("projections: read the log after %d: %w", after, err)
			}
			if len(evs) == 0 && err == nil {
				return
			}
			select {
			case read <- batch{evs: evs, err: err}:
			case <-ctx.Done():
				return
			}
			if err != nil {
				return
			}
			after = evs[len(evs)-1].Position
		}
	}()
	go func() {
		defer close(out)
		for b := range read {
			if b.err == nil {
				f.decode(&b)
			}
			select {
			case out <- b:
			case <-ctx.Done():
				return
			}
		}
	}()
	return ra
}
