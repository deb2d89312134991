package sqlite

import (
	"context"
	"fmt"
	"reflect"
	"testing"

	"github.com/google/uuid"

	"github.com/haixi-hrss/fundledger/eventstore"
)

// TestScanReadsWhatTheDriverReads: ReadAll, which reads through the
// scanner, returns every event exactly as ReadStream, which reads through
// the driver, returns it: every envelope field, texts of every length
// (empty ones, multi-byte ones), in pages split across connections, in
// small pages read on one, and in one read of the whole log in chunks.
func TestScanReadsWhatTheDriverReads(t *testing.T) {
	s := openStore(t, t.TempDir())
	ctx := context.Background()
	streams := []string{"claim-甲", "fund-1", "employer-91632801MA0000007H"}
	for i := range 3 {
		evs := make([]eventstore.EventData, 2000)
		for k := range evs {
			evs[k] = eventstore.EventData{ID: uuid.New(), Type: fmt.Sprintf("Type%d", k%5), SchemaVersion: 1 + k%3,
				Data: fmt.Appendf(nil, `{"n":%d,"note":"%s"}`, k, []string{"", "符合规定", "x"}[k%3]),
				Metadata: eventstore.Metadata{Actor: []string{"", "clerk-632801", "审批人"}[k%3], Role: "clerk",
					CorrelationID: fmt.Sprint("corr-", k), CausationID: []string{"", "cause"}[k%2],
					IdempotencyKey: []string{"", "key-" + fmt.Sprint(k)}[k%2], EffectiveDate: "2025-03-01",
					PolicyVersion: []string{"", "stabilization-2025"}[k%2]}}
		}
		for lo := 0; lo < len(evs); lo += 500 {
			mustAppend(t, s, streams[i], eventstore.Any, evs[lo:lo+500]...)
		}
	}
	var want []eventstore.Event
	for _, stream := range streams {
		evs, err := s.ReadStream(ctx, stream, 0, 0)
		if err != nil {
			t.Fatal(err)
		}
		want = append(want, evs...)
	}
	for _, read := range []struct {
		name         string
		after, limit int
	}{{"whole log", 0, 0}, {"pages across connections", 100, 1000}, {"a small page", 4321, 100}, {"past the end", 5990, 100}} {
		got, err := s.ReadAll(ctx, uint64(read.after), read.limit)
		if err != nil {
			t.Fatal(err)
		}
		wantN := len(want) - read.after
		if read.limit > 0 {
			wantN = min(wantN, read.limit)
		}
		if len(got) != wantN {
			t.Fatalf("%s: %d events, want %d", read.name, len(got), wantN)
		}
		for i := range got {
			if w := want[read.after+i]; !reflect.DeepEqual(got[i], w) {
				t.Fatalf("%s: event %d:\n scanned %+v\n driver  %+v", read.name, i, got[i], w)
			}
		}
	}
}

// TestScannerIsRecycled: a scanner that has read scanRecycle rows closes
// its connection, releasing the pages it mapped, after the chunk that
// reached them (within a read), opens another and reads on correctly.
func TestScannerIsRecycled(t *testing.T) {
	s := openStore(t, t.TempDir(), withTail(0, 0))
	ctx := context.Background()
	evs := make([]eventstore.EventData, 10)
	for k := range evs {
		evs[k] = newEvent(k)
	}
	mustAppend(t, s, "claim-1", eventstore.NoStream, evs...)
	if _, err := s.ReadAll(ctx, 0, 3); err != nil {
		t.Fatal(err)
	}
	r, err := s.readers.get(ctx)
	if err != nil {
		t.Fatal(err)
	}
	sc := r.scan
	if sc == nil || sc.rows != 3 {
		t.Fatalf("after a read of 3 rows the reader's scanner is %+v", sc)
	}
	// The next read reaches scanRecycle after its third row.
	sc.rows = scanRecycle - 3
	if got, err := sc.read(ctx, nil, 3, -1); err != nil || len(got) != 7 || got[0].Position != 4 || got[6].Position != 10 {
		t.Fatalf("the read across the recycling: %d events, %v", len(got), err)
	}
	if sc.rows != 0 {
		t.Fatalf("after reaching scanRecycle the scanner counts %d rows, want a fresh connection's 0", sc.rows)
	}
	s.readers.put(r)
	got, err := s.ReadAll(ctx, 6, 0)
	if err != nil || len(got) != 4 || got[0].Position != 7 || sc.rows != 4 {
		t.Fatalf("the read after recycling: %d events, %v; scanner at %d rows", len(got), err, sc.rows)
	}
}
