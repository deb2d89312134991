package storetest

import (
	"context"
	"fmt"
	"sync"
	"testing"

	"github.com/haixi-hrss/fundledger/eventstore"
)

// testReadYourWrites has writers append to streams of their own while the
// others do the same, and checks that as soon as an append returns, every
// read its writer makes shows it: the stream read forward from its start
// and from the new version, backward by one, and the global log after the
// position before it. A backend that answers reads from memory it fills
// after the fact, or from a cache that lags the log, fails here.
func testReadYourWrites(t *testing.T, s eventstore.Store) {
	ctx := context.Background()
	const writers, appends = 6, 12
	var wg sync.WaitGroup
	for w := range writers {
		wg.Go(func() {
			stream := fmt.Sprintf("claim-ryw-%d", w)
			var want []eventstore.EventData
			expected := eventstore.NoStream
			for v := range appends {
				evs := Events(1 + v%2)
				res, err := s.Append(ctx, stream, expected, cloneData(evs)...)
				if err != nil {
					t.Error(err)
					return
				}
				want = append(want, evs...)
				if err := readsShow(ctx, s, stream, res, want); err != nil {
					t.Error(err)
					return
				}
				expected = eventstore.Exact(res.LastVersion)
			}
		})
	}
	wg.Wait()
	checkLog(t, readAll(t, s))
}

// readsShow checks that the reads of a writer that has just appended res
// to stream, which holds want, show it.
func readsShow(ctx context.Context, s eventstore.Store, stream string, res eventstore.AppendResult, want []eventstore.EventData) error {
	got, err := s.ReadStream(ctx, stream, 0, 0)
	if err != nil {
		return err
	}
	if len(got) != len(want) {
		return fmt.Errorf("%s: %d events right after an append made it %d", stream, len(got), len(want))
	}
	for i := range got {
		if d := diffData(want[i], got[i]); d != "" {
			return fmt.Errorf("%s version %d: %s", stream, i, d)
		}
	}
	last := got[len(got)-1]
	if last.Version != res.LastVersion || positionOf(&last) != res.Position {
		return fmt.Errorf("%s: last event at version %d position %d, the append said %+v", stream, last.Version, last.Position, res)
	}
	if tail, err := s.ReadStream(ctx, stream, res.LastVersion, 0); err != nil || len(tail) != 1 || tail[0].ID != last.ID {
		return fmt.Errorf("%s from version %d: %d events, %v; want the one just appended", stream, res.LastVersion, len(tail), err)
	}
	if back, err := s.ReadStreamBackward(ctx, stream, 1); err != nil || len(back) != 1 || back[0].ID != last.ID {
		return fmt.Errorf("%s backward by 1: %d events, %v; want the one just appended", stream, len(back), err)
	}
	page, err := s.ReadAll(ctx, res.Position-1, 1)
	if err != nil || len(page) != 1 || page[0].ID != last.ID {
		return fmt.Errorf("ReadAll after %d: %d events, %v; want the one just appended", res.Position-1, len(page), err)
	}
	return nil
}

// testReadsAreIndependent reads two events in one call and checks that
// growing the first one's Data, as a caller may, changes neither the
// second nor what the store returns next: a backend that cuts the events
// of one read from a shared buffer must cut them apart.
func testReadsAreIndependent(t *testing.T, s eventstore.Store) {
	ctx := context.Background()
	evs := Events(2)
	want := cloneData(evs)
	mustAppend(t, s, "claim-independent", eventstore.NoStream, evs...)
	for name, read := range map[string]func() ([]eventstore.Event, error){
		"ReadStream":         func() ([]eventstore.Event, error) { return s.ReadStream(ctx, "claim-independent", 0, 0) },
		"ReadStreamBackward": func() ([]eventstore.Event, error) { return s.ReadStreamBackward(ctx, "claim-independent", 2) },
		"ReadAll":            func() ([]eventstore.Event, error) { return s.ReadAll(ctx, 0, 0) },
	} {
		got, err := read()
		if err != nil || len(got) != 2 {
			t.Fatalf("%s: %d events, %v", name, len(got), err)
		}
		for i := range got {
			grown := append(got[i].Data, `,"x":"appended by the caller"`...)
			for j := range grown {
				grown[j] = 'X'
			}
			if other := got[1-i]; string(other.Data) != string(want[other.Version].Data) {
				t.Errorf("%s: growing event %d's data changed event %d's to %s", name, i, 1-i, clip(other.Data))
			}
		}
		checkData(t, readStream(t, s, "claim-independent"), 0, want)
	}
}
