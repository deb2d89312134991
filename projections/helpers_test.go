package projections_test

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/haixi-hrss/fundledger/domain"
	"github.com/haixi-hrss/fundledger/domain/budget"
	"github.com/haixi-hrss/fundledger/domain/calendar"
	"github.com/haixi-hrss/fundledger/domain/claim"
	"github.com/haixi-hrss/fundledger/domain/fund"
	"github.com/haixi-hrss/fundledger/domain/money"
	"github.com/haixi-hrss/fundledger/domain/programme"
	"github.com/haixi-hrss/fundledger/domain/region"
	"github.com/haixi-hrss/fundledger/domain/role"
	"github.com/haixi-hrss/fundledger/eventstore"
	"github.com/haixi-hrss/fundledger/eventstore/sqlite"
	"github.com/haixi-hrss/fundledger/ledger"
	"github.com/haixi-hrss/fundledger/ledger/codec"
	"github.com/haixi-hrss/fundledger/projections"
)

const fundID = "es-2025"

// The two budget lines the scenario allocates to.
var (
	golmud   = budget.LineID(fundID, programme.Absorption, region.Golmud, 2025)
	delingha = budget.LineID(fundID, programme.StartUp, region.Delingha, 2025)
)

// stepClock is the store's clock: each reading is one second after the
// last, so every commit has its own RecordedAt and as-of instants are exact.
type stepClock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *stepClock) read() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(time.Second)
	return c.now
}

// world is a ledger on the embedded store in a temporary directory, with a
// codec built from the domain's registries as the API builds it.
type world struct {
	t     testing.TB
	ctx   context.Context
	dir   string
	store *sqlite.Store
	svc   *ledger.Service
	codec *codec.Codec
}

