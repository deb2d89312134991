package kurrent

import (
	"encoding/json"
	"fmt"
	"math"
	"strings"
	"time"

	"github.com/EventStore/EventStore-Client-Go/v4/esdb"

	"github.com/haixi-hrss/fundledger/eventstore"
)

// envelopeFormat marks user metadata written by this package, so an event
// some other program put in the database is recognised as foreign rather
// than misread.
const envelopeFormat = "fundledger/kurrent/v1"

// envelope is the user metadata of every ledger event: the parts of
// eventstore.Event that KurrentDB's own fields do not carry. The stream
// version is repeated so that a mismatch with the stream revision (an event
// moved or copied by some tool) is caught on read.
type envelope struct {
	Format        string `json:"format"`
	SchemaVersion int    `json:"schemaVersion"`
	eventstore.Metadata
	RecordedAtMicros int64  `json:"recordedAtMicros"`
	Version          uint64 `json:"version"`
	PrevHash         string `json:"prevHash"`
	Hash             string `json:"hash"`
}

// toEventData converts a sealed event into what the client sends. The event
// ID is ours, so a resent append carries the same IDs as the first one.
func toEventData(e *eventstore.Event) (esdb.EventData, error) {
	meta, err := json.Marshal(envelope{
		Format:           envelopeFormat,
		SchemaVersion:    e.SchemaVersion,
		Metadata:         e.Metadata,
		RecordedAtMicros: e.RecordedAt.UnixMicro(),
		Version:          e.Version,
		PrevHash:         e.PrevHash.String(),
		Hash:             e.Hash.String(),
	})
	if err != nil {
		return esdb.EventData{}, fmt.Errorf("kurrent: encode envelope: %w", err)
	}
	return esdb.EventData{
		EventID:     e.ID,
		EventType:   e.Type,
		ContentType: esdb.ContentTypeJson,
		Data:        e.Data,
		Metadata:    meta,
	}, nil
}

// ledgerStream returns the ledger's name for the server's stream of r, and
// false if r is not part of the ledger: a system stream ($stats-…,
// $settings, $$metadata), a system event type ($metadata, $>,
// $streamDeleted), or a stream outside the store's prefix.
func (s *Store) ledgerStream(r *esdb.RecordedEvent) (string, bool) {
	if strings.HasPrefix(r.StreamID, "$") || strings.HasPrefix(r.EventType, "$") {
		return "", false
	}
	name, ok := strings.CutPrefix(r.StreamID, s.opts.prefix)
	return name, ok
}

// noPosition is what servers before 24.x report as the position of events
// read from a stream (they did not know it).
const noPosition = math.MaxUint64

// fromRecorded converts an event of the ledger stream named stream read from
// the server. It fails on an event that does not carry this package's
// envelope or whose envelope disagrees with the server about the stream
// version.
func fromRecorded(stream string, r *esdb.RecordedEvent) (eventstore.Event, error) {
	var env envelope
	if err := json.Unmarshal(r.UserMetadata, &env); err != nil || env.Format != envelopeFormat {
		return eventstore.Event{}, fmt.Errorf("kurrent: stream %q revision %d at position %d: not a fundledger event (metadata: %v)",
			r.StreamID, r.EventNumber, r.Position.Commit, describe(err, env.Format))
	}
	if env.Version != r.EventNumber {
		return eventstore.Event{}, fmt.Errorf("kurrent: stream %q revision %d carries version %d in its envelope",
			r.StreamID, r.EventNumber, env.Version)
	}
	prev, err := eventstore.ParseHash(env.PrevHash)
	if err != nil {
		return eventstore.Event{}, fmt.Errorf("kurrent: stream %q version %d: prevHash: %w", r.StreamID, r.EventNumber, err)
	}
	hash, err := eventstore.ParseHash(env.Hash)
	if err != nil {
		return eventstore.Event{}, fmt.Errorf("kurrent: stream %q version %d: hash: %w", r.StreamID, r.EventNumber, err)
	}
	pos := r.Position.Commit
	if pos == noPosition {
		pos = 0
	}
	return eventstore.Event{
		ID:            r.EventID,
		Stream:        stream,
		Version:       r.EventNumber,
		Position:      pos,
		Type:          r.EventType,
		SchemaVersion: env.SchemaVersion,
		Data:          r.Data,
		Metadata:      env.Metadata,
		RecordedAt:    time.UnixMicro(env.RecordedAtMicros).UTC(),
		PrevHash:      prev,
		Hash:          hash,
	}, nil
}

func describe(err error, format string) string {
	if err != nil {
		return err.Error()
	}
	return fmt.Sprintf("format %q", format)
}
