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
	// projs are the indexes of the projections Apply is called on, and
	// payload whether each gets the decoded event.
	projs   []int
	payload []bool
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
		r := &route{}
		for i, p := range projs {
			in := Payload
			if s, ok := p.(Selective); ok {
				in = s.Interest(t)
			}
			if in == Ignore {
				continue
			}
			r.projs = append(r.projs, i)
			r.payload = append(r.payload, in == Payload)
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

// batch is one read of the log, decoded: decoded[i] is evs[i]'s event
// when some projection needs it, errs[i] its decoding error.
type batch struct {
	evs     []eventstore.Event
	decoded []domain.Event
	errs    []error
	err     error
}

// decode decodes what b's events' routes need, spreading a large batch
// over the processors.
func (f *feeder) decode(b *batch) {
	b.decoded = make([]domain.Event, len(b.evs))
	b.errs = make([]error, len(b.evs))
	part := func(lo, hi int) {
		for i := lo; i < hi; i++ {
			ev := &b.evs[i]
			if r := f.routeOf(ev); r != nil && r.decode {
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

// apply hands b's event i to the projections that want it and counts it
// in pr. A payload that does not decode is an error, never skipped,
// because a read model that silently missed money would be wrong without
// anyone knowing.
func (f *feeder) apply(b *batch, i int, pr *Progress) error {
	ev := &b.evs[i]
	r := f.routeOf(ev)
	if r != nil {
		if err := b.errs[i]; err != nil {
			return err
		}
		for k, pi := range r.projs {
			var d domain.Event
			if r.payload[k] {
				d = b.decoded[i]
			}
			if err := f.projs[pi].Apply(d, ev); err != nil {
				return errApply(f.projs[pi], ev, err)
			}
		}
		pr.Applied++
	}
	pr.Position = ev.Position
	pr.Events++
	return nil
}

// readAhead reads the log after position from on one goroutine and
// decodes it on another, handing out batches in log order until the log
// ends (the channel closes) or a read fails (a batch with err, then the
// close). done stops both and must be called.
func (f *feeder) readAhead(ctx context.Context, store eventstore.Store, from uint64) (<-chan batch, func()) {
	ctx, cancel := context.WithCancel(ctx)
	read := make(chan batch, 2)
	out := make(chan batch, 2)
	go func() {
		defer close(read)
		after := from
		for {
			evs, err := store.ReadAll(ctx, after, DefaultBatch)
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
	return out, func() {
		cancel()
		for range out {
		}
	}
}
