package projections

import (
	"encoding/json"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/haixi-hrss/fundledger/domain"
	"github.com/haixi-hrss/fundledger/domain/money"
	"github.com/haixi-hrss/fundledger/domain/paymentbatch"
	"github.com/haixi-hrss/fundledger/eventstore"
)

// PaymentBatch is a treasurer's view of one payment batch (拨付批次): its
// items and what became of them.
type PaymentBatch struct {
	ID       string              `json:"id"`
	Scope    paymentbatch.Scope  `json:"scope"`
	Status   paymentbatch.Status `json:"status"`
	OpenedBy string              `json:"openedBy"`
	OpenedAt time.Time           `json:"openedAt"`
	// SentAt and SettledAt are zero until the batch is sent or settled.
	SentAt    time.Time `json:"sentAt"`
	SettledAt time.Time `json:"settledAt"`
	// Items are in the order they were added; Batches leaves them out.
	Items     []paymentbatch.Item `json:"items,omitempty"`
	ItemCount int                 `json:"itemCount"`
	Total     money.Amount        `json:"total"`
	// Counts and totals by item status.
	Pending        int          `json:"pending"`
	Released       int          `json:"released"`
	Withdrawn      int          `json:"withdrawn"`
	PaidCount      int          `json:"paidCount"`
	FailedCount    int          `json:"failedCount"`
	PaidTotal      money.Amount `json:"paidTotal"`
	FailedTotal    money.Amount `json:"failedTotal"`
	WithdrawnTotal money.Amount `json:"withdrawnTotal"`
}

// PaymentBatches is the treasurers' read model of payment batches. It is
// not safe for concurrent use; while a Runner feeds it, query it inside
// Runner.Read.
//
// Every batch is kept, so the model grows with the log; the batches are a
// copy-on-write map, so that Freeze hands a save all of them in constant
// time (batches_freeze.go).
type PaymentBatches struct {
	batches *cowMap[PaymentBatch]
	// index finds an item of a batch by claim and instalment; it is
	// derived from the items and rebuilt on restore.
	index map[string]map[string]int
}

// NewPaymentBatches returns an empty model.
func NewPaymentBatches() *PaymentBatches {
	p := &PaymentBatches{}
	p.Reset()
	return p
}

// Name implements Projection.
func (p *PaymentBatches) Name() string { return "payment-batches" }

// Reset implements Projection.
func (p *PaymentBatches) Reset() {
	// A new map, never the old one emptied: an image may hold it.
	p.batches = newCowMap(clonePaymentBatch)
	p.index = map[string]map[string]int{}
}

// Batch returns batch id with its items.
func (p *PaymentBatches) Batch(id string) (PaymentBatch, bool) {
	b, ok := p.batches.get(id)
	if !ok {
		return PaymentBatch{}, false
	}
	out := *b
	out.Items = slices.Clone(b.Items)
	return out, true
}

// Batches returns the batches with status st (every batch when st is
// empty), by ID, without their items.
func (p *PaymentBatches) Batches(st paymentbatch.Status) []PaymentBatch {
	out := make([]PaymentBatch, 0, p.batches.len())
	p.batches.scan(func(_ string, b *PaymentBatch) bool {
		if st == "" || b.Status == st {
			s := *b
			s.Items = nil
			out = append(out, s)
		}
		return true
	})
	return out
}

