package storetest

import (
	"bytes"
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/haixi-hrss/fundledger/eventstore"
)

// pageSize is the limit the suite reads the global log with. The port does
// not say what ReadAll does with limit <= 0, so the suite always pages.
const pageSize = 100

// clockSlack bounds how far a store's recorded-at may be from the test's own
// clock: loose enough for a server in another container, tight enough to
// catch a wrong unit or a local time stored as UTC.
const clockSlack = 10 * time.Minute

func mustAppend(t testing.TB, s eventstore.Store, stream string, expected eventstore.ExpectedVersion, evs ...eventstore.EventData) eventstore.AppendResult {
	t.Helper()
	res, err := s.Append(context.Background(), stream, expected, evs...)
	if err != nil {
		t.Fatalf("Append(%q, %s, %d events): %v", stream, expected, len(evs), err)
	}
	return res
}

// scanAll reads the whole global log in pages of limit events.
func scanAll(ctx context.Context, s eventstore.Store, limit int) ([]eventstore.Event, error) {
	var log []eventstore.Event
	var after uint64
	for {
		page, err := s.ReadAll(ctx, after, limit)
		if err != nil {
			return log, fmt.Errorf("ReadAll(after %d, limit %d): %w", after, limit, err)
		}
		if len(page) == 0 {
			return log, nil
		}
		if len(page) > limit {
			return log, fmt.Errorf("ReadAll(after %d, limit %d) returned %d events", after, limit, len(page))
		}
		if page[0].Position <= after {
			return log, fmt.Errorf("ReadAll(after %d) returned position %d", after, page[0].Position)
		}
		log = append(log, page...)
		after = page[len(page)-1].Position
	}
}

func readAll(t testing.TB, s eventstore.Store) []eventstore.Event {
	t.Helper()
	log, err := scanAll(context.Background(), s, pageSize)
	if err != nil {
		t.Fatal(err)
	}
	return log
}

func readStream(t testing.TB, s eventstore.Store, stream string) []eventstore.Event {
	t.Helper()
	evs, err := s.ReadStream(context.Background(), stream, 0, 0)
	if err != nil {
		t.Fatalf("ReadStream(%q, 0, 0): %v", stream, err)
	}
	return evs
}

// checkLog checks what the port promises of any global log: positions above
// zero and strictly increasing, unique IDs, recorded-at in UTC at microsecond
// precision and never decreasing, and per stream gapless 0-based versions
// with a valid hash chain. It reports the first violation only.
func checkLog(t testing.TB, log []eventstore.Event) {
	t.Helper()
	type head struct {
		version uint64
		hash    eventstore.Hash
	}
	heads := make(map[string]head)
	ids := make(map[uuid.UUID]bool, len(log))
	var prev *eventstore.Event
	for i := range log {
		e := &log[i]
		if e.Position == 0 || prev != nil && e.Position <= prev.Position {
			t.Errorf("global log entry %d (%s v%d): position %d after %d", i, e.Stream, e.Version, e.Position, positionOf(prev))
			return
		}
		if ids[e.ID] {
			t.Errorf("global log entry %d: event ID %s appears twice", i, e.ID)
			return
		}
		ids[e.ID] = true
		if msg := checkRecordedAt(e.RecordedAt); msg != "" {
			t.Errorf("global log entry %d (%s v%d): %s", i, e.Stream, e.Version, msg)
			return
		}
		if prev != nil && e.RecordedAt.Before(prev.RecordedAt) {
			t.Errorf("global log entry %d: recorded-at %s is before the previous entry's %s", i, e.RecordedAt, prev.RecordedAt)
			return
		}
		h, seen := heads[e.Stream]
		wantVersion, wantPrev := uint64(0), eventstore.Hash{}
		if seen {
			wantVersion, wantPrev = h.version+1, h.hash
		}
		if msg := checkLink(e, wantVersion, wantPrev); msg != "" {
			t.Errorf("global log entry %d: %s", i, msg)
			return
		}
		heads[e.Stream] = head{e.Version, e.Hash}
		prev = e
	}
}

func positionOf(e *eventstore.Event) uint64 {
	if e == nil {
		return 0
	}
	return e.Position
}

// checkStream checks a whole stream as ReadStream returns it: versions 0..n-1
// in order, one stream name, strictly increasing positions, a valid chain.
func checkStream(t testing.TB, stream string, evs []eventstore.Event) {
	t.Helper()
	var prevHash eventstore.Hash
	for i := range evs {
		e := &evs[i]
		if e.Stream != stream {
			t.Errorf("stream %q entry %d has stream name %q", stream, i, e.Stream)
			return
		}
		if i > 0 && e.Position <= evs[i-1].Position {
			t.Errorf("stream %q: version %d has position %d, not above %d", stream, e.Version, e.Position, evs[i-1].Position)
			return
		}
		if msg := checkRecordedAt(e.RecordedAt); msg != "" {
			t.Errorf("stream %q version %d: %s", stream, e.Version, msg)
			return
		}
		if msg := checkLink(e, uint64(i), prevHash); msg != "" {
			t.Errorf("stream %q entry %d: %s", stream, i, msg)
			return
		}
		prevHash = e.Hash
	}
}

