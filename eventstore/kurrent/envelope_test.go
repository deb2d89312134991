package kurrent

import (
	"bytes"
	"context"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/haixi-hrss/fundledger/eventstore"
)

// TestEnvelopeRoundTrip checks that every envelope field survives the trip
// through the client and the server, the same from ReadStream, ReadAll and
// Subscribe, and what the server actually holds: our event ID, type, JSON
// content type, the data byte for byte, and the rest as JSON metadata.
func TestEnvelopeRoundTrip(t *testing.T) {
	f := startFakeServer(t)
	at := time.Date(2026, 7, 1, 2, 3, 4, 567891234, time.UTC)
	s := openFake(t, f, WithClock(func() time.Time { return at }))
	in := eventstore.EventData{
		ID:            uuid.MustParse("0196c9d2-7b1e-7c3a-9a55-3f1b2c4d5e6f"),
		Type:          "ClaimApproved",
		SchemaVersion: 3,
		Data:          []byte(`{ "amount": "12000.00",  "note": "海西 \u00e9" }`), // odd spacing kept
		Metadata: eventstore.Metadata{
			Actor: "approver-7", Role: "approver", CorrelationID: "corr-1", CausationID: "cmd-2",
			IdempotencyKey: "idem-3", EffectiveDate: "2026-06-30", PolicyVersion: "skill-2026.1",
		},
	}
	mustAppend(t, s, "claim-1", eventstore.NoStream, events(1)...)
	res := mustAppend(t, s, "claim-1", eventstore.Exact(0), in)

	fromStream := mustReadStream(t, s, "claim-1")
	e := fromStream[1]
	want := eventstore.Event{
		ID: in.ID, Stream: "claim-1", Version: 1, Position: res.Position, Type: in.Type,
		SchemaVersion: 3, Data: in.Data, Metadata: in.Metadata,
		RecordedAt: at.Truncate(time.Microsecond), PrevHash: fromStream[0].Hash,
	}
	want.Hash = eventstore.ComputeHash(want.PrevHash, &want)
	if !reflect.DeepEqual(e, want) {
		t.Fatalf("read back\n%+v\nwant\n%+v", e, want)
	}
	if res.Position == 0 || res.FirstVersion != 1 || res.LastVersion != 1 {
		t.Fatalf("append result %+v", res)
	}

	all, err := s.ReadAll(context.Background(), 0, 0)
	if err != nil {
		t.Fatal(err)
	}
	if len(all) != 2 || !reflect.DeepEqual(all[1], want) {
		t.Fatalf("ReadAll: %+v, want the same event last", all)
	}
	if sub := collect(t, context.Background(), s, 0, 2); !reflect.DeepEqual(sub[1], want) {
		t.Fatalf("Subscribe: %+v, want %+v", sub[1], want)
	}

	meta, raw := rawMeta(t, f, "claim-1", 1)
	if raw.id != in.ID || raw.eventType != in.Type || raw.contentType != "application/json" || !bytes.Equal(raw.data, in.Data) {
		t.Fatalf("server holds id %s type %q content-type %q data %s", raw.id, raw.eventType, raw.contentType, raw.data)
	}
	wantMeta := map[string]any{
		"format": envelopeFormat, "schemaVersion": 3.0, "version": 1.0,
		"actor": "approver-7", "role": "approver", "correlationId": "corr-1", "causationId": "cmd-2",
		"idempotencyKey": "idem-3", "effectiveDate": "2026-06-30", "policyVersion": "skill-2026.1",
		"recordedAtMicros": float64(at.UnixMicro()), "prevHash": want.PrevHash.String(), "hash": want.Hash.String(),
	}
	if !reflect.DeepEqual(meta, wantMeta) {
		t.Fatalf("server metadata\n%v\nwant\n%v", meta, wantMeta)
	}
}

// TestForeignEventsAreErrors checks that an event in a ledger stream that
// this package did not write (no envelope, or an envelope whose version
// disagrees with the stream revision) is reported, not silently misread.
func TestForeignEventsAreErrors(t *testing.T) {
	f := startFakeServer(t)
	s := openFake(t, f)
	f.appendForeign("fund-x", "FundsReceived", []byte(`{}`), []byte(`{"actor":"someone"}`))
	if _, err := s.ReadStream(context.Background(), "fund-x", 0, 0); err == nil || !strings.Contains(err.Error(), "not a fundledger event") {
		t.Fatalf("ReadStream of a foreign event: %v, want a not-a-fundledger-event error", err)
	}

	mustAppend(t, s, "fund-y", eventstore.NoStream, events(1)...)
	_, raw := rawMeta(t, f, "fund-y", 0)
	f.appendForeign("fund-y", "FundsReceived", raw.data, raw.meta) // a copy: says version 0, is 1
	if _, err := s.ReadStream(context.Background(), "fund-y", 0, 0); err == nil || !strings.Contains(err.Error(), "carries version 0") {
		t.Fatalf("ReadStream of a copied event: %v, want a version mismatch error", err)
	}
	if _, err := s.ReadAll(context.Background(), 0, 0); err == nil {
		t.Fatal("ReadAll over foreign events: no error")
	}
}
