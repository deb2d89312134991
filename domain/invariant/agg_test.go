package invariant

import (
	"bytes"
	"encoding/json"
	"errors"

	"github.com/haixi-hrss/fundledger/domain"
)

// agg is one aggregate in the simulation: its state, its history, and its
// pure functions.
type agg[S, C any] struct {
	name    string
	state   S
	history []domain.Event
	decide  func(S, C) ([]domain.Event, error)
	evolve  func(S, domain.Event) S
	decode  func(string, []byte) (domain.Event, error)
}

func canonical(x *sim, v any) []byte {
	b, err := json.Marshal(v)
	if err != nil {
		x.failf("state %T does not marshal: %v", v, err)
	}
	return b
}

// try decides cmd without applying it. A refusal must be a domain error
// with no events and an untouched state.
func (a *agg[S, C]) try(x *sim, cmd C) ([]domain.Event, error) {
	before := canonical(x, a.state)
	events, err := a.decide(a.state, cmd)
	if !bytes.Equal(before, canonical(x, a.state)) {
		x.failf("%s: Decide(%T) altered the state it was given", a.name, cmd)
	}
	if err != nil {
		if len(events) > 0 {
			x.failf("%s: %T refused (%v) with %d events", a.name, cmd, err, len(events))
		}
		if !errors.Is(err, domain.ErrInvalid) && !errors.Is(err, domain.ErrRejected) {
			x.failf("%s: %T refused with untyped error %v", a.name, cmd, err)
		}
	}
	return events, err
}

// apply folds accepted events in, checking that Evolve leaves the state it
// was given as it was.
func (a *agg[S, C]) apply(x *sim, events []domain.Event) {
	for _, e := range events {
		prev := a.state
		before := canonical(x, prev)
		a.state = a.evolve(prev, e)
		if !bytes.Equal(before, canonical(x, prev)) {
			x.failf("%s: Evolve(%s) altered the state it was given", a.name, e.EventType())
		}
		x.observe(a.name, e)
	}
	a.history = append(a.history, events...)
}

// do decides and applies cmd.
func (a *agg[S, C]) do(x *sim, cmd C) ([]domain.Event, error) {
	events, err := a.try(x, cmd)
	if err == nil {
		a.apply(x, events)
	}
	x.logf("  %s %T → %d events, %v", a.name, cmd, len(events), err)
	return events, err
}

// must is do for a process step the ledger runs after the other side
// accepted: a refusal means the two streams disagree.
func (a *agg[S, C]) must(x *sim, cmd C) []domain.Event {
	events, err := a.do(x, cmd)
	if err != nil {
		x.failf("%s: process step %T refused: %v", a.name, cmd, err)
	}
	return events
}

// replay folds the history, round-tripped through JSON and the registry,
// and compares it with the state built step by step.
func (a *agg[S, C]) replay(x *sim) {
	var folded S
	for i, e := range a.history {
		data, err := json.Marshal(e)
		if err != nil {
			x.failf("%s: event %d does not marshal: %v", a.name, i, err)
		}
		d, err := a.decode(e.EventType(), data)
		if err != nil {
			x.failf("%s: event %d (%s) does not decode: %v", a.name, i, e.EventType(), err)
		}
		folded = a.evolve(folded, d)
	}
	if want, got := canonical(x, a.state), canonical(x, folded); !bytes.Equal(want, got) {
		x.failf("%s: replaying %d events gives\n%s\nnot\n%s", a.name, len(a.history), got, want)
	}
}
