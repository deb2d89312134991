package eventstore_test

import (
	"bytes"
	"crypto/sha256"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/haixi-hrss/fundledger/eventstore"
)

// poolEvent is a typical ledger event with size bytes of data.
func poolEvent(size int, fill byte) eventstore.Event {
	return eventstore.Event{
		ID: uuid.MustParse("5b0f1c52-8f0e-4c4e-9a57-1f6f3d2f9e10"), Stream: "claim-EXP-2026-000123", Version: 3,
		Type: "ClaimSubmitted", SchemaVersion: 1, Data: bytes.Repeat([]byte{fill}, size),
		Metadata: eventstore.Metadata{Actor: "clerk-01", Role: "clerk", CorrelationID: "c-1", CausationID: "c-0",
			EffectiveDate: "2026-03-01", PolicyVersion: "EXP-2026-v1"},
		RecordedAt: time.Date(2026, 3, 1, 8, 0, 0, 123456000, time.UTC),
	}
}

// TestComputeHashReusesNoStaleBytes hashes events of growing and shrinking
// sizes in turn, so ComputeHash's pooled buffers are reused after longer
// and shorter contents and after one too large to pool, and compares each
// hash with SHA-256 over a fresh Canonical.
func TestComputeHashReusesNoStaleBytes(t *testing.T) {
	prev := eventstore.Hash{1, 2, 3}
	for round, size := range []int{500, 0, 100 << 10, 3, eventstore.MaxAppendSize, 2048, 1} {
		e := poolEvent(size, byte('a'+round))
		want := eventstore.Hash(sha256.Sum256(append(prev[:], eventstore.Canonical(&e)...)))
		for i := range 3 {
			if got := eventstore.ComputeHash(prev, &e); got != want {
				t.Fatalf("data of %d bytes, call %d: ComputeHash = %s, SHA-256(prev ‖ Canonical) = %s", size, i, got, want)
			}
		}
	}
}

// BenchmarkComputeHash is the hash of one ~500-byte event, which the
// writer computes for every append and verify for every stored event.
func BenchmarkComputeHash(b *testing.B) {
	e := poolEvent(500, 'x')
	b.ReportAllocs()
	for b.Loop() {
		eventstore.ComputeHash(eventstore.Hash{}, &e)
	}
}
