package projbench_test

import (
	"bytes"
	"strings"
	"sync"
	"testing"

	"github.com/haixi-hrss/fundledger/eventstore"
	"github.com/haixi-hrss/fundledger/ledger/schema"
	"github.com/haixi-hrss/fundledger/projections"
)

// TestFrozenImagesKeepTheirCheckpoint: every read model that freezes its
// state, fed a generated ledger in five parts, gives at each part's end an
// image that marshals, while the next part is applied on another
// goroutine (and the model is once restored from its own state, as after
// a failed batch), to exactly what MarshalState gave when it was taken;
// and the model fed on ends equal to a rebuild. Run with -race, it also
// finds an image sharing anything the model changes.
func TestFrozenImagesKeepTheirCheckpoint(t *testing.T) {
	st, evs, _ := generated(t, 40)
	c := schema.Codec()
	models := allViews()
	var freezers []projections.Projection
	for _, p := range models {
		if _, ok := p.(projections.Freezer); ok {
			freezers = append(freezers, p)
		}
	}
	if len(freezers) < 6 {
		t.Fatalf("%d models freeze their state, want at least budgets, claims, trail, anomalies, performance and payment batches", len(freezers))
	}
	// apply feeds p as the runner does: no ledger record, no event of a
	// type p ignores, a nil event where p needs only the envelope.
	apply := func(p projections.Projection, evs []eventstore.Event) {
		for i := range evs {
			ev := &evs[i]
			if strings.HasPrefix(ev.Stream, "idem-") || strings.HasPrefix(ev.Stream, "uniq-") {
				continue
			}
			in := p.(projections.Selective).Interest(ev.Type)
			if in == projections.Ignore {
				continue
			}
			d, err := c.Decode(ev)
			if err != nil {
				t.Fatal(err)
			}
			if in == projections.EnvelopeOnly {
				d = nil
			}
			if err := p.Apply(d, ev); err != nil {
				t.Fatalf("%s: %v", p.Name(), err)
			}
		}
	}
	const parts = 5
	size := (len(evs) + parts - 1) / parts
	for _, p := range freezers {
		changed := 0
		for part := 0; part*size < len(evs); part++ {
			want, err := p.MarshalState()
			if err != nil {
				t.Fatal(err)
			}
			marshal := p.(projections.Freezer).Freeze()
			var got []byte
			var merr error
			var wg sync.WaitGroup
			wg.Go(func() { got, merr = marshal() })
			if part == 2 {
				if err := p.UnmarshalState(want); err != nil {
					t.Fatal(err)
				}
			}
			apply(p, evs[part*size:min((part+1)*size, len(evs))])
			wg.Wait()
			if merr != nil {
				t.Fatal(merr)
			}
			if !bytes.Equal(got, want) {
				t.Fatalf("%s: the image frozen before part %d marshals to other bytes than the model did then", p.Name(), part)
			}
			if now, _ := p.MarshalState(); !bytes.Equal(now, want) {
				changed++
			}
		}
		// The generated ledger has no payment batches (their own test is
		// projections' TestPaymentBatchesFreezeKeepsItsImage).
		if changed < 2 && p.Name() != "payment-batches" {
			t.Errorf("%s changed in %d of the parts; the comparison proves little", p.Name(), changed)
		}
	}
	rebuilt := allViews()
	if _, err := projections.Rebuild(t.Context(), st, c, nil, rebuilt...); err != nil {
		t.Fatal(err)
	}
	for i, p := range models {
		if _, ok := p.(projections.Freezer); !ok {
			continue
		}
		if eq, err := projections.Equal(p, rebuilt[i]); err != nil || !eq {
			t.Errorf("%s fed through freezes differs from a rebuild (%v)", p.Name(), err)
		}
	}
}
