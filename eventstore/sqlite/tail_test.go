package sqlite

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"testing"

	"github.com/haixi-hrss/fundledger/eventstore"
)

// sqlView reads the ledger in dir through SQLite alone: a read-only store
// has no tail.
func sqlView(t *testing.T, dir string) *ReadOnlyStore {
	t.Helper()
	ro := openReadOnly(t, dir)
	if ro.inner.tail != nil {
		t.Fatal("a read-only store must have no tail")
	}
	return ro
}

// agree fails unless every read of s, tail or not, returns what SQLite
// returns for it: the log from every position with a few limits, and each
// stream from every version, forward and backward.
func agree(t *testing.T, s *Store, sql *ReadOnlyStore, streams []string) {
	t.Helper()
	ctx := context.Background()
	log, err := sql.ReadAll(ctx, 0, 0)
	if err != nil {
		t.Fatal(err)
	}
	head := uint64(len(log))
	if h, err := s.Head(ctx); err != nil || h != head {
		t.Fatalf("Head = %d, %v; SQLite's log ends at %d", h, err, head)
	}
	for after := uint64(0); after <= head+1; after++ {
		for _, limit := range []int{0, 1, 3} {
			got, err := s.ReadAll(ctx, after, limit)
			if err != nil {
				t.Fatal(err)
			}
			want, err := sql.ReadAll(ctx, after, limit)
			if err != nil {
				t.Fatal(err)
			}
			sameEvents(t, fmt.Sprintf("ReadAll(%d, %d)", after, limit), got, want)
		}
	}
	for _, stream := range append(streams, "claim-never-written") {
		all, err := sql.ReadStream(ctx, stream, 0, 0)
		if err != nil {
			t.Fatal(err)
		}
		for from := uint64(0); from <= uint64(len(all))+1; from++ {
			for _, limit := range []int{0, 1, 2} {
				got, err := s.ReadStream(ctx, stream, from, limit)
				if err != nil {
					t.Fatal(err)
				}
				want, err := sql.ReadStream(ctx, stream, from, limit)
				if err != nil {
					t.Fatal(err)
				}
				sameEvents(t, fmt.Sprintf("ReadStream(%s, %d, %d)", stream, from, limit), got, want)
			}
		}
		for n := 0; n <= len(all)+1; n++ {
			got, err := s.ReadStreamBackward(ctx, stream, n)
			if err != nil {
				t.Fatal(err)
			}
			want, err := sql.ReadStreamBackward(ctx, stream, n)
			if err != nil {
				t.Fatal(err)
			}
			sameEvents(t, fmt.Sprintf("ReadStreamBackward(%s, %d)", stream, n), got, want)
		}
	}
}

// served reports whether the tail itself answers q.
func served(s *Store, q streamRead) bool {
	_, ok, _ := s.tail.readStream(q)
	return ok
}

// TestTailAnswersAsSQLiteDoes appends to streams in turn, some in
// batches, and after each append checks that every read agrees with
// SQLite, with the default tail and with tails small enough that the
// reads fall on both sides of the eviction boundary (by count and by
// bytes).
func TestTailAnswersAsSQLiteDoes(t *testing.T) {
	for name, opts := range map[string][]Option{
		"default":      nil,
		"four_events":  {withTail(4, 1<<20)},
		"two_kilobyte": {withTail(100, 2048)},
	} {
		t.Run(name, func(t *testing.T) {
			dir := t.TempDir()
			s := openStore(t, dir, opts...)
			sql := sqlView(t, dir)
			streams := []string{"claim-1", "claim-2", "policy-p"}
			for i := range 9 {
				evs := make([]eventstore.EventData, 1+i%3)
				for j := range evs {
					evs[j] = newEvent(10*i + j)
				}
				mustAppend(t, s, streams[i%len(streams)], eventstore.Any, evs...)
				agree(t, s, sql, streams)
			}
			if !served(s, streamRead{stream: "claim-1", from: 99}) {
				t.Error("the tail answered no read past the end of a stream it holds")
			}
		})
	}
}

