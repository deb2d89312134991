package projections

import (
	"errors"
	"fmt"
	"sync"
	"time"
)

// Freezer is an optional interface of a Projection whose state a save can
// take without stopping the model for as long as marshalling it takes.
//
// A save needs every model at one checkpoint, so it stops applying while
// it takes them. A projection without this method is marshalled then and
// there; on a large ledger that held up every command waiting in Sync and
// every query for hundreds of milliseconds (docs/performance.md, round
// 4c). A Freezer instead hands over an image of its state, kept unchanged
// by copy-on-write, and the save marshals it after applying has resumed.
type Freezer interface {
	// Freeze returns a function that marshals the model exactly as
	// MarshalState would have at the moment of the call. The runner
	// calls Freeze while nothing else uses the model, and the function
	// once, later, on another goroutine, while Apply, queries, Reset and
	// UnmarshalState go on: the model must not change anything the image
	// shares with it. Freeze must take a time that does not grow with
	// the log: a copy of a few hundred entries (one per officer or budget
	// line) is fine, a copy of every claim is not.
	Freeze() func() ([]byte, error)
}

// SaveStats is what a snapshot save cost.
type SaveStats struct {
	// Checkpoint is the position the saved models are at.
	Checkpoint uint64
	// Hold is how long the save stopped applying (and so Sync and
	// queries) while it took the models' images: constant for a Freezer,
	// the whole marshalling for any other projection.
	Hold time.Duration
	// Duration is the whole save: taking the images, marshalling them,
	// writing and syncing the file.
	Duration time.Duration
	// Bytes is the size of the models' states written.
	Bytes int
}

// frozenModels are the runner's models taken at one checkpoint: each one's
// state, or the function that marshals its frozen image.
type frozenModels struct {
	states  [][]byte
	marshal []func() ([]byte, error)
	errs    []error
}

// freezeModels takes every model of projs as it is now: a Freezer's image,
// the others marshalled at once (in parallel). The caller holds the
// models exclusively.
func freezeModels(projs []Projection) *frozenModels {
	f := &frozenModels{states: make([][]byte, len(projs)), marshal: make([]func() ([]byte, error), len(projs)),
		errs: make([]error, len(projs))}
	var wg sync.WaitGroup
	for i, p := range projs {
		if fr, ok := p.(Freezer); ok {
			f.marshal[i] = fr.Freeze()
			continue
		}
		wg.Go(func() { f.states[i], f.errs[i] = p.MarshalState() })
	}
	wg.Wait()
	return f
}

// finish marshals the frozen images, in parallel if asked, and returns
// every model's state, in projs' order.
func (f *frozenModels) finish(projs []Projection, parallel bool) ([][]byte, error) {
	var wg sync.WaitGroup
	for i, m := range f.marshal {
		switch {
		case m == nil:
		case parallel:
			wg.Go(func() { f.states[i], f.errs[i] = m() })
		default:
			f.states[i], f.errs[i] = m()
		}
	}
	wg.Wait()
	for i, err := range f.errs {
		if err != nil {
			f.errs[i] = fmt.Errorf("projections: marshal %s: %w", projs[i].Name(), err)
		}
	}
	return f.states, errors.Join(f.errs...)
}
