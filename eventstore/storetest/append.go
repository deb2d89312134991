package storetest

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/haixi-hrss/fundledger/eventstore"
)

// testAppendReadBack appends two batches to one stream and one to another,
// and checks every field read back, the append results, the global order and
// the hash chains. It also checks that the store keeps its own copy of data
// (the caller may reuse its buffers) and hands out copies.
func testAppendReadBack(t *testing.T, s eventstore.Store) {
	const stream, other = "claim-海西-0001", "fund-632801"
	batch1, batch2, batchOther := shapedEvents(), Events(3), Events(2)
	want := append(cloneData(batch1), cloneData(batch2)...)
	wantOther := cloneData(batchOther)

	start := time.Now()
	res1 := mustAppend(t, s, stream, eventstore.NoStream, batch1...)
	resOther := mustAppend(t, s, other, eventstore.NoStream, batchOther...)
	res2 := mustAppend(t, s, stream, eventstore.Exact(uint64(len(batch1)-1)), batch2...)
	end := time.Now()
	for _, b := range [][]eventstore.EventData{batch1, batch2, batchOther} {
		for _, e := range b {
			for i := range e.Data {
				e.Data[i] = 'X'
			}
		}
	}

	got := readStream(t, s, stream)
	if len(got) != len(want) {
		t.Fatalf("ReadStream(%q): %d events, want %d", stream, len(got), len(want))
	}
	checkData(t, got, 0, want)
	checkStream(t, stream, got)
	checkRecordedWithin(t, got, start, end)
	gotOther := readStream(t, s, other)
	if len(gotOther) != len(wantOther) {
		t.Fatalf("ReadStream(%q): %d events, want %d", other, len(gotOther), len(wantOther))
	}
	checkData(t, gotOther, 0, wantOther)
	checkStream(t, other, gotOther)

	n1 := uint64(len(batch1))
	checkResult(t, "first append", res1, 0, n1-1, got[n1-1].Position)
	checkResult(t, "other stream", resOther, 0, uint64(len(wantOther)-1), gotOther[len(gotOther)-1].Position)
	checkResult(t, "second append", res2, n1, uint64(len(want)-1), got[len(got)-1].Position)

	// Sequential appends commit in call order, so the global log is exactly
	// batch1, the other stream, batch2.
	log := readAll(t, s)
	checkLog(t, log)
	wantLog := append(append(append([]eventstore.Event(nil), got[:n1]...), gotOther...), got[n1:]...)
	checkSame(t, "ReadAll", log, wantLog)

	got[0].Data[0] = 'X'
	checkData(t, readStream(t, s, stream), 0, want[:1])
}

func checkResult(t testing.TB, what string, res eventstore.AppendResult, first, last, position uint64) {
	t.Helper()
	if res.FirstVersion != first || res.LastVersion != last || res.Position != position {
		t.Errorf("%s: result %+v, want {FirstVersion:%d LastVersion:%d Position:%d}", what, res, first, last, position)
	}
}

// testAtomicAppend appends a batch of events in one call between single
// appends to another stream, and checks they landed together: consecutive
// versions, adjacent in the global log, the result naming the last.
func testAtomicAppend(t *testing.T, s eventstore.Store) {
	const stream, other = "budget-line-1", "fund-1"
	mustAppend(t, s, other, eventstore.NoStream, Events(1)...)
	batch := Events(10)
	res := mustAppend(t, s, stream, eventstore.Any, batch...)
	mustAppend(t, s, other, eventstore.Exact(0), Events(1)...)

	got := readStream(t, s, stream)
	if len(got) != len(batch) {
		t.Fatalf("stream has %d events, want %d", len(got), len(batch))
	}
	checkData(t, got, 0, batch)
	checkStream(t, stream, got)
	checkResult(t, "batch append", res, 0, uint64(len(batch)-1), got[len(got)-1].Position)

	log := readAll(t, s)
	checkLog(t, log)
	if len(log) != len(batch)+2 {
		t.Fatalf("global log has %d events, want %d", len(log), len(batch)+2)
	}
	checkSame(t, "batch in the global log", log[1:1+len(batch)], got)
}

// testIdempotentRetry checks the retry rule documented on Store.Append: the
// same IDs at the versions the same expected version gives are acknowledged
// with the original result and write nothing, even after the stream moved
// on; a request that only partly matches is not a retry.
func testIdempotentRetry(t *testing.T, s eventstore.Store) {
	ctx := context.Background()
	const stream = "claim-retry"
	first, second := Events(2), Events(1)
	res1 := mustAppend(t, s, stream, eventstore.NoStream, first...)
	res2 := mustAppend(t, s, stream, eventstore.Exact(1), second...)
	if res1.Repeated || res2.Repeated {
		t.Errorf("fresh appends reported as repeats: %+v, %+v", res1, res2)
	}
	// A retry is acknowledged with the original result, marked Repeated.
	res1.Repeated, res2.Repeated = true, true
	mustAppend(t, s, "fund-between", eventstore.NoStream, Events(1)...)
	before := readAll(t, s)

	retries := []struct {
		name     string
		expected eventstore.ExpectedVersion
		events   []eventstore.EventData
		want     eventstore.AppendResult
	}{
		{"latest append", eventstore.Exact(1), second, res2},
		{"earlier append after the stream moved on", eventstore.NoStream, first, res1},
		{"same append again", eventstore.NoStream, first, res1},
	}
	for _, r := range retries {
		got, err := s.Append(ctx, stream, r.expected, cloneData(r.events)...)
		if err != nil {
			t.Errorf("retry of %s: %v, want the original result", r.name, err)
			continue
		}
		if got != r.want {
			t.Errorf("retry of %s: result %+v, want the original %+v", r.name, got, r.want)
		}
	}
	checkUnchanged(t, s, before)

	partial := cloneData(first)
	partial[1] = Events(1)[0]
	_, err := s.Append(ctx, stream, eventstore.NoStream, partial...)
	var ce *eventstore.ConcurrencyError
	if !errors.As(err, &ce) || ce.Actual != 2 {
		t.Errorf("append with the first ID of a committed batch but a new second ID: got %v, want a *ConcurrencyError with Actual 2", err)
	}
	checkUnchanged(t, s, before)
}
