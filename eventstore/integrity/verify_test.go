package integrity_test

import (
	"context"
	"errors"
	"slices"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/haixi-hrss/fundledger/eventstore"
	"github.com/haixi-hrss/fundledger/eventstore/integrity"
)

// fiveEvents is a small log over three streams:
//
//	index  position  stream     version
//	0      10        fund-1     0
//	1      20        budget-1   0
//	2      30        fund-1     1
//	3      40        claim-1    0
//	4      50        fund-1     2
func fiveEvents() *memLog {
	return sealed(
		spec{"fund-1", `{"opened":true}`},
		spec{"budget-1", `{"amount":"100.00"}`},
		spec{"fund-1", `{"received":"500.00"}`},
		spec{"claim-1", `{"amount":"1500.00"}`},
		spec{"fund-1", `{"allocated":"100.00"}`},
	)
}

func TestVerifyIntactLog(t *testing.T) {
	log := fiveEvents()
	rep, err := integrity.Verify(context.Background(), log, integrity.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if rep.Streams != 3 || rep.Events != 5 || rep.LastPosition != 50 || rep.Digest.Position != 50 {
		t.Fatalf("report = %+v, want 3 streams, 5 events, last position 50", rep)
	}
	if !rep.LastRecordedAt.Equal(log.events[4].RecordedAt) {
		t.Fatalf("LastRecordedAt = %v", rep.LastRecordedAt)
	}
	want, err := integrity.Root([]integrity.Head{
		{Stream: "fund-1", Version: 2, Hash: log.events[4].Hash},
		{Stream: "budget-1", Version: 0, Hash: log.events[1].Hash},
		{Stream: "claim-1", Version: 0, Hash: log.events[3].Hash},
	})
	if err != nil {
		t.Fatal(err)
	}
	if rep.Digest.Root != want {
		t.Fatalf("digest root = %s, want the root of the three heads %s", rep.Digest.Root, want)
	}
}

func TestVerifyEmptyLog(t *testing.T) {
	rep, err := integrity.Verify(context.Background(), &memLog{}, integrity.Options{})
	if err != nil {
		t.Fatal(err)
	}
	empty, _ := integrity.Root(nil)
	if rep.Events != 0 || rep.Streams != 0 || rep.Digest != (integrity.Digest{Root: empty}) {
		t.Fatalf("report = %+v", rep)
	}
}

// The golden hashes and digests were computed outside Go (Python hashlib +
// struct) from the layout documented on eventstore.Canonical and
// integrity.LeafHash, so this checks both against their documentation.
func TestVerifyGoldenDigest(t *testing.T) {
	base := time.Date(2025, 1, 2, 3, 4, 5, 123456000, time.UTC)
	admin := eventstore.Metadata{Actor: "admin", Role: "administrator"}
	dated := admin
	dated.EffectiveDate = "2025-01-02"
	events := []eventstore.Event{
		{ID: uuid.MustParse("00000000-0000-0000-0000-000000000001"), Stream: "fund-haixi", Version: 0, Position: 1,
			Type: "FundOpened", SchemaVersion: 1, Data: []byte(`{"name":"employment subsidy"}`), Metadata: admin, RecordedAt: base},
		{ID: uuid.MustParse("00000000-0000-0000-0000-000000000002"), Stream: "budget-632801", Version: 0, Position: 2,
			Type: "BudgetAllocated", SchemaVersion: 1, Data: []byte(`{"amount":"1000.00"}`), Metadata: admin, RecordedAt: base.Add(time.Second)},
		{ID: uuid.MustParse("00000000-0000-0000-0000-000000000003"), Stream: "fund-haixi", Version: 1, Position: 5,
			Type: "FundsReceived", SchemaVersion: 1, Data: []byte(`{"amount":"5000.00"}`), Metadata: dated, RecordedAt: base.Add(2 * time.Second)},
	}
	eventstore.Seal(&events[0], eventstore.Hash{})
	eventstore.Seal(&events[1], eventstore.Hash{})
	eventstore.Seal(&events[2], events[0].Hash)
	for i, want := range []string{
		"a4d5fa30546a34eefa20ee31dd51fab9bad367d31f228ffcba48eec1f95f1d0a",
		"1c0309edb4c8d1f57e3130e7bfaf90e708879e266801c5ee2655a4a035dfab74",
		"e32cd4775d8a287c8193fed06c16d5e06cbc2e93a0063d2ac336a078f2422b47",
	} {
		if got := events[i].Hash.String(); got != want {
			t.Fatalf("event %d hash = %s, want %s", i, got, want)
		}
	}
	log := &memLog{events: events}
	ctx := context.Background()
	for _, tt := range []struct {
		through uint64
		want    string
	}{
		{2, "2:100131e6dff69ef6546a1a9a12fab1eb526f7353d2512e8b92c64c57b9179083"},
		{4, "2:100131e6dff69ef6546a1a9a12fab1eb526f7353d2512e8b92c64c57b9179083"}, // no event at 3 or 4
		{5, "5:cbbb8a27be84b15a6d897b31b1f8b0daee3543607a5259c3739c0b2973f0b237"},
	} {
		d, err := integrity.DigestAt(ctx, log, tt.through)
		if err != nil {
			t.Fatal(err)
		}
		if d.String() != tt.want {
			t.Errorf("DigestAt(%d) = %s, want %s", tt.through, d, tt.want)
		}
	}
}

func TestVerifyFindsFirstBrokenEvent(t *testing.T) {
	tests := []struct {
		name   string
		tamper func(m *memLog)
		reason integrity.Reason
		index  int // of the event the error must name, in the tampered log
	}{
		{"data byte changed", func(m *memLog) { m.events[2].Data[3] ^= 0x01 }, integrity.HashMismatch, 2},
		{"actor changed", func(m *memLog) { m.events[3].Metadata.Actor = "clerk-8" }, integrity.HashMismatch, 3},
		{"policy version added", func(m *memLog) { m.events[1].Metadata.PolicyVersion = "2025-1" }, integrity.HashMismatch, 1},
		{"type changed", func(m *memLog) { m.events[0].Type = "Recorder" }, integrity.HashMismatch, 0},
		{"ID changed", func(m *memLog) { m.events[4].ID = uuid.New() }, integrity.HashMismatch, 4},
		{"recorded-at moved by 1µs", func(m *memLog) {
			m.events[1].RecordedAt = m.events[1].RecordedAt.Add(time.Microsecond)
		}, integrity.HashMismatch, 1},
		{"stored hash changed", func(m *memLog) { m.events[2].Hash[0] ^= 0x80 }, integrity.HashMismatch, 2},
		{"stored previous hash changed", func(m *memLog) { m.events[4].PrevHash[5] ^= 0x01 }, integrity.BrokenLink, 4},
		{"first event of a stream links to something", func(m *memLog) {
			m.events[3].PrevHash = m.events[1].Hash
		}, integrity.BrokenLink, 3},
		{"middle event of a stream deleted", func(m *memLog) {
			m.events = slices.Delete(m.events, 2, 3)
		}, integrity.VersionGap, 3}, // fund-1 version 2 now follows version 0
		{"event repeated", func(m *memLog) {
			dup := m.events[0]
			dup.Position = 15
			m.events = slices.Insert(m.events, 1, dup)
		}, integrity.VersionGap, 1},
		{"positions out of order", func(m *memLog) { m.events[3].Position = 25 }, integrity.PositionOrder, 3},
		{"position repeated", func(m *memLog) { m.events[3].Position = 30 }, integrity.PositionOrder, 3},
		{"first position zero", func(m *memLog) { m.events[0].Position = 0 }, integrity.PositionOrder, 0},
		{"recorded-at goes back (re-sealed)", func(m *memLog) {
			m.events[3].RecordedAt = m.events[2].RecordedAt.Add(-time.Millisecond)
			m.reseal(3)
		}, integrity.TimeOrder, 3},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			log := fiveEvents()
			tt.tamper(log)
			want := log.events[tt.index]
			for _, page := range []int{1, 2, 100} {
				rep, err := integrity.Verify(context.Background(), log, integrity.Options{PageSize: page})
				var broken *integrity.BrokenError
				if !errors.As(err, &broken) || !errors.Is(err, integrity.ErrBroken) {
					t.Fatalf("page %d: err = %v, want a *BrokenError", page, err)
				}
				if broken.Reason != tt.reason || broken.Stream != want.Stream || broken.Version != want.Version ||
					broken.Position != want.Position || broken.EventID != want.ID {
					t.Fatalf("page %d: got %v (reason %v), want %v at %s v%d p%d", page, broken, broken.Reason,
						tt.reason, want.Stream, want.Version, want.Position)
				}
				if rep.Events != uint64(tt.index) {
					t.Fatalf("page %d: report counts %d verified events before the broken one, want %d", page, rep.Events, tt.index)
				}
			}
		})
	}
}