// TestTailEvictionBoundaries: with room for four events, the tail holds
// the last four positions and answers exactly the reads that lie within
// them; a read reaching one position further goes to SQLite.
func TestTailEvictionBoundaries(t *testing.T) {
	dir := t.TempDir()
	s := openStore(t, dir, withTail(4, 1<<20))
	mustAppend(t, s, "claim-a", eventstore.NoStream, newEvent(1), newEvent(2), newEvent(3)) // 1-3
	mustAppend(t, s, "claim-b", eventstore.NoStream, newEvent(4), newEvent(5), newEvent(6)) // 4-6
	if s.tail.start != 2 || s.tail.end != 6 {
		t.Fatalf("the tail holds (%d, %d], want (2, 6]", s.tail.start, s.tail.end)
	}
	if _, ok := s.tail.readAll(nil, 2, 0); !ok {
		t.Error("ReadAll after 2 (the tail's start) not answered by the tail")
	}
	if _, ok := s.tail.readAll(nil, 1, 0); ok {
		t.Error("ReadAll after 1 answered by the tail, which lacks position 2")
	}
	for _, c := range []struct {
		q    streamRead
		want bool
	}{
		{streamRead{stream: "claim-b"}, true},                                  // the whole stream is there
		{streamRead{stream: "claim-a", from: 2}, true},                         // version 2 is position 3
		{streamRead{stream: "claim-a", from: 1}, false},                        // version 1 was evicted
		{streamRead{stream: "claim-a", from: 7}, true},                         // past its end: empty
		{streamRead{stream: "claim-a", limit: 1, backward: true}, true},        // the last one is there
		{streamRead{stream: "claim-a", limit: 2, backward: true}, false},       // the one before is not
		{streamRead{stream: "claim-b", limit: 9, backward: true}, true},        // all of it, from version 0
		{streamRead{stream: "claim-unknown"}, false},                           // never seen
		{streamRead{stream: "claim-unknown", limit: 1, backward: true}, false}, // never seen
	} {
		if got := served(s, c.q); got != c.want {
			t.Errorf("tail answers %+v: %v, want %v", c.q, got, c.want)
		}
	}
	agree(t, s, sqlView(t, dir), []string{"claim-a", "claim-b"})

	big := newEvent(7)
	big.Data = []byte(`{"note":"` + strings.Repeat("x", 3000) + `"}`)
	b := openStore(t, t.TempDir(), withTail(100, 4096))
	for i := range 5 {
		mustAppend(t, b, fmt.Sprintf("claim-%d", i), eventstore.NoStream, big)
	}
	if b.tail.bytes > 4096 || b.tail.end-b.tail.start != 1 {
		t.Errorf("a 4 KiB tail of 3 KB events holds %d events, %d bytes; want the last one alone", b.tail.end-b.tail.start, b.tail.bytes)
	}
}

// TestTailSeesAnotherStoresCommits: a second Store on the same directory
// (a second process alike) commits; the first store's reads must show it
// at once, through SQLite, for the log, the head, a stream the first
// store holds in its tail and a stream whose end it had learned.
func TestTailSeesAnotherStoresCommits(t *testing.T) {
	dir := t.TempDir()
	ctx := context.Background()
	mustAppend(t, openStore(t, dir), "policy-p", eventstore.NoStream, newEvent(0))
	a := openStore(t, dir)
	b := openStore(t, dir)
	mustAppend(t, a, "claim-1", eventstore.NoStream, newEvent(1), newEvent(2))
	// policy-p is not in a's tail, but this read, from SQLite, teaches
	// the tail where it ends.
	if evs, err := a.ReadStream(ctx, "policy-p", 1, 0); err != nil || len(evs) != 0 {
		t.Fatalf("policy-p from version 1: %d events, %v", len(evs), err)
	}
	for _, q := range []streamRead{{stream: "claim-1"}, {stream: "policy-p", from: 1}} {
		if !served(a, q) {
			t.Fatalf("before the other store commits, the tail does not answer %+v", q)
		}
	}

	mustAppend(t, b, "claim-1", eventstore.Exact(1), newEvent(3))
	mustAppend(t, b, "policy-p", eventstore.Exact(0), newEvent(4))
	mustAppend(t, b, "claim-2", eventstore.NoStream, newEvent(5))
	for _, q := range []streamRead{{stream: "claim-1"}, {stream: "policy-p", from: 1}} {
		if served(a, q) {
			t.Errorf("after another store committed, the tail still answers %+v", q)
		}
	}
	if _, ok := a.tail.readAll(nil, 3, 0); ok {
		t.Error("after another store committed, the tail still answers ReadAll")
	}
	sql := sqlView(t, dir)
	streams := []string{"claim-1", "claim-2", "policy-p"}
	agree(t, a, sql, streams)

	// The other writer may also change rows it did not append (an
	// auditor's sqlite3 shell could); the first store's next commit
	// notices and starts its tail afresh from its own commit, rather than
	// go on from what it remembers.
	if err := execSQL(b.w.c, `UPDATE events SET data = '{"edited":true}' WHERE position = 3`); err != nil {
		t.Fatal(err)
	}
	agree(t, a, sql, streams)
	mustAppend(t, a, "claim-1", eventstore.Exact(2), newEvent(6))
	agree(t, a, sql, streams)
	if !served(a, streamRead{stream: "claim-1", from: 3}) {
		t.Error("after its own next commit the tail answers nothing")
	}
}

