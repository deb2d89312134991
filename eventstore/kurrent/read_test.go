package kurrent

import (
	"context"
	"strings"
	"testing"

	"github.com/haixi-hrss/fundledger/eventstore"
)

// TestSystemEventsNeverReachTheLedger mixes the server's own events (system
// streams, system event types in ordinary streams) into the log and checks
// that ReadAll and Subscribe show only ledger events, in order. Pages are
// small so that some pages hold nothing but system events.
func TestSystemEventsNeverReachTheLedger(t *testing.T) {
	f := startFakeServer(t)
	s := openFake(t, f, WithReadPage(2))
	mustAppend(t, s, "fund-1", eventstore.NoStream, events(2)...)
	f.appendSystemEvent("$stats-127.0.0.1:2113", "$statsCollected")
	f.appendSystemEvent("$$fund-1", "$metadata")
	f.appendSystemEvent("fund-1-links", "$>")
	f.appendSystemEvent("$scavenges", "$scavengeStarted")
	mustAppend(t, s, "fund-2", eventstore.NoStream, events(1)...)
	f.appendSystemEvent("$settings", "$settings")

	check := func(what string, got []eventstore.Event) {
		t.Helper()
		if len(got) != 3 {
			t.Fatalf("%s: %d events, want the 3 ledger events", what, len(got))
		}
		for i, e := range got {
			if strings.HasPrefix(e.Stream, "$") || strings.HasPrefix(e.Type, "$") || strings.HasSuffix(e.Stream, "-links") {
				t.Fatalf("%s: event %d is a system event: %s %s", what, i, e.Stream, e.Type)
			}
			if i > 0 && e.Position <= got[i-1].Position {
				t.Fatalf("%s: positions out of order at %d", what, i)
			}
		}
	}
	all, err := s.ReadAll(context.Background(), 0, 0)
	if err != nil {
		t.Fatal(err)
	}
	check("ReadAll", all)
	page, err := s.ReadAll(context.Background(), all[1].Position, 5)
	if err != nil || len(page) != 1 || page[0].ID != all[2].ID {
		t.Fatalf("ReadAll after the 2nd ledger event, across system events: %v %v", page, err)
	}
	check("Subscribe", collect(t, context.Background(), s, 0, 3))
}

// TestReadAllAfterNonBoundaryPosition checks positions the server rejects
// (not the start of a record, e.g. Position-1 of an append result): the
// adapter finds the record boundary and reads on, with "after" exclusive.
func TestReadAllAfterNonBoundaryPosition(t *testing.T) {
	f := startFakeServer(t)
	s := openFake(t, f)
	mustAppend(t, s, "fund-1", eventstore.NoStream, events(1)...)
	res := mustAppend(t, s, "fund-1", eventstore.Exact(0), events(2)...)
	got, err := s.ReadAll(context.Background(), res.Position-1, 10)
	if err != nil {
		t.Fatalf("ReadAll(Position-1): %v", err)
	}
	if len(got) != 1 || got[0].Position != res.Position {
		t.Fatalf("ReadAll(Position-1) = %d events, want only the last appended", len(got))
	}
	sub := collect(t, context.Background(), s, res.Position-1, 1)
	if sub[0].Position != res.Position {
		t.Fatalf("Subscribe(Position-1) starts at %d, want %d", sub[0].Position, res.Position)
	}
	if got, err := s.ReadAll(context.Background(), res.Position, 10); err != nil || len(got) != 0 {
		t.Fatalf("ReadAll(after the last position) = %v, %v; want nothing", got, err)
	}
}

// TestReadPaging checks reads longer than one request, forwards, backwards
// and on the global log.
func TestReadPaging(t *testing.T) {
	f := startFakeServer(t)
	s := openFake(t, f, WithReadPage(3))
	for range 4 {
		mustAppend(t, s, "fund-1", eventstore.Any, events(2)...)
	}
	fwd := mustReadStream(t, s, "fund-1")
	if len(fwd) != 8 {
		t.Fatalf("ReadStream: %d events, want 8", len(fwd))
	}
	checkChain(t, fwd)
	part, err := s.ReadStream(context.Background(), "fund-1", 2, 4)
	if err != nil || len(part) != 4 || part[0].Version != 2 || part[3].Version != 5 {
		t.Fatalf("ReadStream(from 2, limit 4): %v %v", part, err)
	}
	back, err := s.ReadStreamBackward(context.Background(), "fund-1", 7)
	if err != nil || len(back) != 7 {
		t.Fatalf("ReadStreamBackward(7): %d events, %v", len(back), err)
	}
	for i, e := range back {
		if e.Version != uint64(7-i) {
			t.Fatalf("backward event %d has version %d, want %d", i, e.Version, 7-i)
		}
	}
	all, err := s.ReadAll(context.Background(), 0, 7)
	if err != nil || len(all) != 7 {
		t.Fatalf("ReadAll(limit 7): %d events, %v", len(all), err)
	}
	if missing, err := s.ReadStream(context.Background(), "fund-none", 0, 0); err != nil || len(missing) != 0 {
		t.Fatalf("missing stream: %v %v", missing, err)
	}
}

// TestStreamPrefixIsolatesLedgers checks that two stores with different
// prefixes on one server see only their own streams in every read.
func TestStreamPrefixIsolatesLedgers(t *testing.T) {
	f := startFakeServer(t)
	a, b := openFake(t, f, WithStreamPrefix("a.")), openFake(t, f, WithStreamPrefix("b."))
	mustAppend(t, b, "fund-1", eventstore.NoStream, events(1)...)
	mustAppend(t, a, "fund-1", eventstore.NoStream, events(2)...)
	if got := mustReadStream(t, a, "fund-1"); len(got) != 2 || got[0].Stream != "fund-1" {
		t.Fatalf("a's stream: %v", got)
	}
	checkChain(t, mustReadStream(t, b, "fund-1"))
	allB, err := b.ReadAll(context.Background(), 0, 0)
	if err != nil || len(allB) != 1 {
		t.Fatalf("b's global log: %d events, %v", len(allB), err)
	}
	// b's event comes first in $all; a's subscription must skip it.
	own := mustReadStream(t, a, "fund-1")
	if sub := collect(t, context.Background(), a, 0, 2); sub[0].ID != own[0].ID || sub[1].ID != own[1].ID {
		t.Fatalf("a's subscription: %v, want a's own events %v", sub, own)
	}
	f.log.mu.Lock()
	_, stored := f.log.streams["a.fund-1"]
	f.log.mu.Unlock()
	if !stored {
		t.Fatal(`the server has no stream "a.fund-1"`)
	}
}
