package sqlite

import (
	"context"
	"fmt"
	"runtime"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/haixi-hrss/fundledger/eventstore"
)

// benchEvent is a claim-like event with about 500 bytes of JSON data.
func benchEvent() eventstore.EventData {
	data := fmt.Sprintf(`{"claimId":"%s","county":"632801","amount":"1500.00","note":"%s"}`, uuid.New(), strings.Repeat("x", 420))
	return eventstore.EventData{ID: uuid.New(), Type: "ClaimSubmitted", SchemaVersion: 1, Data: []byte(data),
		Metadata: eventstore.Metadata{Actor: "clerk-0042", Role: "clerk", CorrelationID: uuid.NewString(),
			EffectiveDate: "2025-06-30", PolicyVersion: "expansion-grant/2025-1"}}
}

func benchStreams() []string {
	streams := make([]string, 1000)
	for i := range streams {
		streams[i] = "claim-" + uuid.NewString()
	}
	return streams
}

func reportRate(b *testing.B, events int) {
	b.ReportMetric(float64(events)/b.Elapsed().Seconds(), "events/s")
}

// cpuTime is the process's user+system CPU time. On a shared machine it
// is a steadier measure of cost than wall time.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// run64 calls op from 64 goroutines until b is done; op returns how many
// events it appended. It reports events/s and, as cpu-ns/event, the whole
// process's CPU time per event, steadier than the rate on a shared
// machine.
func run64(b *testing.B, op func() (events int64, err error)) {
	var events atomic.Int64
	b.SetParallelism(max(1, 64/runtime.GOMAXPROCS(0)))
	cpu := cpuTime()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			n, err := op()
			if err != nil {
				b.Error(err)
				return
			}
			events.Add(n)
		}
	})
	reportRate(b, int(events.Load()))
	b.ReportMetric(float64(cpuTime()-cpu)/float64(events.Load()), "cpu-ns/event")
}

// BenchmarkAppend1Writer appends one event per call from one goroutine:
// one commit, one fsync per event.
func BenchmarkAppend1Writer(b *testing.B) {
	s := openStore(b, b.TempDir())
	streams := benchStreams()
	ctx := context.Background()
	i := 0
	for b.Loop() {
		if _, err := s.Append(ctx, streams[i%len(streams)], eventstore.Any, benchEvent()); err != nil {
			b.Fatal(err)
		}
		i++
	}
	reportRate(b, i)
}

// BenchmarkAppend64Writers appends one event per call from 64 goroutines,
// which the writer groups into shared commits.
func BenchmarkAppend64Writers(b *testing.B) {
	s := openStore(b, b.TempDir())
	streams := benchStreams()
	ctx := context.Background()
	var next atomic.Int64
	run64(b, func() (int64, error) {
		stream := streams[next.Add(1)%int64(len(streams))]
		_, err := s.Append(ctx, stream, eventstore.Any, benchEvent())
		return 1, err
	})
}

// BenchmarkReadAll reads a 50,000-event log in pages of 1,000, decoding
// every row into eventstore.Event.
func BenchmarkReadAll(b *testing.B) {
	const total = 50_000
	s := openStore(b, b.TempDir())
	streams := benchStreams()
	ctx := context.Background()
	for i := 0; i < total; i += 500 {
		evs := make([]eventstore.EventData, 500)
		for j := range evs {
			evs[j] = benchEvent()
		}
		if _, err := s.Append(ctx, streams[i/500%len(streams)], eventstore.Any, evs...); err != nil {
			b.Fatal(err)
		}
	}
	read := 0
	cpu := cpuTime()
	for b.Loop() {
		var after uint64
		for {
			page, err := s.ReadAll(ctx, after, 1000)
			if err != nil {
				b.Fatal(err)
			}
			if len(page) == 0 {
				break
			}
			read += len(page)
			after = page[len(page)-1].Position
		}
	}
	reportRate(b, read)
	b.ReportMetric(float64(cpuTime()-cpu)/float64(read), "cpu-ns/event")
}

// BenchmarkAppendNewStreams64Writers appends one event per call from 64
// goroutines, each to a stream that does not exist yet, named like the
// ledger's idempotency-key streams (a random 64-digit hex name): the
// store's work when every command claims its key.
func BenchmarkAppendNewStreams64Writers(b *testing.B) {
	s := openStore(b, b.TempDir())
	ctx := context.Background()
	run64(b, func() (int64, error) {
		name := fmt.Sprintf("idem-%032x%032x", uuid.New(), uuid.New())
		_, err := s.Append(ctx, name, eventstore.NoStream, benchEvent())
		return 1, err
	})
}

// BenchmarkAppendMultiNewKey64Writers appends, from 64 goroutines, one
// event to a new key stream and one to a new claim stream in one
// AppendMulti, as the ledger records a command with its idempotency key.
func BenchmarkAppendMultiNewKey64Writers(b *testing.B) {
	s := openStore(b, b.TempDir())
	ctx := context.Background()
	run64(b, func() (int64, error) {
		key := fmt.Sprintf("idem-%032x%032x", uuid.New(), uuid.New())
		_, err := s.AppendMulti(ctx,
			eventstore.StreamAppend{Stream: key, Expected: eventstore.NoStream, Events: []eventstore.EventData{benchEvent()}},
			eventstore.StreamAppend{Stream: "claim-" + uuid.NewString(), Expected: eventstore.NoStream, Events: []eventstore.EventData{benchEvent()}})
		return 2, err
	})
}