// TestTailAfterAnotherStoresEdit: another writer changes a row the tail
// holds and appends nothing; reads go to SQLite at once, and the first
// store's next commit, although it follows on from the tail's last
// position, starts the tail afresh instead of serving the old row.
func TestTailAfterAnotherStoresEdit(t *testing.T) {
	dir := t.TempDir()
	a := openStore(t, dir)
	b := openStore(t, dir)
	mustAppend(t, a, "claim-1", eventstore.NoStream, newEvent(1), newEvent(2))
	if err := execSQL(b.w.c, `UPDATE events SET data = '{"edited":true}' WHERE position = 1`); err != nil {
		t.Fatal(err)
	}
	sql := sqlView(t, dir)
	agree(t, a, sql, []string{"claim-1"})
	mustAppend(t, a, "claim-1", eventstore.Exact(1), newEvent(3))
	agree(t, a, sql, []string{"claim-1"})
	evs, err := a.ReadStream(context.Background(), "claim-1", 0, 1)
	if err != nil || len(evs) != 1 || string(evs[0].Data) != `{"edited":true}` {
		t.Fatalf("claim-1 version 0 after the edit: %v, %v", evs, err)
	}
}

// TestTailCommitRightAfterOwn: another store commits in the instant
// between this store's COMMIT and its look at the wal-index header, so
// the header the writer sees is not its own commit's. The writer must
// notice (data_version) and not let the tail vouch for a log that ends
// later than it knows.
func TestTailCommitRightAfterOwn(t *testing.T) {
	dir := t.TempDir()
	a := openStore(t, dir)
	b := openStore(t, dir)
	var once sync.Once
	a.w.committed = func() {
		once.Do(func() { mustAppend(t, b, "claim-b", eventstore.NoStream, newEvent(2)) })
	}
	res := mustAppend(t, a, "claim-a", eventstore.NoStream, newEvent(1))
	evs, err := a.ReadAll(context.Background(), res.Position, 0)
	if err != nil || len(evs) != 1 || evs[0].Stream != "claim-b" {
		t.Fatalf("ReadAll after the own commit: %v, %v; want the other store's event", evs, err)
	}
	agree(t, a, sqlView(t, dir), []string{"claim-a", "claim-b"})
}

// TestTailKeepsNothingRolledBack: a batch SQLite refuses (the file may
// not grow) and a request refused for its expected version leave nothing
// in the tail; a later read neither sees them nor misses what committed.
func TestTailKeepsNothingRolledBack(t *testing.T) {
	dir := t.TempDir()
	s := openStore(t, dir)
	ctx := context.Background()
	mustAppend(t, s, "claim-1", eventstore.NoStream, newEvent(1))
	failForSpace(t, s, "claim-2")
	if _, err := s.Append(ctx, "claim-1", eventstore.NoStream, newEvent(3)); err == nil {
		t.Fatal("append expecting no stream to an existing stream succeeded")
	}
	if s.tail.end != 1 {
		t.Errorf("the tail ends at position %d after refused appends, want 1", s.tail.end)
	}
	if evs, ok, _ := s.tail.readStream(streamRead{stream: "claim-1"}); !ok || len(evs) != 1 {
		t.Errorf("the tail's claim-1: %d events (answered: %v), want the 1 committed", len(evs), ok)
	}
	agree(t, s, sqlView(t, dir), []string{"claim-1", "claim-2"})
	mustAppend(t, s, "claim-2", eventstore.NoStream, newEvent(4))
	agree(t, s, sqlView(t, dir), []string{"claim-1", "claim-2"})
}

