package projections

import (
	"bytes"
	"fmt"

	"github.com/haixi-hrss/fundledger/domain"
	"github.com/haixi-hrss/fundledger/eventstore"
)

// Projection is one read model. Its methods are called by one goroutine at
// a time; a Runner serialises them with its queries (see Runner.Read).
// Different projections are fed at the same time, each on a goroutine of
// its own, and an event decoded once is handed to each that reads it: a
// projection must share nothing mutable with another, and must not modify
// the events it is given.
type Projection interface {
	// Name identifies the read model in the snapshot file; it must be
	// unique among a runner's projections and stable across releases.
	Name() string
	// Apply folds one decoded event into the read model; env is the
	// stored envelope (stream, position, recorded-at, metadata). It must
	// depend on nothing but its arguments and the model, so that a
	// rebuild gives the same result.
	Apply(ev domain.Event, env *eventstore.Event) error
	// Reset empties the read model.
	Reset()
	// MarshalState returns the read model as canonical bytes: two models
	// that answer every query alike marshal to the same bytes.
	MarshalState() ([]byte, error)
	// UnmarshalState replaces the read model with one MarshalState wrote.
	UnmarshalState(data []byte) error
}

// Equal reports whether two projections hold the same read model, by their
// canonical state.
func Equal(a, b Projection) (bool, error) {
	sa, err := a.MarshalState()
	if err != nil {
		return false, fmt.Errorf("projections: marshal %s: %w", a.Name(), err)
	}
	sb, err := b.MarshalState()
	if err != nil {
		return false, fmt.Errorf("projections: marshal %s: %w", b.Name(), err)
	}
	return bytes.Equal(sa, sb), nil
}
