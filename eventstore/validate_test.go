package eventstore_test

import (
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/google/uuid"

	"github.com/haixi-hrss/fundledger/eventstore"
)

func validEvent(i int) eventstore.EventData {
	return eventstore.EventData{
		ID:            uuid.New(),
		Type:          "ClaimSubmitted",
		SchemaVersion: 1,
		Data:          fmt.Appendf(nil, `{"seq":%d,"county":"德令哈市"}`, i),
		Metadata:      eventstore.Metadata{Actor: "clerk-1", Role: "clerk", EffectiveDate: "2025-03-01"},
	}
}

func validEvents(n int) []eventstore.EventData {
	evs := make([]eventstore.EventData, n)
	for i := range evs {
		evs[i] = validEvent(i)
	}
	return evs
}

// sized returns a valid event whose AppendSize is exactly size.
func sized(t *testing.T, size int) eventstore.EventData {
	t.Helper()
	e := validEvent(0)
	e.Data = []byte(`""`)
	pad := size - eventstore.AppendSize(&e)
	if pad < 0 {
		t.Fatalf("an event cannot be as small as %d", size)
	}
	e.Data = []byte(`"` + strings.Repeat("x", pad) + `"`)
	if got := eventstore.AppendSize(&e); got != size {
		t.Fatalf("sized(%d) has AppendSize %d", size, got)
	}
	return e
}

func TestValidateAppendAccepts(t *testing.T) {
	withData := func(d string) []eventstore.EventData {
		e := validEvent(0)
		e.Data = []byte(d)
		return []eventstore.EventData{e}
	}
	cases := []struct {
		name   string
		stream string
		events []eventstore.EventData
	}{
		{"one event", "claim-1", validEvents(1)},
		{"many events", "claim-1", validEvents(50)},
		{"non-ASCII stream", "claim-海西-1", validEvents(1)},
		{"256-byte stream", strings.Repeat("s", 256), validEvents(1)},
		{"256-byte non-ASCII stream", strings.Repeat("长", 85) + "s", validEvents(1)},
		{"dollar inside a stream name", "fund-$1", validEvents(1)},
		{"empty metadata", "claim-1", []eventstore.EventData{{ID: uuid.New(), Type: "T", SchemaVersion: 1, Data: []byte(`{}`)}}},
		{"array data", "claim-1", withData(`[1,"二"]`)},
		{"null data", "claim-1", withData(`null`)},
		{"spaced data", "claim-1", withData(" {\n\"a\" : 1 }\n")},
		{"at the size limit", "claim-1", []eventstore.EventData{sized(t, eventstore.MaxAppendSize)}},
	}
	for _, c := range cases {
		if err := eventstore.ValidateAppend(c.stream, c.events); err != nil {
			t.Errorf("%s: %v", c.name, err)
		}
	}
}

func TestValidateAppendRejects(t *testing.T) {
	second := func(change func(e *eventstore.EventData)) []eventstore.EventData {
		evs := validEvents(3)
		change(&evs[1])
		return evs
	}
	cases := []struct {
		name   string
		stream string
		events []eventstore.EventData
		field  string
		index  int
		rule   string // a fragment of the rule's wording
	}{
		{"empty stream", "", validEvents(1), "stream", -1, "empty"},
		{"system stream", "$all", validEvents(1), "stream", -1, "'$'"},
		{"system category stream", "$ce-claim", validEvents(1), "stream", -1, "'$'"},
		{"257-byte stream", strings.Repeat("s", 257), validEvents(1), "stream", -1, "256 bytes"},
		{"258-byte stream of 86 characters", strings.Repeat("长", 86), validEvents(1), "stream", -1, "256 bytes"},
		{"nil events", "claim-1", nil, "events", -1, "at least one"},
		{"empty events", "claim-1", []eventstore.EventData{}, "events", -1, "at least one"},
		{"nil id", "claim-1", second(func(e *eventstore.EventData) { e.ID = uuid.Nil }), "id", 1, "non-nil UUID"},
		{"empty type", "claim-1", second(func(e *eventstore.EventData) { e.Type = "" }), "type", 1, "non-empty"},
		{"system type", "claim-1", second(func(e *eventstore.EventData) { e.Type = "$>" }), "type", 1, "'$'"},
		{"schema version 0", "claim-1", second(func(e *eventstore.EventData) { e.SchemaVersion = 0 }), "schemaVersion", 1, "at least 1"},
		{"negative schema version", "claim-1", second(func(e *eventstore.EventData) { e.SchemaVersion = -3 }), "schemaVersion", 1, "at least 1"},
		{"nil data", "claim-1", second(func(e *eventstore.EventData) { e.Data = nil }), "data", 1, "valid JSON"},
		{"truncated data", "claim-1", second(func(e *eventstore.EventData) { e.Data = []byte(`{"a":`) }), "data", 1, "valid JSON"},
		{"two values", "claim-1", second(func(e *eventstore.EventData) { e.Data = []byte(`1 2`) }), "data", 1, "valid JSON"},
		{"bare word", "claim-1", second(func(e *eventstore.EventData) { e.Data = []byte(`approved`) }), "data", 1, "valid JSON"},
		{"first bad event reported", "claim-1", func() []eventstore.EventData {
			evs := validEvents(3)
			evs[2].ID = uuid.Nil
			evs[1].Type = ""
			return evs
		}(), "type", 1, "non-empty"},
		{"stream checked before events", "", nil, "stream", -1, "empty"},
	}
	for _, c := range cases {
		err := eventstore.ValidateAppend(c.stream, c.events)
		checkInvalid(t, c.name, err, c.stream, c.field, c.index)
		if err != nil && !strings.Contains(err.Error(), c.rule) {
			t.Errorf("%s: message %q does not state the rule (%q)", c.name, err, c.rule)
		}
		if errors.Is(err, eventstore.ErrAppendTooLarge) {
			t.Errorf("%s: %v matches ErrAppendTooLarge", c.name, err)
		}
	}
}

