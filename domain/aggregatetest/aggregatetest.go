// Package aggregatetest drives a decide/evolve aggregate through commands in
// a test and checks, after every command, the properties every aggregate
// owes the ledger: a refused command returns a typed domain error, no events
// and leaves the state untouched; an accepted command's events, stored as
// JSON and decoded through the package's registry, fold back into exactly
// the state that Evolve built step by step; and Evolve never alters the state
// it was given.
package aggregatetest

import (
	"bytes"
	"encoding/json"
	"errors"
	"testing"

	"github.com/haixi-hrss/fundledger/domain"
)

// Aggregate is the pure surface of one aggregate package.
type Aggregate[S, C any] struct {
	// Decide turns a command and the current state into events or an error.
	Decide func(S, C) ([]domain.Event, error)
	// Evolve folds one event into a state and returns the new state.
	Evolve func(S, domain.Event) S
	// Decode rebuilds an event from its stored type name and JSON data.
	Decode func(eventType string, data []byte) (domain.Event, error)
}

// Log is one aggregate's history in a test: the state so far and every
// event accepted to reach it.
type Log[S, C any] struct {
	t       testing.TB
	agg     Aggregate[S, C]
	State   S
	History []domain.Event
}

// New starts an empty log for agg.
func New[S, C any](t testing.TB, agg Aggregate[S, C]) *Log[S, C] {
	return &Log[S, C]{t: t, agg: agg}
}

// Do decides cmd against the log's state and returns what Decide returned.
// On acceptance it evolves the state and checks the replay; on refusal it
// checks that the error is a domain error and nothing changed. Any broken
// property fails the test at once.
func (l *Log[S, C]) Do(cmd C) ([]domain.Event, error) {
	l.t.Helper()
	before := Canonical(l.t, l.State)
	events, err := l.agg.Decide(l.State, cmd)
	if after := Canonical(l.t, l.State); !bytes.Equal(before, after) {
		l.t.Fatalf("Decide(%T) altered the state it was given:\nbefore %s\nafter  %s", cmd, before, after)
	}
	if err != nil {
		if len(events) != 0 {
			l.t.Fatalf("Decide(%T) refused with %v but returned %d events", cmd, err, len(events))
		}
		if !errors.Is(err, domain.ErrInvalid) && !errors.Is(err, domain.ErrRejected) {
			l.t.Fatalf("Decide(%T) error %v is neither a FieldError nor a RuleError", cmd, err)
		}
		return nil, err
	}
	for _, e := range events {
		prev := l.State
		prevBytes := Canonical(l.t, prev)
		l.State = l.agg.Evolve(prev, e)
		if got := Canonical(l.t, prev); !bytes.Equal(prevBytes, got) {
			l.t.Fatalf("Evolve(%s) altered the state it was given:\nbefore %s\nafter  %s", e.EventType(), prevBytes, got)
		}
	}
	l.History = append(l.History, events...)
	l.CheckReplay()
	return events, nil
}

// Must is Do for a command the test expects to be accepted.
func (l *Log[S, C]) Must(cmd C) []domain.Event {
	l.t.Helper()
	events, err := l.Do(cmd)
	if err != nil {
		l.t.Fatalf("Decide(%T) = %v, want accepted", cmd, err)
	}
	return events
}

// CheckReplay stores every event of the history as JSON, decodes it through
// the registry and folds the result from the zero state; the outcome must
// equal the log's state.
func (l *Log[S, C]) CheckReplay() {
	l.t.Helper()
	var folded S
	for i, e := range l.History {
		data, err := json.Marshal(e)
		if err != nil {
			l.t.Fatalf("event %d (%s) does not marshal: %v", i, e.EventType(), err)
		}
		decoded, err := l.agg.Decode(e.EventType(), data)
		if err != nil {
			l.t.Fatalf("event %d (%s) does not decode from %s: %v", i, e.EventType(), data, err)
		}
		if decoded.EventType() != e.EventType() {
			l.t.Fatalf("event %d decoded as %s, stored as %s", i, decoded.EventType(), e.EventType())
		}
		folded = l.agg.Evolve(folded, decoded)
	}
	want, got := Canonical(l.t, l.State), Canonical(l.t, folded)
	if !bytes.Equal(want, got) {
		l.t.Fatalf("replaying %d events gives a different state:\nstepwise %s\nreplayed %s", len(l.History), want, got)
	}
}

// Canonical is the JSON form two states are compared by: amounts print with
// exactly two decimals and map keys sort, so equal states give equal bytes
// whatever the decimal's internal exponent.
func Canonical(t testing.TB, v any) []byte {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatalf("state %T does not marshal: %v", v, err)
	}
	return b
}
