package ledger_test

import (
	"context"
	"sync/atomic"
	"testing"

	"github.com/haixi-hrss/fundledger/domain"
	"github.com/haixi-hrss/fundledger/eventstore"
	"github.com/haixi-hrss/fundledger/eventstore/sqlite"
	"github.com/haixi-hrss/fundledger/ledger"
	"github.com/haixi-hrss/fundledger/ledger/codec"
)

// The toy aggregate: a counter that never exceeds counterMax.
const counterMax = 50

type counter struct{ N int }

// Incremented is the counter's only event.
type Incremented struct {
	By int `json:"by"`
}

func (Incremented) EventType() string { return "Incremented" }

func counterAggregate(stream string) ledger.Aggregate[counter] {
	return ledger.Aggregate[counter]{
		Stream: stream,
		Evolve: func(s counter, ev domain.Event) counter {
			if e, ok := ev.(Incremented); ok {
				s.N += e.By
			}
			return s
		},
	}
}

// increment decides one Incremented event per unit of by, so a command can
// decide several events.
func increment(by int) func(counter) ([]domain.Event, error) {
	return func(s counter) ([]domain.Event, error) {
		if s.N+by > counterMax {
			return nil, domain.Reject("counter-max", "by", "counter at %d cannot rise by %d past %d", s.N, by, counterMax)
		}
		evs := make([]domain.Event, by)
		for i := range evs {
			evs[i] = Incremented{By: 1}
		}
		return evs, nil
	}
}

// addOne increments without a maximum.
func addOne(counter) ([]domain.Event, error) { return []domain.Event{Incremented{By: 1}}, nil }

func newCodec(t testing.TB) *codec.Codec {
	t.Helper()
	c, err := codec.New(codec.Types(map[string]func() domain.Event{
		"Incremented": func() domain.Event { return Incremented{} },
	}))
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// openStore opens the embedded store in dir and closes it after the test.
func openStore(t testing.TB, dir string) *sqlite.Store {
	t.Helper()
	st, err := sqlite.Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	return st
}

func newService(t testing.TB, st eventstore.Store, opts ...ledger.Option) *ledger.Service {
	t.Helper()
	return ledger.New(st, newCodec(t), opts...)
}

func readStream(t testing.TB, st eventstore.Store, stream string) []eventstore.Event {
	t.Helper()
	evs, err := st.ReadStream(context.Background(), stream, 0, 0)
	if err != nil {
		t.Fatal(err)
	}
	return evs
}

// lastPosition is the position of the global log's last event, 0 if empty.
func lastPosition(t testing.TB, st eventstore.Store) uint64 {
	t.Helper()
	var last uint64
	for {
		evs, err := st.ReadAll(context.Background(), last, 1000)
		if err != nil {
			t.Fatal(err)
		}
		if len(evs) == 0 {
			return last
		}
		last = evs[len(evs)-1].Position
	}
}

// faultyStore fails chosen appends, standing in for a process that dies
// between two appends: the failed append writes nothing.
type faultyStore struct {
	eventstore.Store
	// fail returns the error for an append to stream, or nil to let it
	// through.
	fail    func(stream string) error
	appends atomic.Int64
}

func (f *faultyStore) Append(ctx context.Context, stream string, expected eventstore.ExpectedVersion, events ...eventstore.EventData) (eventstore.AppendResult, error) {
	f.appends.Add(1)
	if err := f.fail(stream); err != nil {
		return eventstore.AppendResult{}, err
	}
	return f.Store.Append(ctx, stream, expected, events...)
}