// checkInvalid checks err is an *InvalidAppendError naming stream, field and
// index, in its fields and in its message.
func checkInvalid(t *testing.T, name string, err error, stream, field string, index int) {
	t.Helper()
	var ie *eventstore.InvalidAppendError
	switch {
	case !errors.Is(err, eventstore.ErrInvalidAppend):
		t.Errorf("%s: got %v, want an error matching ErrInvalidAppend", name, err)
		return
	case !errors.As(err, &ie):
		t.Errorf("%s: %v is not an *InvalidAppendError", name, err)
		return
	case ie.Stream != stream || ie.Field != field || ie.Index != index:
		t.Errorf("%s: error names stream %q field %q event %d, want %q %q %d", name, ie.Stream, ie.Field, ie.Index, stream, field, index)
	}
	msg := err.Error()
	if !strings.Contains(msg, ": "+field+": ") || !strings.Contains(msg, fmt.Sprintf("%q", stream)) {
		t.Errorf("%s: message %q does not name stream %q and field %q", name, msg, stream, field)
	}
	if hasEvent := strings.Contains(msg, fmt.Sprintf("event %d", index)); hasEvent != (index >= 0) {
		t.Errorf("%s: message %q, want it to name event %d only if it is >= 0", name, msg, index)
	}
	if errors.Is(err, eventstore.ErrConcurrency) {
		t.Errorf("%s: %v matches ErrConcurrency", name, err)
	}
}

func TestValidateAppendSizeLimit(t *testing.T) {
	const limit = eventstore.MaxAppendSize
	cases := []struct {
		name   string
		sizes  []int
		overAt int // index of the event that crosses the limit; -1 = accepted
	}{
		{"one event at the limit", []int{limit}, -1},
		{"one event one byte over", []int{limit + 1}, 0},
		{"two events at the limit", []int{limit / 2, limit - limit/2}, -1},
		{"two events one byte over", []int{limit / 2, limit - limit/2 + 1}, 1},
		{"three events over only in total", []int{limit / 2, limit / 2, eventstore.EnvelopeOverhead + 64}, 2},
		{"over, then more events", []int{limit - 4096, 8192, 2048}, 1},
	}
	for _, c := range cases {
		evs := make([]eventstore.EventData, len(c.sizes))
		for i, n := range c.sizes {
			evs[i] = sized(t, n)
		}
		err := eventstore.ValidateAppend("attachment-1", evs)
		if c.overAt < 0 {
			if err != nil {
				t.Errorf("%s: %v", c.name, err)
			}
			continue
		}
		if !errors.Is(err, eventstore.ErrAppendTooLarge) {
			t.Errorf("%s: got %v, want ErrAppendTooLarge", c.name, err)
			continue
		}
		checkInvalid(t, c.name, err, "attachment-1", "data", c.overAt)
	}
}

func TestAppendSizeCountsEveryValue(t *testing.T) {
	base := validEvent(0)
	baseSize := eventstore.AppendSize(&base)
	if want := eventstore.EnvelopeOverhead + len(base.Type) + len(base.Data) + len("clerk-1") + len("clerk") + len("2025-03-01"); baseSize != want {
		t.Errorf("AppendSize = %d, want %d", baseSize, want)
	}
	grow := map[string]func(e *eventstore.EventData){
		"type":            func(e *eventstore.EventData) { e.Type += "海" },
		"data":            func(e *eventstore.EventData) { e.Data = append(e.Data, "海"...) },
		"actor":           func(e *eventstore.EventData) { e.Metadata.Actor += "海" },
		"role":            func(e *eventstore.EventData) { e.Metadata.Role += "海" },
		"correlation id":  func(e *eventstore.EventData) { e.Metadata.CorrelationID += "海" },
		"causation id":    func(e *eventstore.EventData) { e.Metadata.CausationID += "海" },
		"idempotency key": func(e *eventstore.EventData) { e.Metadata.IdempotencyKey += "海" },
		"effective date":  func(e *eventstore.EventData) { e.Metadata.EffectiveDate += "海" },
		"policy version":  func(e *eventstore.EventData) { e.Metadata.PolicyVersion += "海" },
	}
	for name, g := range grow {
		e := validEvent(0)
		g(&e)
		if got := eventstore.AppendSize(&e); got != baseSize+len("海") {
			t.Errorf("adding 3 bytes to the %s: AppendSize %d, want %d", name, got, baseSize+3)
		}
	}
	e := base
	e.ID, e.SchemaVersion = uuid.New(), 9
	if got := eventstore.AppendSize(&e); got != baseSize {
		t.Errorf("AppendSize depends on the ID or schema version: %d, want %d", got, baseSize)
	}
}
