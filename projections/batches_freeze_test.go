package projections

import (
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/haixi-hrss/fundledger/domain"
	"github.com/haixi-hrss/fundledger/domain/calendar"
	"github.com/haixi-hrss/fundledger/domain/money"
	"github.com/haixi-hrss/fundledger/domain/paymentbatch"
)

// batchHistory generates payment batches opened one after another, items
// added to the open ones, closed and sent, their items released,
// withdrawn, paid or failed (a failed item paid later), and settled; so
// the later events of a history change batches an earlier image holds.
func batchHistory(seed uint64) []streamEvent {
	rng := rand.New(rand.NewPCG(seed, 13))
	var evs []streamEvent
	by := paymentbatch.By{Actor: "tre1", At: time.Date(2025, 4, 1, 9, 0, 0, 0, time.UTC)}
	type batch struct {
		id    string
		items int
		state int // 0 open, 1 closed, 2 sent, 3 settled
	}
	var batches []*batch
	for step := range 600 {
		if len(batches) == 0 || rng.IntN(12) == 0 {
			b := &batch{id: fmt.Sprintf("pb-%03d", len(batches))}
			batches = append(batches, b)
			evs = append(evs, streamEvent{paymentbatch.Stream(b.id), &paymentbatch.Opened{BatchID: b.id, By: by}})
			continue
		}
		b := batches[rng.IntN(len(batches))]
		add := func(ev domain.Event) { evs = append(evs, streamEvent{paymentbatch.Stream(b.id), ev}) }
		item := func() (string, int) { return fmt.Sprintf("%s-c%d", b.id, rng.IntN(max(b.items, 1))), 1 }
		switch {
		case b.state == 0 && rng.IntN(8) > 0:
			claimID := fmt.Sprintf("%s-c%d", b.id, b.items)
			b.items++
			add(&paymentbatch.ItemAdded{Item: paymentbatch.Item{ClaimID: claimID, Instalment: 1, PaymentID: fmt.Sprint("pay-", step),
				Amount: money.Yuan(int64(100 + rng.IntN(5000))), BudgetLineID: "line-1", BeneficiaryRef: "91632801MA0000001X"}})
		case b.state == 0 && b.items > 0:
			b.state = 1
			add(&paymentbatch.Closed{Items: b.items, By: by})
		case b.state == 1:
			b.state = 2
			add(&paymentbatch.Sent{By: by})
		case b.state == 2 && rng.IntN(10) == 0:
			b.state = 3
			add(&paymentbatch.Settled{By: by})
		case b.state == 2:
			c, n := item()
			on := calendar.MustParse("2025-04-02")
			switch rng.IntN(4) {
			case 0:
				add(&paymentbatch.ItemReleased{ClaimID: c, Instalment: n, By: by})
			case 1:
				add(&paymentbatch.ItemWithdrawn{ClaimID: c, Instalment: n, Rule: "claim-voided", Detail: fmt.Sprint("step ", step), By: by})
			case 2:
				add(&paymentbatch.ItemPaid{ClaimID: c, Instalment: n, BankRef: fmt.Sprint("bank-", step), On: on, By: by})
			default:
				add(&paymentbatch.ItemFailed{ClaimID: c, Instalment: n, Reason: fmt.Sprint("refused ", step), On: on, By: by})
			}
		}
	}
	return evs
}

// batchAnswers is every query's answer, as JSON: the list of batches of
// each status and every batch with its items.
func batchAnswers(t *testing.T, p *PaymentBatches) string {
	t.Helper()
	var out []any
	for _, st := range []paymentbatch.Status{"", paymentbatch.StatusOpen, paymentbatch.StatusSent, paymentbatch.StatusSettled} {
		out = append(out, p.Batches(st))
	}
	for _, b := range p.Batches("") {
		one, ok := p.Batch(b.ID)
		out = append(out, one, ok)
	}
	data, err := json.Marshal(out)
	if err != nil {
		t.Fatal(err)
	}
	return string(data)
}

// TestPaymentBatchesFreezeKeepsItsImage runs checkFreezeHistory on the
// payment batches: every image writes exactly what MarshalState wrote when
// it was taken and restores to the same answers; and the model fed
// through the freezes ends as one fed without them.
func TestPaymentBatchesFreezeKeepsItsImage(t *testing.T) {
	for seed := range uint64(4) {
		t.Run(fmt.Sprint("seed ", seed), func(t *testing.T) {
			evs := batchHistory(seed)
			p := checkFreezeHistory(t, evs, NewPaymentBatches, batchAnswers)
			straight := NewPaymentBatches()
			feedEvents(t, straight, evs)
			if eq, err := Equal(p, straight); err != nil || !eq {
				t.Fatalf("the model fed through freezes differs from one fed straight (%v)", err)
			}
		})
	}
}
