package eventstore

import (
	"time"

	"github.com/google/uuid"
)

// MaxAppendSize is the largest accepted size, in bytes, of one append
// request: the sum over its events of AppendSize. It matches KurrentDB's
// 1 MiB append limit, so whatever the embedded store accepts can always be
// moved to KurrentDB.
const MaxAppendSize = 1 << 20

// EnvelopeOverhead is what AppendSize counts for each event beyond its data
// and metadata values: room for the envelope's keys, IDs, hashes and
// framing when a backend encodes it (KurrentDB carries it as JSON).
const EnvelopeOverhead = 1024

// Metadata is the part of the envelope that says who recorded an event, why,
// and under which rules. It is covered by the hash chain.
type Metadata struct {
	// Actor is the principal that issued the command.
	Actor string `json:"actor,omitempty"`
	// Role is the role the actor acted in (clerk, approver, ...).
	Role string `json:"role,omitempty"`
	// CorrelationID groups every event caused by one user request.
	CorrelationID string `json:"correlationId,omitempty"`
	// CausationID is the ID of the command or event that caused this one.
	CausationID string `json:"causationId,omitempty"`
	// IdempotencyKey is the client's key for the command, if it sent one.
	IdempotencyKey string `json:"idempotencyKey,omitempty"`
	// EffectiveDate is the business date (YYYY-MM-DD, Asia/Shanghai) the
	// event takes effect on; it selects the policy version in force.
	EffectiveDate string `json:"effectiveDate,omitempty"`
	// PolicyVersion names the policy version a rule was applied under.
	PolicyVersion string `json:"policyVersion,omitempty"`
}

// EventData is an event proposed for appending. The store assigns the stream
// version, the global position, the recorded-at time and the hashes.
type EventData struct {
	// ID identifies the event. Callers derive it deterministically from the
	// command so a retried command produces recognisably the same event.
	ID uuid.UUID
	// Type is a past-tense name such as "ClaimSubmitted".
	Type string
	// SchemaVersion is the version of Data's schema for Type, starting at 1.
	SchemaVersion int
	// Data is the JSON payload, stored and returned byte for byte.
	Data []byte
	// Metadata is the envelope's metadata.
	Metadata Metadata
}

// Event is a committed event as read back from a store.
type Event struct {
	// ID is the event's ID as given by the appender.
	ID uuid.UUID
	// Stream is the name of the stream the event belongs to.
	Stream string
	// Version is the event's 0-based, gapless position within its stream.
	Version uint64
	// Position is the event's position in the global log. Positions strictly
	// increase in commit order but need not be dense (KurrentDB's are byte
	// offsets); the first position is always greater than zero.
	Position uint64
	// Type is the event type.
	Type string
	// SchemaVersion is the version of Data's schema for Type.
	SchemaVersion int
	// Data is the JSON payload exactly as appended.
	Data []byte
	// Metadata is the envelope's metadata.
	Metadata Metadata
	// RecordedAt is when the store committed the event, in UTC, with
	// microsecond precision. A backend never lets it decrease along the
	// global log, so "as of T" is always a prefix of the log.
	RecordedAt time.Time
	// PrevHash is the Hash of the previous event in the stream, or the zero
	// Hash for the stream's first event.
	PrevHash Hash
	// Hash chains this event to PrevHash; see ComputeHash.
	Hash Hash
}
