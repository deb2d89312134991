package storetest

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/google/uuid"

	"github.com/haixi-hrss/fundledger/eventstore"
)

// testInvalidAppend sends requests that break each rule of
// eventstore.ValidateAppend. The bad event is the second of two, and the
// expected version is right, so only validation can refuse it; the error
// names the field and the event, and nothing is written.
func testInvalidAppend(t *testing.T, s eventstore.Store) {
	const stream = "fund-valid"
	mustAppend(t, s, stream, eventstore.NoStream, Events(2)...)
	before := readAll(t, s)

	second := func(change func(e *eventstore.EventData)) []eventstore.EventData {
		evs := Events(2)
		change(&evs[1])
		return evs
	}
	cases := []struct {
		name   string
		stream string
		events []eventstore.EventData
		field  string
		index  int
	}{
		{"empty_stream_name", "", Events(1), "stream", -1},
		{"system_stream", "$all", Events(1), "stream", -1},
		{"system_category_stream", "$ce-fund", Events(1), "stream", -1},
		{"stream_name_too_long", strings.Repeat("s", 257), Events(1), "stream", -1},
		{"no_events", stream, nil, "events", -1},
		{"nil_id", stream, second(func(e *eventstore.EventData) { e.ID = uuid.Nil }), "id", 1},
		{"empty_type", stream, second(func(e *eventstore.EventData) { e.Type = "" }), "type", 1},
		{"system_type", stream, second(func(e *eventstore.EventData) { e.Type = "$metadata" }), "type", 1},
		{"schema_version_zero", stream, second(func(e *eventstore.EventData) { e.SchemaVersion = 0 }), "schemaVersion", 1},
		{"schema_version_negative", stream, second(func(e *eventstore.EventData) { e.SchemaVersion = -1 }), "schemaVersion", 1},
		{"truncated_json", stream, second(func(e *eventstore.EventData) { e.Data = []byte(`{"amount":`) }), "data", 1},
		{"two_json_values", stream, second(func(e *eventstore.EventData) { e.Data = []byte(`{} {}`) }), "data", 1},
		{"no_data", stream, second(func(e *eventstore.EventData) { e.Data = nil }), "data", 1},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			expected := eventstore.Exact(1)
			if c.stream != stream {
				expected = eventstore.Any
			}
			_, err := s.Append(context.Background(), c.stream, expected, c.events...)
			checkInvalid(t, err, c.field, c.index, nil)
			checkUnchanged(t, s, before)
		})
	}

	longest := strings.Repeat("长", 85) + "s"
	mustAppend(t, s, longest, eventstore.NoStream, Events(1)...)
	if got := readStream(t, s, longest); len(got) != 1 || got[0].Stream != longest {
		t.Errorf("a 256-byte stream name does not read back")
	}
}

// checkInvalid checks that err is an *InvalidAppendError for the given field
// and event index that also matches rule, if rule is not nil.
func checkInvalid(t testing.TB, err error, field string, index int, rule error) {
	t.Helper()
	if !errors.Is(err, eventstore.ErrInvalidAppend) {
		t.Fatalf("got %v, want an error matching ErrInvalidAppend", err)
	}
	if rule != nil && !errors.Is(err, rule) {
		t.Errorf("got %v, want an error matching %v", err, rule)
	}
	var ie *eventstore.InvalidAppendError
	if !errors.As(err, &ie) {
		t.Fatalf("%v matches ErrInvalidAppend but is not an *InvalidAppendError", err)
	}
	if ie.Field != field || ie.Index != index {
		t.Errorf("error names field %q of event %d, want field %q of event %d", ie.Field, ie.Index, field, index)
	}
	if errors.Is(err, eventstore.ErrConcurrency) {
		t.Errorf("%v also matches ErrConcurrency", err)
	}
}

// testAppendSizeLimit appends requests whose total eventstore.AppendSize is
// exactly eventstore.MaxAppendSize (accepted, read back byte for byte) and
// one byte more (refused with ErrAppendTooLarge, nothing written), both as
// one event and as three events each well under the limit.
func testAppendSizeLimit(t *testing.T, s eventstore.Store) {
	const third = eventstore.MaxAppendSize / 3
	cases := []struct {
		name  string
		sizes []int
		ok    bool
	}{
		{"one_event_at_limit", []int{eventstore.MaxAppendSize}, true},
		{"one_event_one_byte_over", []int{eventstore.MaxAppendSize + 1}, false},
		{"three_events_at_limit", []int{third, third, eventstore.MaxAppendSize - 2*third}, true},
		{"three_events_one_byte_over", []int{third, third, eventstore.MaxAppendSize - 2*third + 1}, false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			before := readAll(t, s)
			evs := make([]eventstore.EventData, len(c.sizes))
			for i, n := range c.sizes {
				evs[i] = sizedEvent(n)
			}
			stream := "attachment-" + c.name
			_, err := s.Append(context.Background(), stream, eventstore.NoStream, evs...)
			if !c.ok {
				checkInvalid(t, err, "data", len(evs)-1, eventstore.ErrAppendTooLarge)
				checkUnchanged(t, s, before)
				return
			}
			if err != nil {
				t.Fatalf("append of exactly MaxAppendSize: %v", err)
			}
			got := readStream(t, s, stream)
			if len(got) != len(evs) {
				t.Fatalf("stream has %d events, want %d", len(got), len(evs))
			}
			checkData(t, got, 0, evs)
			checkStream(t, stream, got)
		})
	}
	checkLog(t, readAll(t, s))
}
