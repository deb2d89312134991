package sqlite

import (
	"context"
	"fmt"
	"sync"
	"testing"

	"github.com/haixi-hrss/fundledger/eventstore"
)

// TestReadAllLargePagesArePrefixes reads pages large enough to be split
// across connections while writers keep committing, and checks every page
// is a dense run starting right after the requested position, and that the
// pages together are exactly the log.
func TestReadAllLargePagesArePrefixes(t *testing.T) {
	for name, opts := range map[string][]Option{"tail": nil, "no_tail": {withTail(0, 0)}} {
		t.Run(name, func(t *testing.T) { testReadAllLargePagesArePrefixes(t, opts...) })
	}
}

func testReadAllLargePagesArePrefixes(t *testing.T, opts ...Option) {
	s := openStore(t, t.TempDir(), opts...)
	ctx := context.Background()
	for i := range 3 {
		evs := make([]eventstore.EventData, 500)
		for k := range evs {
			evs[k] = newEvent(k)
		}
		mustAppend(t, s, fmt.Sprintf("claim-%d", i), eventstore.NoStream, evs...)
	}

	var wg sync.WaitGroup
	stop := make(chan struct{})
	wg.Go(func() {
		for i := 0; ; i++ {
			select {
			case <-stop:
				return
			default:
			}
			if _, err := s.Append(ctx, fmt.Sprintf("fund-%d", i%7), eventstore.Any, newEvent(i), newEvent(i)); err != nil {
				t.Error(err)
				return
			}
		}
	})
	var pages []eventstore.Event
	var after uint64
	for _, limit := range []int{1000, 777, 2048, 600, 1000, 1000} {
		page, err := s.ReadAll(ctx, after, limit)
		if err != nil {
			t.Fatal(err)
		}
		if len(page) > limit {
			t.Fatalf("ReadAll(%d, %d) returned %d events", after, limit, len(page))
		}
		for i, e := range page {
			if e.Position != after+1+uint64(i) {
				t.Fatalf("ReadAll(%d, %d): event %d at position %d, want %d", after, limit, i, e.Position, after+1+uint64(i))
			}
		}
		pages = append(pages, page...)
		if len(page) > 0 {
			after = page[len(page)-1].Position
		}
	}
	close(stop)
	wg.Wait()

	log := readLog(t, s)
	verifyLog(t, log)
	if len(pages) > len(log) {
		t.Fatalf("pages hold %d events, log %d", len(pages), len(log))
	}
	for i := range pages {
		if pages[i].ID != log[i].ID || pages[i].Hash != log[i].Hash {
			t.Fatalf("paged event %d differs from the log's", i)
		}
	}
}
