package projections_test

import (
	"context"
	"encoding/json"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/haixi-hrss/fundledger/domain"
	"github.com/haixi-hrss/fundledger/domain/calendar"
	"github.com/haixi-hrss/fundledger/domain/money"
	"github.com/haixi-hrss/fundledger/domain/paymentbatch"
	"github.com/haixi-hrss/fundledger/domain/role"
	"github.com/haixi-hrss/fundledger/eventstore/sqlite"
	"github.com/haixi-hrss/fundledger/ledger"
	"github.com/haixi-hrss/fundledger/ledger/schema"
	"github.com/haixi-hrss/fundledger/projections"
)

var batchAt = time.Date(2025, 4, 1, 9, 0, 0, 0, time.UTC)

// batchLedger records payment batch commands on an embedded store.
type batchLedger struct {
	t   *testing.T
	st  *sqlite.Store
	svc *ledger.Service
}

func newBatchLedger(t *testing.T) *batchLedger {
	dir := t.TempDir()
	st, err := sqlite.Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	return &batchLedger{t: t, st: st, svc: ledger.New(st, schema.Codec())}
}

func (l *batchLedger) do(id string, cmd paymentbatch.Command) {
	l.t.Helper()
	if _, err := ledger.Handle(context.Background(), l.svc, schema.PaymentBatch(id), ledger.Command{ID: uuid.New(), Payload: cmd},
		func(s paymentbatch.State) ([]domain.Event, error) { return paymentbatch.Decide(s, cmd) }); err != nil {
		l.t.Fatalf("%T on %s: %v", cmd, id, err)
	}
}

func (l *batchLedger) open(id string, scope paymentbatch.Scope, amounts ...string) {
	l.t.Helper()
	l.do(id, paymentbatch.Open{BatchID: id, Scope: scope, Actor: "tre1", Role: role.Treasurer, At: batchAt})
	for i, a := range amounts {
		l.do(id, paymentbatch.AddItem{ClaimID: batchClaim(id, i), Instalment: 1, PaymentID: batchClaim(id, i) + "-p",
			Amount: money.MustParse(a), BudgetLineID: "line-1", BeneficiaryRef: "91632801MA0000001X", Actor: "tre1", Role: role.Treasurer, At: batchAt})
	}
}

func batchClaim(batch string, i int) string { return batch + "-c" + string(rune('0'+i)) }

func (l *batchLedger) close(id string) {
	l.do(id, paymentbatch.Close{Actor: "tre1", Role: role.Treasurer, At: batchAt})
}

func (l *batchLedger) runner(dir string, p projections.Projection) *projections.Runner {
	l.t.Helper()
	r, err := projections.NewRunner(l.st, schema.Codec(), dir, p)
	if err != nil {
		l.t.Fatal(err)
	}
	return r
}

// aggregate folds batch id's stream with the aggregate's own Evolve.
func (l *batchLedger) aggregate(id string) paymentbatch.State {
	l.t.Helper()
	raw, err := l.st.ReadStream(context.Background(), paymentbatch.Stream(id), 0, 0)
	if err != nil {
		l.t.Fatal(err)
	}
	c := schema.Codec()
	evs := make([]domain.Event, len(raw))
	for i := range raw {
		if evs[i], err = c.Decode(&raw[i]); err != nil {
			l.t.Fatal(err)
		}
	}
	return paymentbatch.Fold(evs)
}

