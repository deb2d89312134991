package storetest

import (
	"context"
	"fmt"
	"sync"
	"testing"

	"github.com/google/uuid"

	"github.com/haixi-hrss/fundledger/eventstore"
)

// testConcurrentExact races many writers for each next version of one stream
// (NoStream for the first, then Exact): each round exactly one wins, every
// loser gets a *ConcurrencyError naming the winner's version, and the stream
// ends up holding exactly the winners, gapless.
func testConcurrentExact(t *testing.T, s eventstore.Store) {
	const stream, rounds, writers = "uniq-expansion-grant", 16, 16
	winners := make([]uuid.UUID, 0, rounds)
	for r := range rounds {
		expected := eventstore.NoStream
		if r > 0 {
			expected = eventstore.Exact(uint64(r - 1))
		}
		evs := Events(writers)
		results := make([]eventstore.AppendResult, writers)
		errs := make([]error, writers)
		start := make(chan struct{})
		var wg sync.WaitGroup
		for w := range writers {
			wg.Go(func() {
				<-start
				results[w], errs[w] = s.Append(context.Background(), stream, expected, evs[w])
			})
		}
		close(start)
		wg.Wait()

		won := -1
		for w, err := range errs {
			if err != nil {
				continue
			}
			if won >= 0 {
				t.Fatalf("round %d (%s): writers %d and %d both succeeded", r, expected, won, w)
			}
			won = w
		}
		if won < 0 {
			t.Fatalf("round %d (%s): no writer succeeded; first error: %v", r, expected, errs[0])
		}
		if res := results[won]; res.FirstVersion != uint64(r) || res.LastVersion != uint64(r) {
			t.Errorf("round %d: winner's result %+v, want version %d", r, res, r)
		}
		for w, err := range errs {
			if w != won {
				checkConcurrencyError(t, err, stream, expected, int64(r))
			}
		}
		winners = append(winners, evs[won].ID)
	}

	got := readStream(t, s, stream)
	checkStream(t, stream, got)
	if len(got) != rounds {
		t.Fatalf("stream has %d events after %d rounds, want one per round", len(got), rounds)
	}
	for r, e := range got {
		if e.ID != winners[r] {
			t.Errorf("version %d holds %s, want the winner %s", r, e.ID, winners[r])
		}
	}
	log := readAll(t, s)
	checkLog(t, log)
	if len(log) != rounds {
		t.Errorf("global log has %d events, want %d: a loser was written", len(log), rounds)
	}
}

// testConcurrentAny has many writers append batches to one stream with Any:
// all succeed, each batch occupies consecutive versions exactly as its
// result says, and the stream is gapless with every event exactly once.
func testConcurrentAny(t *testing.T, s eventstore.Store) {
	const stream, writers, appends = "fund-any", 16, 8
	type done struct {
		batch []eventstore.EventData
		res   eventstore.AppendResult
	}
	results := make([][]done, writers)
	var wg sync.WaitGroup
	for w := range writers {
		wg.Go(func() {
			for k := range appends {
				batch := Events(1 + (w+k)%3)
				res, err := s.Append(context.Background(), stream, eventstore.Any, batch...)
				if err != nil {
					t.Errorf("writer %d append %d: %v", w, k, err)
					return
				}
				results[w] = append(results[w], done{batch, res})
			}
		})
	}
	wg.Wait()
	if t.Failed() {
		return
	}

	got := readStream(t, s, stream)
	checkStream(t, stream, got)
	total := 0
	for w, rs := range results {
		for k, d := range rs {
			total += len(d.batch)
			n := uint64(len(d.batch))
			if d.res.LastVersion-d.res.FirstVersion != n-1 || d.res.LastVersion >= uint64(len(got)) {
				t.Fatalf("writer %d append %d of %d events: result %+v", w, k, n, d.res)
			}
			checkData(t, got, d.res.FirstVersion, d.batch)
			if d.res.Position != got[d.res.LastVersion].Position {
				t.Errorf("writer %d append %d: result position %d, event has %d", w, k, d.res.Position, got[d.res.LastVersion].Position)
			}
			if k > 0 && d.res.FirstVersion <= rs[k-1].res.LastVersion {
				t.Errorf("writer %d: append %d landed at version %d, before its previous append's %d", w, k, d.res.FirstVersion, rs[k-1].res.LastVersion)
			}
		}
	}
	if len(got) != total {
		t.Errorf("stream has %d events, want %d", len(got), total)
	}
	checkLog(t, readAll(t, s))
}

// batchIndex maps each event ID to its batch and its index in the batch.
type batchIndex map[uuid.UUID]struct{ batch, index, size int }

