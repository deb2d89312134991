package ledger

import (
	"encoding/json"
	"fmt"

	"github.com/google/uuid"

	"github.com/haixi-hrss/fundledger/domain"
	"github.com/haixi-hrss/fundledger/eventstore"
)

// The ledger's own records live in streams of their own ("idem-…",
// "uniq-…") beside the aggregates' events. They are written at schema
// version 1 without the service's codec, so a service works whatever
// registries its codec was built from; readers of the global log that want
// to decode them add Records() to their codec.
const recordVersion = 1

// IdempotencyKeyClaimed binds an idempotency key to the first command that
// used it; it is version 0 of the key's stream.
type IdempotencyKeyClaimed struct {
	// CommandID is the first command's ID; its events' IDs derive from it.
	CommandID uuid.UUID `json:"commandId"`
	// Stream is the aggregate stream the command targeted.
	Stream string `json:"stream"`
	// Fingerprint is the command's Fingerprint.
	Fingerprint string `json:"fingerprint"`
}

// EventType implements domain.Event.
func (IdempotencyKeyClaimed) EventType() string { return "IdempotencyKeyClaimed" }

// IdempotencyKeyCompleted records the result of the command that claimed
// the key, as version 1 of the key's stream. The ledger no longer writes
// it (the claim's command ID determines the result, see Handle) but still
// reads it from logs written before.
type IdempotencyKeyCompleted struct {
	Stream       string      `json:"stream"`
	FirstVersion uint64      `json:"firstVersion"`
	LastVersion  uint64      `json:"lastVersion"`
	Position     uint64      `json:"position"`
	EventIDs     []uuid.UUID `json:"eventIds"`
}

// EventType implements domain.Event.
func (IdempotencyKeyCompleted) EventType() string { return "IdempotencyKeyCompleted" }

// UniqueKeyReserved records that Owner holds a uniqueness key.
type UniqueKeyReserved struct {
	Owner string `json:"owner"`
}

// EventType implements domain.Event.
func (UniqueKeyReserved) EventType() string { return "UniqueKeyReserved" }

// UniqueKeyReleased records that Owner gave a uniqueness key up, e.g.
// because its claim was rejected or cancelled.
type UniqueKeyReleased struct {
	Owner  string `json:"owner"`
	Reason string `json:"reason,omitempty"`
}

// EventType implements domain.Event.
func (UniqueKeyReleased) EventType() string { return "UniqueKeyReleased" }

// Records is the registry of the ledger's own record types, for
// codec.Types.
func Records() map[string]func() domain.Event {
	return map[string]func() domain.Event{
		"IdempotencyKeyClaimed":   func() domain.Event { return IdempotencyKeyClaimed{} },
		"IdempotencyKeyCompleted": func() domain.Event { return IdempotencyKeyCompleted{} },
		"UniqueKeyReserved":       func() domain.Event { return UniqueKeyReserved{} },
		"UniqueKeyReleased":       func() domain.Event { return UniqueKeyReleased{} },
	}
}

// record builds the append request of one ledger record.
func record(id uuid.UUID, rec domain.Event, meta eventstore.Metadata) (eventstore.EventData, error) {
	data, err := json.Marshal(rec)
	if err != nil {
		return eventstore.EventData{}, fmt.Errorf("ledger: encode %s: %w", rec.EventType(), err)
	}
	return eventstore.EventData{ID: id, Type: rec.EventType(), SchemaVersion: recordVersion, Data: data, Metadata: meta}, nil
}

// decodeRecord decodes a stored ledger record of type T.
func decodeRecord[T domain.Event](ev *eventstore.Event) (T, error) {
	var rec T
	if ev.Type != rec.EventType() || ev.SchemaVersion != recordVersion {
		return rec, fmt.Errorf("ledger: %s version %d: expected %s v%d, found %s v%d",
			ev.Stream, ev.Version, rec.EventType(), recordVersion, ev.Type, ev.SchemaVersion)
	}
	if err := json.Unmarshal(ev.Data, &rec); err != nil {
		return rec, fmt.Errorf("ledger: %s version %d: %w", ev.Stream, ev.Version, err)
	}
	return rec, nil
}
