package ledger_test

import (
	"context"
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
	"github.com/haixi-hrss/fundledger/ledger"
	"github.com/haixi-hrss/fundledger/ledger/codec"
)

// TestWiringARealAggregate runs the fund aggregate through Handle the way
// the API will: a codec from the domain's registries (their names must not
// clash), a descriptor, and a decide closure per command.
func TestWiringARealAggregate(t *testing.T) {
	ctx := context.Background()
	c, err := codec.New(codec.Types(fund.EventTypes()), codec.Types(budget.EventTypes()),
		codec.Types(claim.EventTypes()), codec.Types(ledger.Records()))
	if err != nil {
		t.Fatal(err)
	}
	st := openStore(t, t.TempDir())
	svc := ledger.New(st, c)
	agg := ledger.Aggregate[fund.State]{Stream: fund.Stream("es-2025"), Evolve: fund.Evolve}
	decide := func(cmd fund.Command) func(fund.State) ([]domain.Event, error) {
		return func(s fund.State) ([]domain.Event, error) { return fund.Decide(s, cmd) }
	}
	at := time.Date(2025, 3, 1, 9, 0, 0, 0, time.UTC)

	open := fund.Open{FundID: "es-2025", Name: "海西州就业补助资金", FiscalYear: 2025, Kind: programme.EmploymentSubsidy,
		Level: fund.Prefecture, Region: region.Haixi, Actor: "admin-1", Role: role.Administrator, At: at}
	if _, err := ledger.Handle(ctx, svc, agg, ledger.Command{ID: uuid.New(), Name: "OpenFund", Payload: open}, decide(open)); err != nil {
		t.Fatal(err)
	}
	receive := fund.ReceiveTransfer{Document: "财社〔2025〕12号", Amount: money.MustParse("1200000.00"), Source: "青海省财政厅",
		ReceivedOn: calendar.MustNew(2025, time.March, 1), Actor: "admin-1", Role: role.Administrator, At: at}
	cmd := ledger.Command{ID: uuid.New(), Name: "ReceiveTransfer", IdempotencyKey: "tr-12", Payload: receive}
	first, err := ledger.Handle(ctx, svc, agg, cmd, decide(receive))
	if err != nil {
		t.Fatal(err)
	}
	cmd.ID = uuid.New()
	again, err := ledger.Handle(ctx, svc, agg, cmd, decide(receive))
	if err != nil {
		t.Fatal(err)
	}
	sameResult(t, again, first)

	// Folding the stored events through the codec gives the money received
	// once, exactly.
	var s fund.State
	for _, ev := range readStream(t, st, agg.Stream) {
		d, err := c.Decode(&ev)
		if err != nil {
			t.Fatal(err)
		}
		s = fund.Evolve(s, d)
	}
	if want := money.MustParse("1200000.00"); s.Received.Cmp(want) != 0 {
		t.Errorf("fund received %v, want %v", s.Received, want)
	}
}