// TestTailReadYourWrites: writers append to their own streams while
// others read; as soon as an append returns, its writer's ReadStream,
// ReadStreamBackward, ReadAll from before it and Head all include it. A
// small tail makes them cross its eviction boundary; run with -race.
func TestTailReadYourWrites(t *testing.T) {
	for name, opts := range map[string][]Option{"default": nil, "small": {withTail(16, 1<<20)}} {
		t.Run(name, func(t *testing.T) {
			s := openStore(t, t.TempDir(), opts...)
			ctx := context.Background()
			var wg sync.WaitGroup
			for w := range 6 {
				wg.Go(func() {
					stream := fmt.Sprintf("claim-%d", w)
					for v := range 25 {
						expected := eventstore.Exact(uint64(v - 1))
						if v == 0 {
							expected = eventstore.NoStream
						}
						res, err := s.Append(ctx, stream, expected, newEvent(v))
						if err != nil {
							t.Error(err)
							return
						}
						if err := readsInclude(ctx, s, stream, res); err != nil {
							t.Error(err)
							return
						}
					}
				})
			}
			wg.Wait()
			verifyLog(t, readLog(t, s))
		})
	}
}

// readsInclude checks that every kind of read shows the append res.
func readsInclude(ctx context.Context, s *Store, stream string, res eventstore.AppendResult) error {
	evs, err := s.ReadStream(ctx, stream, 0, 0)
	if err != nil || uint64(len(evs)) != res.LastVersion+1 || evs[len(evs)-1].Position != res.Position {
		return fmt.Errorf("ReadStream(%s) after an append at %+v: %d events, %v", stream, res, len(evs), err)
	}
	if evs, err = s.ReadStream(ctx, stream, res.LastVersion, 0); err != nil || len(evs) != 1 {
		return fmt.Errorf("ReadStream(%s, %d): %d events, %v", stream, res.LastVersion, len(evs), err)
	}
	if evs, err = s.ReadStreamBackward(ctx, stream, 1); err != nil || len(evs) != 1 || evs[0].Position != res.Position {
		return fmt.Errorf("ReadStreamBackward(%s, 1) after an append at %+v: %v, %v", stream, res, evs, err)
	}
	if evs, err = s.ReadAll(ctx, res.Position-1, 1); err != nil || len(evs) != 1 || evs[0].Position != res.Position {
		return fmt.Errorf("ReadAll(%d, 1): %v, %v", res.Position-1, evs, err)
	}
	if h, err := s.Head(ctx); err != nil || h < res.Position {
		return fmt.Errorf("Head %d, %v after an append at %d", h, err, res.Position)
	}
	return nil
}

// TestTailAfterReopen: a reopened store's tail starts empty and is not
// used until its writer commits; what the store read before Close is not
// carried over, and every read agrees with SQLite.
func TestTailAfterReopen(t *testing.T) {
	dir := t.TempDir()
	s := openStore(t, dir)
	mustAppend(t, s, "claim-1", eventstore.NoStream, newEvent(1))
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	r := openStore(t, dir)
	if r.tail.valid || r.tail.end != 0 {
		t.Fatalf("a reopened store's tail: valid %v, end %d; want empty and unused", r.tail.valid, r.tail.end)
	}
	sql := sqlView(t, dir)
	agree(t, r, sql, []string{"claim-1"})
	mustAppend(t, r, "claim-1", eventstore.Exact(0), newEvent(2))
	if r.tail.start != 1 || r.tail.end != 2 {
		t.Errorf("after one commit the tail holds (%d, %d], want (1, 2]", r.tail.start, r.tail.end)
	}
	agree(t, r, sql, []string{"claim-1"})
}