// TestPaymentBatchesFigures records three batches through the ledger, one
// settled with an item of each outcome, one closed and one open; the read
// model's counts and totals are checked to the cent and its items against
// the aggregate's fold. Built incrementally, rebuilt from zero and
// restored from its snapshot, it is the same model.
func TestPaymentBatchesFigures(t *testing.T) {
	l := newBatchLedger(t)
	line := paymentbatch.Scope{Kind: paymentbatch.ScopeBudgetLine, ID: "line-1"}
	l.open("pb-a", line, "1500.00", "900.50", "100.25", "20.00")
	l.close("pb-a")
	l.do("pb-a", paymentbatch.Send{Actor: "tre1", Role: role.Treasurer, At: batchAt.Add(time.Hour)})
	l.open("pb-b", paymentbatch.Scope{Kind: paymentbatch.ScopeFund, ID: "es-2025"}, "300.00", "0.01")

	incremental := projections.NewPaymentBatches()
	snapshots := t.TempDir()
	r := l.runner(snapshots, incremental)
	if _, err := r.CatchUp(context.Background()); err != nil {
		t.Fatal(err)
	}
	if b, ok := incremental.Batch("pb-a"); !ok || b.Status != paymentbatch.StatusSent || b.Pending != 4 || b.SentAt.IsZero() {
		t.Fatalf("after phase one pb-a is %+v", b)
	}

	rel := func(i int, withdrawn bool) paymentbatch.Release {
		r := paymentbatch.Release{ClaimID: batchClaim("pb-a", i), Instalment: 1}
		if withdrawn {
			r.Withdrawn, r.Rule, r.Detail = true, "claim-disclosed", "the claim is cancelled"
		}
		return r
	}
	l.do("pb-a", paymentbatch.RecordReleases{Releases: []paymentbatch.Release{rel(0, false), rel(1, false), rel(2, true), rel(3, false)},
		Actor: "tre1", Role: role.Treasurer, At: batchAt})
	on := calendar.MustParse("2025-04-03")
	res := func(i int, paid bool) paymentbatch.Result {
		r := paymentbatch.Result{ClaimID: batchClaim("pb-a", i), Instalment: 1, PaymentID: batchClaim("pb-a", i) + "-p", Paid: paid, On: on}
		if paid {
			r.BankRef = "ICBC-" + r.PaymentID
		} else {
			r.Reason = "account closed"
		}
		return r
	}
	l.do("pb-a", paymentbatch.RecordResults{Results: []paymentbatch.Result{res(0, true), res(1, false)}, Actor: "tre1", Role: role.Treasurer, At: batchAt})
	l.do("pb-a", paymentbatch.RecordResults{Results: []paymentbatch.Result{res(3, true)}, Actor: "tre1", Role: role.Treasurer, At: batchAt.Add(2 * time.Hour)})
	l.close("pb-b")
	l.open("pb-c", line, "10.00")
	if _, err := r.CatchUp(context.Background()); err != nil {
		t.Fatal(err)
	}

	a, ok := incremental.Batch("pb-a")
	if !ok {
		t.Fatal("pb-a missing")
	}
	type figures struct {
		status                                      paymentbatch.Status
		items, pending, released, withdrawn, p, f   int
		total, paidTotal, failedTotal, withdrawnSum string
	}
	got := figures{a.Status, a.ItemCount, a.Pending, a.Released, a.Withdrawn, a.PaidCount, a.FailedCount,
		a.Total.String(), a.PaidTotal.String(), a.FailedTotal.String(), a.WithdrawnTotal.String()}
	want := figures{paymentbatch.StatusSettled, 4, 0, 0, 1, 2, 1, "2520.75", "1520.00", "900.50", "100.25"}
	if got != want {
		t.Errorf("pb-a figures %+v, want %+v", got, want)
	}
	if !a.SettledAt.Equal(batchAt.Add(2*time.Hour)) || a.OpenedBy != "tre1" {
		t.Errorf("pb-a settled at %s opened by %s", a.SettledAt, a.OpenedBy)
	}
	if it := a.Items[2]; it.Rule != "claim-disclosed" || it.Reason != "the claim is cancelled" {
		t.Errorf("withdrawn item %+v", it)
	}
	for _, id := range []string{"pb-a", "pb-b", "pb-c"} {
		b, _ := incremental.Batch(id)
		agg := l.aggregate(id)
		gotItems, _ := json.Marshal(b.Items)
		wantItems, _ := json.Marshal(agg.Items)
		if string(gotItems) != string(wantItems) || b.Status != agg.Status || !b.Total.Equal(agg.Total) || b.Scope != agg.Scope {
			t.Errorf("%s: read model %s %s %s, aggregate %s %s %s", id, b.Status, b.Total, gotItems, agg.Status, agg.Total, wantItems)
		}
	}

	all := incremental.Batches("")
	if len(all) != 3 || all[0].ID != "pb-a" || all[1].ID != "pb-b" || all[2].ID != "pb-c" || all[0].Items != nil {
		t.Errorf("list %+v, want pb-a, pb-b, pb-c without items", all)
	}
	if closed := incremental.Batches(paymentbatch.StatusClosed); len(closed) != 1 || closed[0].ID != "pb-b" || closed[0].Total.String() != "300.01" {
		t.Errorf("closed batches %+v, want pb-b of 300.01", closed)
	}
	if _, ok := incremental.Batch("pb-x"); ok {
		t.Error("an unknown batch was found")
	}

	rebuilt := projections.NewPaymentBatches()
	if _, err := l.runner(t.TempDir(), rebuilt).Rebuild(context.Background(), nil); err != nil {
		t.Fatal(err)
	}
	restored := projections.NewPaymentBatches()
	l.runner(snapshots, restored)
	for name, other := range map[string]projections.Projection{"rebuilt": rebuilt, "restored": restored} {
		if eq, err := projections.Equal(incremental, other); err != nil || !eq {
			a, _ := incremental.MarshalState()
			b, _ := other.MarshalState()
			t.Errorf("%s model differs (%v):\n%s\n%s", name, err, a, b)
		}
	}
}
