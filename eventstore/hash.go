package eventstore

import (
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"sync"
	"time"
)

// Hash is a SHA-256 digest in the per-stream hash chain.
type Hash [sha256.Size]byte

// String returns the hash in lower-case hex.
func (h Hash) String() string { return hex.EncodeToString(h[:]) }

// IsZero reports whether h is the genesis hash (32 zero bytes).
func (h Hash) IsZero() bool { return h == Hash{} }

// ParseHash parses a 64-character hex string.
func ParseHash(s string) (Hash, error) {
	var h Hash
	b, err := hex.DecodeString(s)
	if err != nil || len(b) != len(h) {
		return h, fmt.Errorf("eventstore: hash %q is not 64 hex characters", s)
	}
	copy(h[:], b)
	return h, nil
}

// canonicalTag starts every canonical encoding. Changing the layout below
// means a new tag, never a silent change: old events must keep verifying.
const canonicalTag = "fundledger/event/v1"

// Canonical returns the bytes the hash chain covers for e: every envelope
// field except the global position (a backend assigns it after the hash is
// fixed, and KurrentDB cannot know it in advance) and the hashes themselves.
//
// Layout, in this order; "str" is a uint32 big-endian byte length followed by
// the bytes, integers are big-endian:
//
//	str  "fundledger/event/v1"
//	[16] event ID
//	str  stream
//	u64  version
//	str  type
//	u32  schema version
//	str  data
//	str  actor, role, correlation ID, causation ID, idempotency key,
//	     effective date, policy version
//	i64  recorded-at, microseconds since the Unix epoch (UTC)
func Canonical(e *Event) []byte {
	return appendCanonical(make([]byte, 0, canonicalSize(e)), e)
}

// appendCanonical appends Canonical(e) to b and returns the extended slice,
// so a caller hashing many events can reuse one buffer.
func appendCanonical(b []byte, e *Event) []byte {
	m := &e.Metadata
	b = appendStr(b, canonicalTag)
	b = append(b, e.ID[:]...)
	b = appendStr(b, e.Stream)
	b = binary.BigEndian.AppendUint64(b, e.Version)
	b = appendStr(b, e.Type)
	b = binary.BigEndian.AppendUint32(b, uint32(e.SchemaVersion))
	b = binary.BigEndian.AppendUint32(b, uint32(len(e.Data)))
	b = append(b, e.Data...)
	for _, s := range [...]string{m.Actor, m.Role, m.CorrelationID, m.CausationID,
		m.IdempotencyKey, m.EffectiveDate, m.PolicyVersion} {
		b = appendStr(b, s)
	}
	return binary.BigEndian.AppendUint64(b, uint64(e.RecordedAt.UnixMicro()))
}

// canonicalSize is len(Canonical(e)).
func canonicalSize(e *Event) int {
	m := &e.Metadata
	return 16 + 8 + 4 + 8 + 4*10 + len(canonicalTag) + len(e.Stream) + len(e.Type) + len(e.Data) +
		len(m.Actor) + len(m.Role) + len(m.CorrelationID) + len(m.CausationID) +
		len(m.IdempotencyKey) + len(m.EffectiveDate) + len(m.PolicyVersion)
}

func appendStr(b []byte, s string) []byte {
	b = binary.BigEndian.AppendUint32(b, uint32(len(s)))
	return append(b, s...)
}

// ComputeHash returns SHA-256(prev ‖ Canonical(e)). Writers and verifiers
// both call it, so the two can never disagree about the layout. It hashes
// in a pooled buffer: the writer and verify call it once per event, and a
// fresh buffer and digest per call were most of its garbage.
func ComputeHash(prev Hash, e *Event) Hash {
	buf := hashBuffers.Get().(*[]byte)
	b := append((*buf)[:0], prev[:]...)
	b = appendCanonical(b, e)
	out := Hash(sha256.Sum256(b))
	if cap(b) <= maxPooledHashBuffer {
		*buf = b
		hashBuffers.Put(buf)
	}
	return out
}

// hashBuffers holds ComputeHash's buffers.
var hashBuffers = sync.Pool{New: func() any { b := make([]byte, 0, 2048); return &b }}

// maxPooledHashBuffer keeps a rare large event's buffer out of the pool.
const maxPooledHashBuffer = 64 << 10

// Seal sets e.PrevHash to prev and e.Hash to the chained hash. Backends call
// it when they commit an event; prev is the hash of the stream's previous
// event or the zero Hash.
func Seal(e *Event, prev Hash) {
	e.PrevHash = prev
	e.Hash = ComputeHash(prev, e)
}

// TruncateTime returns t in UTC at the microsecond precision the hash covers,
// so a recorded-at read back from any backend equals the one that was hashed.
func TruncateTime(t time.Time) time.Time { return t.UTC().Truncate(time.Microsecond) }