func TestVerifyExpectedDigest(t *testing.T) {
	ctx := context.Background()
	recorded, err := integrity.DigestAt(ctx, fiveEvents(), 30)
	if err != nil {
		t.Fatal(err)
	}
	if recorded.Position != 30 {
		t.Fatalf("recorded digest position = %d, want 30", recorded.Position)
	}
	tests := []struct {
		name   string
		change func(m *memLog)
		match  bool
	}{
		{"untouched", func(*memLog) {}, true},
		{"events appended after the digest", func(m *memLog) {
			m.events = append(m.events, sealed(spec{"target-1", `{}`}).events[0])
			m.events[5].Position = 60
			m.events[5].RecordedAt = m.events[4].RecordedAt
			m.reseal(5)
		}, true},
		{"events after the digest deleted", func(m *memLog) { m.events = m.events[:3] }, true},
		{"last event before the digest deleted", func(m *memLog) { m.events = slices.Delete(m.events, 2, 3) }, false},
		{"a whole stream deleted", func(m *memLog) { m.events = slices.Delete(m.events, 1, 2) }, false},
		{"history rewritten and re-hashed", func(m *memLog) {
			m.events[1].Data = []byte(`{"amount":"900.00"}`)
			m.reseal(1)
		}, false},
		{"stream inserted before the digest", func(m *memLog) {
			extra := sealed(spec{"budget-2", `{}`}).events[0]
			extra.Position = 25
			extra.RecordedAt = m.events[1].RecordedAt
			m.events = slices.Insert(m.events, 2, extra)
			m.reseal(2)
		}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			log := fiveEvents()
			tt.change(log)
			rep, err := integrity.Verify(ctx, log, integrity.Options{Expect: &recorded, PageSize: 2})
			if tt.match {
				if err != nil || !rep.ExpectMatched {
					t.Fatalf("err = %v, matched = %v; want a match", err, rep.ExpectMatched)
				}
				return
			}
			var mismatch *integrity.DigestMismatchError
			if !errors.As(err, &mismatch) || !errors.Is(err, integrity.ErrDigestMismatch) {
				t.Fatalf("err = %v, want a *DigestMismatchError", err)
			}
			if mismatch.Expected != recorded || mismatch.Actual.Root == recorded.Root || rep.ExpectMatched {
				t.Fatalf("mismatch = %+v, matched = %v", mismatch, rep.ExpectMatched)
			}
		})
	}
}

