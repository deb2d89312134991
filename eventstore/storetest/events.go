package storetest

import (
	"fmt"
	"strings"

	"github.com/google/uuid"

	"github.com/haixi-hrss/fundledger/eventstore"
)

var eventTypes = [...]string{"FundReceived", "BudgetAllocated", "ClaimSubmitted", "ClaimApproved", "PaymentSettled"}

// Events returns n valid events with fresh random IDs, every metadata field
// set, and JSON data a careless backend would not return byte for byte:
// non-ASCII text, escaped Unicode, unusual spacing, key order and a number
// too large for a float64. Backends' own tests (crash and restart tests, for
// example) can use them wherever they need realistic input.
func Events(n int) []eventstore.EventData {
	out := make([]eventstore.EventData, n)
	for i := range out {
		out[i] = eventstore.EventData{
			ID:            uuid.New(),
			Type:          eventTypes[i%len(eventTypes)],
			SchemaVersion: 1 + i%3,
			Data: fmt.Appendf(nil, `{"seq": %d,"z":"last key first","amount":"%d.%02d","county":"格尔木市 Golmud",`+
				`"note":"\u7a33\u5c97\u8fd4\u8fd8","big":123456789012345678901234567890.10}`, i, 1000+i, i%100),
			Metadata: eventstore.Metadata{
				Actor:          fmt.Sprintf("clerk-王芳-%d", i%7),
				Role:           "clerk",
				CorrelationID:  fmt.Sprintf("corr-%d", i/4),
				CausationID:    fmt.Sprintf("cmd-%d", i),
				IdempotencyKey: fmt.Sprintf("idem-%d", i),
				EffectiveDate:  "2025-03-01",
				PolicyVersion:  "qh-2025-v2",
			},
		}
	}
	return out
}

// shapedEvents returns events whose data takes every JSON shape the port
// accepts, plus one with empty metadata, so read-back checks cover them all.
func shapedEvents() []eventstore.EventData {
	shapes := []string{
		`{}`,
		`{"b":1,"a":[true,false,null]}`,
		" {\n  \"spaced\" : \"yes\" ,\t\"n\": 1.500 }\n",
		`[1,2.50,"三"]`,
		`"just a string"`,
		`0`,
		`null`,
		`{"escaped":"\u6d77\u897f","raw":"海西","emoji":"\ud83d\ude00"}`,
	}
	evs := Events(len(shapes) + 1)
	for i, d := range shapes {
		evs[i].Data = []byte(d)
	}
	evs[len(shapes)].Metadata = eventstore.Metadata{}
	return evs
}

// sizedEvent returns a valid event whose eventstore.AppendSize is exactly
// size; the data is a JSON object padded with a varying ASCII pattern so a
// truncated or shifted read-back shows.
func sizedEvent(size int) eventstore.EventData {
	e := Events(1)[0]
	e.Type = "AttachmentRecorded"
	prefix, suffix := `{"title":"海西州 申请材料","blob":"`, `"}`
	e.Data = []byte(prefix + suffix)
	pad := size - eventstore.AppendSize(&e)
	if pad < 0 {
		panic(fmt.Sprintf("storetest: event cannot be as small as %d bytes", size))
	}
	var b strings.Builder
	b.Grow(len(prefix) + pad + len(suffix))
	b.WriteString(prefix)
	const pattern = "0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
	for i := 0; i < pad; i++ {
		b.WriteByte(pattern[(i*7+i/len(pattern))%len(pattern)])
	}
	b.WriteString(suffix)
	e.Data = []byte(b.String())
	return e
}

// cloneData deep-copies events so the suite can scribble over the originals.
func cloneData(evs []eventstore.EventData) []eventstore.EventData {
	out := make([]eventstore.EventData, len(evs))
	for i, e := range evs {
		out[i] = e
		out[i].Data = append([]byte(nil), e.Data...)
	}
	return out
}
