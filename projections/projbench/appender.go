package projbench

import (
	"context"
	"fmt"
	"sync"

	"github.com/google/uuid"

	"github.com/haixi-hrss/fundledger/domain"
	"github.com/haixi-hrss/fundledger/eventstore"
	"github.com/haixi-hrss/fundledger/ledger/codec"
)

// maxAppendEvents caps one append request well under the store's 1 MiB
// limit, which counts eventstore.EnvelopeOverhead per event.
const maxAppendEvents = 400

// appender collects the events of one round of the generator per stream
// and appends them with many concurrent writers, so the store groups them
// into few syncs. Within a round a stream's events keep their order;
// across streams the round has no order, as concurrent commands would not.
type appender struct {
	store   eventstore.Store
	codec   *codec.Codec
	workers int
	// next is each stream's next version.
	next    map[string]uint64
	pending map[string][]eventstore.EventData
	order   []string
	// events counts what was appended.
	events int
}

// eventNamespace derives the generated events' IDs from stream and version.
var eventNamespace = uuid.MustParse("5f0e4c1a-93d2-4b7e-8a61-2c9d0b3e7f14")

func newAppender(store eventstore.Store, c *codec.Codec, workers int) *appender {
	return &appender{store: store, codec: c, workers: max(workers, 1), next: map[string]uint64{}, pending: map[string][]eventstore.EventData{}}
}

// add queues evs for stream under meta.
func (a *appender) add(stream string, meta eventstore.Metadata, evs ...domain.Event) error {
	if _, ok := a.pending[stream]; !ok {
		a.order = append(a.order, stream)
	}
	for _, ev := range evs {
		typ, version, data, err := a.codec.Encode(ev)
		if err != nil {
			return fmt.Errorf("projbench: %s: %w", stream, err)
		}
		v := a.next[stream] + uint64(len(a.pending[stream]))
		id := uuid.NewSHA1(eventNamespace, fmt.Appendf(nil, "%s/%d", stream, v))
		a.pending[stream] = append(a.pending[stream], eventstore.EventData{ID: id, Type: typ, SchemaVersion: version, Data: data, Metadata: meta})
	}
	return nil
}

// flush appends everything queued, each stream at its exact expected
// version, and returns when all of it is durable.
func (a *appender) flush(ctx context.Context) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	streams := make(chan string)
	var failed errOnce
	var wg sync.WaitGroup
	for range a.workers {
		wg.Go(func() {
			for stream := range streams {
				if err := a.appendStream(ctx, stream); err != nil {
					failed.set(err)
					cancel()
				}
			}
		})
	}
	for _, stream := range a.order {
		if ctx.Err() != nil {
			break
		}
		streams <- stream
	}
	close(streams)
	wg.Wait()
	if failed.err != nil {
		return failed.err
	}
	for _, stream := range a.order {
		n := len(a.pending[stream])
		a.next[stream] += uint64(n)
		a.events += n
	}
	a.pending, a.order = map[string][]eventstore.EventData{}, a.order[:0]
	return ctx.Err()
}

// appendStream appends stream's queued events in chunks, in order. It
// reads a.next and a.pending only; flush updates them once all are done.
func (a *appender) appendStream(ctx context.Context, stream string) error {
	evs, next := a.pending[stream], a.next[stream]
	for len(evs) > 0 {
		n := min(len(evs), maxAppendEvents)
		expected := eventstore.NoStream
		if next > 0 {
			expected = eventstore.Exact(next - 1)
		}
		if _, err := a.store.Append(ctx, stream, expected, evs[:n]...); err != nil {
			return fmt.Errorf("projbench: append to %s: %w", stream, err)
		}
		next += uint64(n)
		evs = evs[n:]
	}
	return nil
}

// errOnce keeps the first error of concurrent writers.
type errOnce struct {
	mu  sync.Mutex
	err error
}

func (e *errOnce) set(err error) {
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.err == nil {
		e.err = err
	}
}
