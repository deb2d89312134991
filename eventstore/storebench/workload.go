package storebench

import (
	"fmt"
	"strings"

	"github.com/google/uuid"

	"github.com/haixi-hrss/fundledger/eventstore"
)

// workload is the events every measurement writes, generated before any
// clock starts so that generating them is never measured.
type workload struct {
	opts    Options
	streams []string
	single  []item // the one-writer measurements
	grouped []item // the concurrent measurements
}

// item is one event and the stream it goes to.
type item struct {
	stream string
	event  eventstore.EventData
}

func newWorkload(o Options) *workload {
	w := &workload{opts: o, streams: make([]string, o.Streams)}
	for i := range w.streams {
		w.streams[i] = fmt.Sprintf("claim-%s", uuid.New())
	}
	w.single = w.items(o.singleEvents(), 0)
	w.grouped = w.items(o.Events, o.singleEvents())
	return w
}

func (w *workload) items(n, offset int) []item {
	items := make([]item, n)
	for i := range items {
		k := offset + i
		items[i] = item{stream: w.streams[k%len(w.streams)], event: w.event(k)}
	}
	return items
}

// event builds a claim-like event whose JSON data is about EventSize bytes.
func (w *workload) event(k int) eventstore.EventData {
	data := fmt.Sprintf(`{"claimId":"%s","employer":"91632801MA7%07d","county":"632801","programme":"expansion-grant","amount":"1500.00","hires":1,"note":"`,
		uuid.New(), k)
	pad := max(w.opts.EventSize-len(data)-2, 0)
	data += strings.Repeat("x", pad) + `"}`
	return eventstore.EventData{
		ID:            uuid.New(),
		Type:          "ClaimSubmitted",
		SchemaVersion: 1,
		Data:          []byte(data),
		Metadata: eventstore.Metadata{
			Actor:          "clerk-0042",
			Role:           "clerk",
			CorrelationID:  uuid.NewString(),
			IdempotencyKey: uuid.NewString(),
			EffectiveDate:  "2025-06-30",
			PolicyVersion:  "expansion-grant/2025-1",
		},
	}
}

// record is what the raw baseline writes for an item: the event's canonical
// bytes and a hash, i.e. what a minimal durable log would have to store.
func (it *item) record() []byte {
	e := eventstore.Event{ID: it.event.ID, Stream: it.stream, Type: it.event.Type,
		SchemaVersion: it.event.SchemaVersion, Data: it.event.Data, Metadata: it.event.Metadata}
	b := eventstore.Canonical(&e)
	h := eventstore.ComputeHash(eventstore.Hash{}, &e)
	return append(b, h[:]...)
}