// checkLink checks one event's version and its link in the hash chain.
func checkLink(e *eventstore.Event, version uint64, prev eventstore.Hash) string {
	switch {
	case e.Version != version:
		return fmt.Sprintf("%s: version %d, want %d (versions are 0-based and gapless)", e.Stream, e.Version, version)
	case e.PrevHash != prev:
		return fmt.Sprintf("%s v%d: prev hash %s, want %s", e.Stream, e.Version, e.PrevHash, prev)
	case e.Hash != eventstore.ComputeHash(e.PrevHash, e):
		return fmt.Sprintf("%s v%d: hash %s is not ComputeHash(prev, event) = %s", e.Stream, e.Version, e.Hash, eventstore.ComputeHash(e.PrevHash, e))
	}
	return ""
}

func checkRecordedAt(at time.Time) string {
	switch {
	case at.IsZero():
		return "recorded-at is zero"
	case at.Location() != time.UTC:
		return fmt.Sprintf("recorded-at %s is not in UTC", at)
	case at.Nanosecond()%1000 != 0:
		return fmt.Sprintf("recorded-at %s has sub-microsecond digits", at.Format(time.RFC3339Nano))
	}
	return ""
}

// checkRecordedWithin checks recorded-at against the test's clock.
func checkRecordedWithin(t testing.TB, evs []eventstore.Event, from, to time.Time) {
	t.Helper()
	for _, e := range evs {
		if e.RecordedAt.Before(from.Add(-clockSlack)) || e.RecordedAt.After(to.Add(clockSlack)) {
			t.Errorf("%s v%d: recorded-at %s is far from the append's time %s", e.Stream, e.Version, e.RecordedAt, from.UTC())
		}
	}
}

// diffData says how a committed event differs from the one appended, or "".
func diffData(want eventstore.EventData, got eventstore.Event) string {
	switch {
	case got.ID != want.ID:
		return fmt.Sprintf("ID %s, want %s", got.ID, want.ID)
	case got.Type != want.Type:
		return fmt.Sprintf("type %q, want %q", got.Type, want.Type)
	case got.SchemaVersion != want.SchemaVersion:
		return fmt.Sprintf("schema version %d, want %d", got.SchemaVersion, want.SchemaVersion)
	case !bytes.Equal(got.Data, want.Data):
		return fmt.Sprintf("data %s, want %s", clip(got.Data), clip(want.Data))
	case got.Metadata != want.Metadata:
		return fmt.Sprintf("metadata %+v, want %+v", got.Metadata, want.Metadata)
	}
	return ""
}

// checkData checks that a stream holds exactly want from version first on.
func checkData(t testing.TB, got []eventstore.Event, first uint64, want []eventstore.EventData) {
	t.Helper()
	if uint64(len(got)) < first+uint64(len(want)) {
		t.Fatalf("stream has %d events, want at least %d", len(got), first+uint64(len(want)))
	}
	for i, w := range want {
		if msg := diffData(w, got[first+uint64(i)]); msg != "" {
			t.Errorf("version %d: %s", first+uint64(i), msg)
		}
	}
}

// diffEvent says how two committed events differ, or "".
func diffEvent(want, got eventstore.Event) string {
	switch {
	case got.Stream != want.Stream || got.Version != want.Version:
		return fmt.Sprintf("event %s v%d, want %s v%d", got.Stream, got.Version, want.Stream, want.Version)
	case got.Position != want.Position:
		return fmt.Sprintf("%s v%d: position %d, want %d", got.Stream, got.Version, got.Position, want.Position)
	case !got.RecordedAt.Equal(want.RecordedAt):
		return fmt.Sprintf("%s v%d: recorded-at %s, want %s", got.Stream, got.Version, got.RecordedAt, want.RecordedAt)
	case got.PrevHash != want.PrevHash || got.Hash != want.Hash:
		return fmt.Sprintf("%s v%d: hashes differ", got.Stream, got.Version)
	}
	w := eventstore.EventData{ID: want.ID, Type: want.Type, SchemaVersion: want.SchemaVersion, Data: want.Data, Metadata: want.Metadata}
	if msg := diffData(w, got); msg != "" {
		return fmt.Sprintf("%s v%d: %s", got.Stream, got.Version, msg)
	}
	return ""
}

// checkSame checks that two reads returned the same events in the same
// order, and reports whether they did.
func checkSame(t testing.TB, what string, got, want []eventstore.Event) bool {
	t.Helper()
	for i := range min(len(got), len(want)) {
		if msg := diffEvent(want[i], got[i]); msg != "" {
			t.Errorf("%s: entry %d of %d (want %d): %s", what, i, len(got), len(want), msg)
			return false
		}
	}
	if len(got) != len(want) {
		t.Errorf("%s: %d events, want %d", what, len(got), len(want))
		return false
	}
	return true
}

// checkUnchanged checks that the global log is still exactly before.
func checkUnchanged(t testing.TB, s eventstore.Store, before []eventstore.Event) {
	t.Helper()
	checkSame(t, "global log after a rejected call", readAll(t, s), before)
}

func clip(b []byte) string {
	if len(b) > 80 {
		return fmt.Sprintf("%q... (%d bytes)", b[:80], len(b))
	}
	return fmt.Sprintf("%q", b)
}