// TestTailSeesAnotherProcesssCommits: another process appends to the
// ledger this store has open (TestReadOnlyWriterChild, to claim-0 to
// claim-4); every commit it acknowledges shows in this store's reads of
// the log, the head and a stream its tail held.
func TestTailSeesAnotherProcesssCommits(t *testing.T) {
	dir := t.TempDir()
	s := openStore(t, dir)
	ctx := context.Background()
	mine := mustAppend(t, s, "claim-0", eventstore.NoStream, newEvent(0))
	if !served(s, streamRead{stream: "claim-0", from: 1}) {
		t.Fatal("before the other process starts, the tail does not answer")
	}
	next := startWriterChild(t, dir)
	for range 5 {
		acked := next()
		log, err := s.ReadAll(ctx, mine.Position, 0)
		if err != nil || len(log) < acked {
			t.Fatalf("ReadAll after our append: %d events, %v; the other process acknowledged %d", len(log), err, acked)
		}
		if h, err := s.Head(ctx); err != nil || h < mine.Position+uint64(acked) {
			t.Fatalf("Head %d, %v; want at least %d", h, err, mine.Position+uint64(acked))
		}
		// The other process's first append went to claim-0.
		if evs, err := s.ReadStream(ctx, "claim-0", 1, 0); err != nil || len(evs) < 2 {
			t.Fatalf("claim-0 from version 1: %d events, %v; the other process appended 2", len(evs), err)
		}
	}
	mustAppend(t, s, "claim-9", eventstore.NoStream, newEvent(9))
	verifyLog(t, readLog(t, s))
}

// TestTailLearnsOnlyFromItsOwnState: what a read from SQLite shows about
// where a stream ends is recorded only if no commit came between the
// read's start and the recording. Here a read that began before the store
// appended to policy-p reports it ended at version 1; recorded, that
// would hide the new event once it left the ring.
func TestTailLearnsOnlyFromItsOwnState(t *testing.T) {
	dir := t.TempDir()
	mustAppend(t, openStore(t, dir), "policy-p", eventstore.NoStream, newEvent(0))
	s := openStore(t, dir, withTail(1, 1<<20))
	mustAppend(t, s, "claim-1", eventstore.NoStream, newEvent(1))
	q := streamRead{stream: "policy-p", from: 1}
	_, _, seen := s.tail.readStream(q)
	if !seen.current {
		t.Fatal("the tail is not in use after a commit")
	}
	mustAppend(t, s, "policy-p", eventstore.Exact(0), newEvent(2))
	mustAppend(t, s, "claim-1", eventstore.Exact(0), newEvent(3)) // pushes policy-p out of the ring
	s.tail.learn(q, nil, seen)
	evs, err := s.ReadStream(context.Background(), "policy-p", 1, 0)
	if err != nil || len(evs) != 1 {
		t.Fatalf("policy-p from version 1: %d events, %v; want the 1 appended", len(evs), err)
	}
	agree(t, s, sqlView(t, dir), []string{"policy-p", "claim-1"})
}

// TestTailLearnsNothingFromAnEmptyRequest: a backward read of no events
// answers empty whatever the stream holds, so the tail must not take it
// for the stream's end; forward reads past the tail then still go to
// SQLite.
func TestTailLearnsNothingFromAnEmptyRequest(t *testing.T) {
	dir := t.TempDir()
	mustAppend(t, openStore(t, dir), "policy-p", eventstore.NoStream, newEvent(0), newEvent(1))
	s := openStore(t, dir, withTail(1, 1<<20))
	mustAppend(t, s, "claim-1", eventstore.NoStream, newEvent(2))
	empty := streamRead{stream: "policy-p", backward: true}
	_, _, seen := s.tail.readStream(empty)
	s.tail.learn(empty, nil, seen)
	evs, err := s.ReadStream(context.Background(), "policy-p", 0, 0)
	if err != nil || len(evs) != 2 {
		t.Fatalf("policy-p after an empty backward read: %d events, %v; want its 2", len(evs), err)
	}
}