// Apply implements Projection. Batch events name their batch only through
// their stream, paybatch-<ID>.
func (p *PaymentBatches) Apply(ev domain.Event, env *eventstore.Event) error {
	switch e := ev.(type) {
	case *paymentbatch.Opened:
		p.batches.set(e.BatchID, &PaymentBatch{ID: e.BatchID, Scope: e.Scope, Status: paymentbatch.StatusOpen, OpenedBy: e.Actor, OpenedAt: e.At})
		p.index[e.BatchID] = map[string]int{}
	case *paymentbatch.ItemAdded:
		return p.batch(env, func(b *PaymentBatch, idx map[string]int) error {
			it := e.Item
			it.Status = paymentbatch.Pending
			idx[itemKey(it.ClaimID, it.Instalment)] = len(b.Items)
			b.Items = append(b.Items, it)
			b.ItemCount++
			b.Pending++
			b.Total = b.Total.Add(it.Amount)
			return nil
		})
	case *paymentbatch.Closed:
		return p.batch(env, func(b *PaymentBatch, _ map[string]int) error { b.Status = paymentbatch.StatusClosed; return nil })
	case *paymentbatch.Sent:
		return p.batch(env, func(b *PaymentBatch, _ map[string]int) error {
			b.Status, b.SentAt = paymentbatch.StatusSent, e.At
			return nil
		})
	case *paymentbatch.ItemReleased:
		return p.item(env, e.ClaimID, e.Instalment, func(it *paymentbatch.Item) { it.Status = paymentbatch.Released })
	case *paymentbatch.ItemWithdrawn:
		return p.item(env, e.ClaimID, e.Instalment, func(it *paymentbatch.Item) {
			it.Status, it.Rule, it.Reason = paymentbatch.Withdrawn, e.Rule, e.Detail
		})
	case *paymentbatch.ItemPaid:
		return p.item(env, e.ClaimID, e.Instalment, func(it *paymentbatch.Item) {
			it.Status, it.BankRef, it.On = paymentbatch.Paid, e.BankRef, e.On
		})
	case *paymentbatch.ItemFailed:
		return p.item(env, e.ClaimID, e.Instalment, func(it *paymentbatch.Item) {
			it.Status, it.Reason, it.On = paymentbatch.Failed, e.Reason, e.On
		})
	case *paymentbatch.Settled:
		return p.batch(env, func(b *PaymentBatch, _ map[string]int) error {
			b.Status, b.SettledAt = paymentbatch.StatusSettled, e.At
			return nil
		})
	}
	return nil
}

func (p *PaymentBatches) batch(env *eventstore.Event, change func(*PaymentBatch, map[string]int) error) error {
	id := strings.TrimPrefix(env.Stream, paymentbatch.Stream(""))
	b, ok := p.batches.writable(id)
	if !ok {
		return fmt.Errorf("%s in %s: payment batch %q was never opened", env.Type, env.Stream, id)
	}
	return change(b, p.index[id])
}

// item changes one item and moves it between the batch's counts.
func (p *PaymentBatches) item(env *eventstore.Event, claimID string, instalment int, change func(*paymentbatch.Item)) error {
	return p.batch(env, func(b *PaymentBatch, idx map[string]int) error {
		i, ok := idx[itemKey(claimID, instalment)]
		if !ok {
			return fmt.Errorf("%s in %s: instalment %d of claim %s is not in the batch", env.Type, env.Stream, instalment, claimID)
		}
		it := &b.Items[i]
		b.count(it, -1)
		change(it)
		b.count(it, 1)
		return nil
	})
}

// count adds sign times it to the figures of its status.
func (b *PaymentBatch) count(it *paymentbatch.Item, sign int) {
	amount := it.Amount
	if sign < 0 {
		amount = money.Amount{}.Sub(amount)
	}
	switch it.Status {
	case paymentbatch.Pending:
		b.Pending += sign
	case paymentbatch.Released:
		b.Released += sign
	case paymentbatch.Withdrawn:
		b.Withdrawn += sign
		b.WithdrawnTotal = b.WithdrawnTotal.Add(amount)
	case paymentbatch.Paid:
		b.PaidCount += sign
		b.PaidTotal = b.PaidTotal.Add(amount)
	case paymentbatch.Failed:
		b.FailedCount += sign
		b.FailedTotal = b.FailedTotal.Add(amount)
	}
}

func itemKey(claimID string, instalment int) string {
	return claimID + "/" + strconv.Itoa(instalment)
}

// MarshalState implements Projection: the batches sorted by ID, each with
// its items in the order they were added.
func (p *PaymentBatches) MarshalState() ([]byte, error) { return marshalBatches(p.batches) }

// marshalBatches writes the state of the batches in m: the model's own
// for MarshalState, a frozen copy for Freeze.
func marshalBatches(m *cowMap[PaymentBatch]) ([]byte, error) {
	out := make([]*PaymentBatch, 0, m.len())
	m.scan(func(_ string, b *PaymentBatch) bool {
		out = append(out, b)
		return true
	})
	return json.Marshal(out)
}

// UnmarshalState implements Projection.
func (p *PaymentBatches) UnmarshalState(data []byte) error {
	var bs []*PaymentBatch
	if err := json.Unmarshal(data, &bs); err != nil {
		return fmt.Errorf("payment batches: %w", err)
	}
	p.Reset()
	for _, b := range bs {
		p.batches.set(b.ID, b)
		idx := make(map[string]int, len(b.Items))
		for i, it := range b.Items {
			idx[itemKey(it.ClaimID, it.Instalment)] = i
		}
		p.index[b.ID] = idx
	}
	return nil
}