// newCodec builds the codec from the domain's registries and the ledger's
// records, as the API does.
func newCodec(t testing.TB) *codec.Codec {
	t.Helper()
	c, err := codec.New(codec.Types(fund.EventTypes()), codec.Types(budget.EventTypes()),
		codec.Types(claim.EventTypes()), codec.Types(ledger.Records()))
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func newWorld(t testing.TB) *world {
	t.Helper()
	c := newCodec(t)
	dir := t.TempDir()
	clock := &stepClock{now: time.Date(2025, 3, 1, 1, 0, 0, 0, time.UTC)}
	st, err := sqlite.Open(dir, sqlite.WithClock(clock.read))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	return &world{t: t, ctx: context.Background(), dir: dir, store: st, svc: ledger.New(st, c), codec: c}
}

var at = time.Date(2025, 3, 1, 9, 0, 0, 0, time.UTC)

func (w *world) fund(name, key string, cmd fund.Command) {
	w.t.Helper()
	agg := ledger.Aggregate[fund.State]{Stream: fund.Stream(fundID), Evolve: fund.Evolve}
	decide := func(s fund.State) ([]domain.Event, error) { return fund.Decide(s, cmd) }
	if _, err := ledger.Handle(w.ctx, w.svc, agg, ledger.Command{ID: uuid.New(), Name: name, IdempotencyKey: key, Payload: cmd}, decide); err != nil {
		w.t.Fatalf("%s: %v", name, err)
	}
}

func (w *world) budget(line, name string, cmd budget.Command) {
	w.t.Helper()
	agg := ledger.Aggregate[budget.State]{Stream: budget.Stream(line), Evolve: budget.Evolve}
	decide := func(s budget.State) ([]domain.Event, error) { return budget.Decide(s, cmd) }
	if _, err := ledger.Handle(w.ctx, w.svc, agg, ledger.Command{ID: uuid.New(), Name: name, Payload: cmd}, decide); err != nil {
		w.t.Fatalf("%s: %v", name, err)
	}
}

// allocate runs both steps of an allocation: the fund's, then the line's.
func (w *world) allocate(id string, p programme.Code, r region.Code, amount string) {
	w.t.Helper()
	a := money.MustParse(amount)
	w.fund("Allocate", "", fund.Allocate{AllocationID: id, Programme: p, Region: r, Amount: a, Actor: "admin-1", Role: role.Administrator, At: at})
	w.budget(budget.LineID(fundID, p, r, 2025), "RecordAllocation", budget.RecordAllocation{AllocationID: id,
		BudgetLineID: budget.LineID(fundID, p, r, 2025), FundID: fundID, Programme: p, Region: r, FiscalYear: 2025,
		Amount: a, Actor: "admin-1", Role: role.Administrator, At: at})
}

type uniqKey string

func (k uniqKey) Stream() string { return "uniq-test-" + string(k) }

// phaseOne opens the fund, receives two transfers (one under an
// idempotency key, so the log holds idem-* records), allocates to two
// lines, reserves for claim c1 and takes a uniqueness key (a uniq-* stream).
func (w *world) phaseOne() {
	w.t.Helper()
	w.fund("OpenFund", "", fund.Open{FundID: fundID, Name: "海西州就业补助资金", FiscalYear: 2025, Kind: programme.EmploymentSubsidy,
		Level: fund.Prefecture, Region: region.Haixi, Actor: "admin-1", Role: role.Administrator, At: at})
	w.fund("ReceiveTransfer", "tr-12", fund.ReceiveTransfer{Document: "财社〔2025〕12号", Amount: money.MustParse("1200000.00"),
		Source: "青海省财政厅", ReceivedOn: calendar.MustNew(2025, time.March, 1), Actor: "admin-1", Role: role.Administrator, At: at})
	w.fund("ReceiveTransfer", "", fund.ReceiveTransfer{Document: "青财社〔2025〕3号", Amount: money.MustParse("300000.50"),
		Source: "海西州财政局", ReceivedOn: calendar.MustNew(2025, time.March, 1), Actor: "admin-1", Role: role.Administrator, At: at})
	w.allocate("al-1", programme.Absorption, region.Golmud, "500000.00")
	w.allocate("al-2", programme.StartUp, region.Delingha, "200000.00")
	w.budget(golmud, "Reserve", budget.Reserve{ReservationID: "rs-1", ClaimID: "c1", Amount: money.MustParse("50000.00"),
		Actor: "appr-1", Role: role.Approver, At: at})
	if err := w.svc.Reserve(w.ctx, uniqKey("c1"), "claim-c1"); err != nil {
		w.t.Fatal(err)
	}
}

// phaseTwo pays, releases and recovers on the Golmud line, and appends an
// event of a type no registry knows.
func (w *world) phaseTwo() {
	w.t.Helper()
	w.budget(golmud, "Spend", budget.Spend{PaymentID: "pay-1", ClaimID: "c1", Amount: money.MustParse("30000.00"),
		Actor: "tr-1", Role: role.Treasurer, At: at})
	w.budget(golmud, "Release", budget.Release{ReleaseID: "rl-1", ClaimID: "c1", Amount: money.MustParse("20000.00"),
		Reason: "reduced", Actor: "appr-1", Role: role.Approver, At: at})
	w.budget(golmud, "Reserve", budget.Reserve{ReservationID: "rs-2", ClaimID: "c2", Amount: money.MustParse("10000.25"),
		Actor: "appr-1", Role: role.Approver, At: at})
	w.budget(golmud, "Spend", budget.Spend{PaymentID: "pay-2", ClaimID: "c2", Amount: money.MustParse("10000.25"),
		Actor: "tr-1", Role: role.Treasurer, At: at})
	w.budget(golmud, "Recover", budget.Recover{RecoveryID: "rc-1", ClaimID: "c2", Amount: money.MustParse("2000.10"),
		Reason: "overpaid", Actor: "tr-1", Role: role.Treasurer, At: at})
	w.appendRaw("employer-e1", "EmployerRegistered", `{"name":"x"}`)
}

func (w *world) appendRaw(stream, typ, data string) {
	w.t.Helper()
	if _, err := w.store.Append(w.ctx, stream, eventstore.Any, eventstore.EventData{ID: uuid.New(), Type: typ, SchemaVersion: 1, Data: []byte(data)}); err != nil {
		w.t.Fatal(err)
	}
}

// log returns every event after position after.
func (w *world) log(after uint64) []eventstore.Event {
	w.t.Helper()
	evs, err := w.store.ReadAll(w.ctx, after, 0)
	if err != nil {
		w.t.Fatal(err)
	}
	return evs
}

func (w *world) runner(projs ...projections.Projection) *projections.Runner {
	w.t.Helper()
	r, err := projections.NewRunner(w.store, w.codec, w.dir, projs...)
	if err != nil {
		w.t.Fatal(err)
	}
	return r
}

// rebuilt returns a fresh Budgets rebuilt from the whole log.
func (w *world) rebuilt() *projections.Budgets {
	w.t.Helper()
	b := projections.NewBudgets()
	if _, err := projections.Rebuild(w.ctx, w.store, w.codec, nil, b); err != nil {
		w.t.Fatal(err)
	}
	return b
}

func mustEqual(t *testing.T, what string, a, b projections.Projection) {
	t.Helper()
	eq, err := projections.Equal(a, b)
	if err != nil {
		t.Fatal(err)
	}
	if !eq {
		sa, _ := a.MarshalState()
		sb, _ := b.MarshalState()
		t.Fatalf("%s differ:\n%s\n%s", what, sa, sb)
	}
}