func TestVerifyThroughStopsAtPosition(t *testing.T) {
	log := fiveEvents()
	rep, err := integrity.Verify(context.Background(), log, integrity.Options{Through: 35, PageSize: 2})
	if err != nil {
		t.Fatal(err)
	}
	if rep.Events != 3 || rep.Streams != 2 || rep.LastPosition != 30 {
		t.Fatalf("report = %+v, want 3 events over 2 streams up to position 30", rep)
	}
	// A break after Through is outside the verified prefix.
	log.events[4].Data[2] ^= 1
	if _, err := integrity.Verify(context.Background(), log, integrity.Options{Through: 40}); err != nil {
		t.Fatalf("prefix through 40 = %v, want intact", err)
	}
	if _, err := integrity.Verify(context.Background(), log, integrity.Options{}); !errors.Is(err, integrity.ErrBroken) {
		t.Fatalf("whole log = %v, want broken", err)
	}
	expect := integrity.Digest{Position: 40}
	if _, err := integrity.Verify(context.Background(), log, integrity.Options{Through: 30, Expect: &expect}); err == nil {
		t.Fatal("an expected digest beyond Through was accepted")
	}
}

func TestVerifyProgressAndPaging(t *testing.T) {
	log := fiveEvents()
	var seen []integrity.Progress
	rep, err := integrity.Verify(context.Background(), log, integrity.Options{
		PageSize: 2,
		Progress: func(p integrity.Progress) { seen = append(seen, p) },
	})
	if err != nil {
		t.Fatal(err)
	}
	want := []integrity.Progress{{Events: 2, Streams: 2, Position: 20}, {Events: 4, Streams: 3, Position: 40}, {Events: 5, Streams: 3, Position: 50}}
	if !slices.Equal(seen, want) {
		t.Fatalf("progress = %+v, want %+v", seen, want)
	}
	if log.reads != 4 { // three pages and the empty read that ends the log
		t.Fatalf("reads = %d, want 4", log.reads)
	}
	one, err := integrity.Verify(context.Background(), fiveEvents(), integrity.Options{PageSize: 1})
	if err != nil || one != rep {
		t.Fatalf("page size 1 gives %+v, %v; page size 2 gave %+v", one, err, rep)
	}
}

func TestVerifyReadErrors(t *testing.T) {
	readErr := errors.New("disk on fire")
	log := fiveEvents()
	log.err = readErr
	if _, err := integrity.Verify(context.Background(), log, integrity.Options{}); !errors.Is(err, readErr) {
		t.Fatalf("err = %v, want the read error wrapped", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := integrity.Verify(ctx, fiveEvents(), integrity.Options{}); !errors.Is(err, context.Canceled) {
		t.Fatalf("err = %v, want context.Canceled", err)
	}
	if _, err := integrity.DigestAt(context.Background(), fiveEvents(), 0); err == nil {
		t.Fatal("DigestAt(0) accepted")
	}
}

func TestReasonNames(t *testing.T) {
	names := map[string]bool{}
	for r := integrity.HashMismatch; r <= integrity.TimeOrder; r++ {
		names[r.String()] = true
	}
	if len(names) != 5 || names["reason(0)"] {
		t.Fatalf("reason names = %v, want five distinct names", names)
	}
}