// checkBatches checks that every batch in log appears whole and contiguous:
// a reader never sees part of an append.
func (bi batchIndex) checkBatches(log []eventstore.Event) error {
	for i := 0; i < len(log); {
		first, ok := bi[log[i].ID]
		if !ok {
			return fmt.Errorf("entry %d: unknown event %s", i, log[i].ID)
		}
		if first.index != 0 {
			return fmt.Errorf("entry %d: event %d of batch %d without the events before it", i, first.index, first.batch)
		}
		for j := 1; j < first.size; j++ {
			if i+j >= len(log) {
				return fmt.Errorf("log ends after %d of the %d events of batch %d", j, first.size, first.batch)
			}
			if b := bi[log[i+j].ID]; b.batch != first.batch || b.index != j {
				return fmt.Errorf("entry %d: batch %d is interrupted after %d of %d events", i+j, first.batch, j, first.size)
			}
		}
		i += first.size
	}
	return nil
}

// testConcurrentManyStreams has writers append batches to several streams
// while readers poll the global log, some rescanning it from the start and
// some tailing it from their last position. Every read must be a prefix of
// the final log (no hole filled in later), and no read may show part of a
// batch.
func testConcurrentManyStreams(t *testing.T, s eventstore.Store) {
	const writers, appends, streams = 16, 8, 8
	batches := make([][]eventstore.EventData, writers*appends)
	bi := make(batchIndex)
	for b := range batches {
		batches[b] = Events(1 + b%4)
		for i, e := range batches[b] {
			bi[e.ID] = struct{ batch, index, size int }{b, i, len(batches[b])}
		}
	}
	results := make([]eventstore.AppendResult, len(batches))

	ctx, stopReaders := context.WithCancel(context.Background())
	var readers sync.WaitGroup
	// A rescanning reader checks each scan extends its previous one; since
	// "is a prefix of" is transitive, the last scan being a prefix of the
	// final log then covers them all.
	lastScans := make([][]eventstore.Event, 2)
	for r := range lastScans {
		readers.Go(func() {
			for i := 0; ctx.Err() == nil; i++ {
				scan, err := scanAll(context.Background(), s, 7)
				if err != nil {
					t.Errorf("rescanning reader %d: %v", r, err)
					return
				}
				if err := bi.checkBatches(scan); err != nil {
					t.Errorf("rescanning reader %d, scan %d: %v", r, i, err)
					return
				}
				if !checkPrefix(t, fmt.Sprintf("rescanning reader %d, scan %d against scan %d", r, i-1, i), lastScans[r], scan) {
					return
				}
				lastScans[r] = scan
			}
		})
	}
	tails := make([][]eventstore.Event, 2)
	for r := range tails {
		readers.Go(func() {
			var after uint64
			for ctx.Err() == nil {
				page, err := s.ReadAll(context.Background(), after, 5+r*20)
				if err != nil {
					t.Errorf("tailing reader: %v", err)
					return
				}
				if len(page) > 0 {
					tails[r] = append(tails[r], page...)
					after = page[len(page)-1].Position
				}
			}
		})
	}

	var wg sync.WaitGroup
	for w := range writers {
		wg.Go(func() {
			for k := range appends {
				b := w*appends + k
				stream := fmt.Sprintf("claim-%d", (w+k)%streams)
				res, err := s.Append(context.Background(), stream, eventstore.Any, batches[b]...)
				if err != nil {
					t.Errorf("writer %d append %d: %v", w, k, err)
					return
				}
				results[b] = res
			}
		})
	}
	wg.Wait()
	stopReaders()
	readers.Wait()
	if t.Failed() {
		return
	}

	final := readAll(t, s)
	checkLog(t, final)
	if err := bi.checkBatches(final); err != nil {
		t.Fatalf("final log: %v", err)
	}
	if len(final) != len(bi) {
		t.Fatalf("final log has %d events, want %d", len(final), len(bi))
	}
	byPosition := make(map[uint64]eventstore.Event, len(final))
	for _, e := range final {
		byPosition[e.Position] = e
	}
	for b, res := range results {
		last := batches[b][len(batches[b])-1]
		if e, ok := byPosition[res.Position]; !ok || e.ID != last.ID || e.Version != res.LastVersion {
			t.Errorf("batch %d: result %+v does not point at its last event %s", b, res, last.ID)
		}
	}
	for r, scan := range lastScans {
		checkPrefix(t, fmt.Sprintf("rescanning reader %d, last scan", r), scan, final)
	}
	for r, tail := range tails {
		checkPrefix(t, fmt.Sprintf("tailing reader %d", r), tail, final)
		last := uint64(0)
		if len(tail) > 0 {
			last = tail[len(tail)-1].Position
		}
		rest, err := s.ReadAll(context.Background(), last, len(final)+1)
		if err != nil {
			t.Fatal(err)
		}
		checkSame(t, fmt.Sprintf("tailing reader %d, caught up", r), append(tail, rest...), final)
	}
}

// checkPrefix checks that got is the start of final, and reports whether it
// is.
func checkPrefix(t testing.TB, what string, got, final []eventstore.Event) bool {
	t.Helper()
	if len(got) > len(final) {
		t.Errorf("%s: read %d events, later only %d", what, len(got), len(final))
		return false
	}
	return checkSame(t, what, got, final[:len(got)])
}
