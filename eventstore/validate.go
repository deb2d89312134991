package eventstore

import (
	"encoding/json"
	"errors"
	"strings"

	"github.com/google/uuid"
)

// ValidateAppend checks an append request against the rules every backend
// shares, before anything is written.
func ValidateAppend(stream string, events []EventData) error {
	if err := ValidateStreamName(stream); err != nil {
		return &InvalidAppendError{Stream: stream, Index: -1, Field: "stream", Err: err}
	}
	if len(events) == 0 {
		return &InvalidAppendError{Stream: stream, Index: -1, Field: "events", Err: errors.New("at least one event is required")}
	}
	total := 0
	for i := range events {
		e := &events[i]
		bad := func(field, rule string) error {
			return &InvalidAppendError{Stream: stream, Index: i, Field: field, Err: errors.New(rule)}
		}
		switch {
		case e.ID == uuid.Nil:
			return bad("id", "must be a non-nil UUID")
		case e.Type == "" || strings.HasPrefix(e.Type, "$"):
			return bad("type", "must be non-empty and must not start with '$'")
		case e.SchemaVersion < 1:
			return bad("schemaVersion", "must be at least 1")
		case !json.Valid(e.Data):
			return bad("data", "must be valid JSON")
		}
		if total += AppendSize(e); total > MaxAppendSize {
			return &InvalidAppendError{Stream: stream, Index: i, Field: "data", Err: ErrAppendTooLarge}
		}
	}
	return nil
}

// ValidateAppendMulti checks an AppendMulti request: at least one part,
// each part valid as ValidateAppend says, and no stream named twice (one
// stream's events go in one part, in order).
func ValidateAppendMulti(parts []StreamAppend) error {
	if len(parts) == 0 {
		return &InvalidAppendError{Index: -1, Field: "parts", Err: errors.New("at least one part is required")}
	}
	seen := make(map[string]struct{}, len(parts))
	for _, p := range parts {
		if err := ValidateAppend(p.Stream, p.Events); err != nil {
			return err
		}
		if _, dup := seen[p.Stream]; dup {
			return &InvalidAppendError{Stream: p.Stream, Index: -1, Field: "stream",
				Err: errors.New("must not be named by two parts of one append")}
		}
		seen[p.Stream] = struct{}{}
	}
	return nil
}

// ValidateStreamName rejects names the ledger must never use: empty ones,
// system names starting with '$' (KurrentDB reserves them), and names too
// long to index.
func ValidateStreamName(stream string) error {
	switch {
	case stream == "":
		return errors.New("must not be empty")
	case strings.HasPrefix(stream, "$"):
		return errors.New("must not start with '$' (reserved for system streams)")
	case len(stream) > 256:
		return errors.New("must be at most 256 bytes")
	}
	return nil
}

// AppendSize is the size an event counts towards MaxAppendSize: its type,
// data and metadata values plus EnvelopeOverhead.
func AppendSize(e *EventData) int {
	m := &e.Metadata
	return EnvelopeOverhead + len(e.Type) + len(e.Data) + len(m.Actor) + len(m.Role) + len(m.CorrelationID) + len(m.CausationID) +
		len(m.IdempotencyKey) + len(m.EffectiveDate) + len(m.PolicyVersion)
}
