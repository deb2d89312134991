package main

import (
	"context"
	"fmt"
	"time"

	"github.com/google/uuid"

	"github.com/haixi-hrss/fundledger/domain"
	"github.com/haixi-hrss/fundledger/domain/budget"
	"github.com/haixi-hrss/fundledger/domain/calendar"
	"github.com/haixi-hrss/fundledger/domain/fund"
	"github.com/haixi-hrss/fundledger/domain/money"
	"github.com/haixi-hrss/fundledger/domain/programme"
	"github.com/haixi-hrss/fundledger/domain/region"
	"github.com/haixi-hrss/fundledger/domain/role"
	"github.com/haixi-hrss/fundledger/ledger"
	"github.com/haixi-hrss/fundledger/ledger/codec"
)

// demoNamespace derives the demo's command IDs. They must never change:
// the event IDs derive from them, and a rerun recognises its own events by
// them.
var demoNamespace = uuid.NewSHA1(uuid.NameSpaceURL, []byte("https://github.com/haixi-hrss/fundledger/demo"))

// The demo fund: Haixi's 2025 employment subsidy fund.
const (
	demoFundID    = "haixi-esf-2025"
	demoYear      = programme.FiscalYear(2025)
	demoProgramme = programme.VocationalTraining
	demoActor     = "demo-admin"
)

// demoTransfer is a transfer into the demo fund. Document numbers and
// sources carry DEMO so nobody mistakes them for official ones.
type demoTransfer struct {
	document, source string
	amount           money.Amount
	receivedOn       calendar.Date
}

var demoTransfers = []demoTransfer{
	{"DEMO-财社〔2025〕1号", "财政部 (DEMO)", money.MustParse("12000000.00"), calendar.MustNew(2025, time.January, 20)},
	{"DEMO-青财社〔2025〕2号", "青海省财政厅 (DEMO)", money.MustParse("3000000.00"), calendar.MustNew(2025, time.February, 18)},
}

// demoAllocations is what each county-level unit's vocational-training
// budget line receives; illustrative figures.
var demoAllocations = map[region.Code]money.Amount{
	region.Golmud:   money.MustParse("4200000.00"),
	region.Delingha: money.MustParse("2600000.00"),
	region.Mangya:   money.MustParse("1300000.00"),
	region.Ulan:     money.MustParse("1500000.00"),
	region.Dulan:    money.MustParse("1700000.00"),
	region.Tianjun:  money.MustParse("900000.00"),
	region.DaQaidam: money.MustParse("800000.00"),
}

// demoCodec reads and writes the events the demo produces; the ledger's
// records are included so the whole log decodes.
func demoCodec() (*codec.Codec, error) {
	return codec.New(codec.Types(fund.EventTypes()), codec.Types(budget.EventTypes()), codec.Types(ledger.Records()))
}

// demoTally counts the demo's commands and their domain events: those
// appended now and those an earlier run had already appended.
type demoTally struct {
	commands, appended, present int
}

// demoRun runs the demo's commands through one ledger service.
type demoRun struct {
	svc   *ledger.Service
	tally demoTally
}

// runDemoJob runs the demo's commands through the ledger service in order:
// open the fund, receive the transfers, then for each county allocate from
// the fund and record the allocation on the county's budget line. Every
// command has a fixed ID and idempotency key, so a rerun replays instead of
// appending.
func runDemoJob(ctx context.Context, svc *ledger.Service) (demoTally, error) {
	r := &demoRun{svc: svc}
	fundAgg := ledger.Aggregate[fund.State]{Stream: fund.Stream(demoFundID), Evolve: fund.Evolve}

	open := fund.Open{FundID: demoFundID, Name: "海西州就业补助资金 2025 (DEMO)", FiscalYear: demoYear,
		Kind: programme.EmploymentSubsidy, Level: fund.Prefecture, Region: region.Haixi,
		Actor: demoActor, Role: role.Administrator, At: demoAt(calendar.MustNew(2025, time.January, 2))}
	if _, err := demoHandle(ctx, r, fundAgg, "open-fund", "OpenFund", open.Role, open.At, open, decideFund(open)); err != nil {
		return r.tally, err
	}

	for i, tr := range demoTransfers {
		receive := fund.ReceiveTransfer{Document: tr.document, Amount: tr.amount, Source: tr.source,
			ReceivedOn: tr.receivedOn, Actor: demoActor, Role: role.Administrator, At: demoAt(tr.receivedOn)}
		step := fmt.Sprintf("receive/%d", i+1)
		if _, err := demoHandle(ctx, r, fundAgg, step, "ReceiveTransfer", receive.Role, receive.At, receive, decideFund(receive)); err != nil {
			return r.tally, err
		}
	}

	at := demoAt(calendar.MustNew(2025, time.March, 3))
	for _, county := range region.Counties() {
		allocate := fund.Allocate{AllocationID: fmt.Sprintf("demo-%d-%s-%s", demoYear, demoProgramme, county),
			Programme: demoProgramme, Region: county, Amount: demoAllocations[county],
			Actor: demoActor, Role: role.Administrator, At: at}
		res, err := demoHandle(ctx, r, fundAgg, "allocate/"+string(county), "Allocate", allocate.Role, at, allocate, decideFund(allocate))
		if err != nil {
			return r.tally, err
		}
		// The budget line takes its key and amount from the fund's own
		// event, as the allocation process prescribes.
		var allocated *fund.Allocated
		if len(res.Events) == 1 {
			allocated, _ = res.Events[0].(*fund.Allocated)
		}
		if allocated == nil {
			return r.tally, fmt.Errorf("allocate/%s: the fund recorded %d events, not one FundAllocated", county, len(res.Events))
		}
		record := budget.RecordAllocation{AllocationID: allocated.AllocationID, BudgetLineID: allocated.BudgetLineID,
			FundID: allocated.FundID, Programme: allocated.Programme, Region: allocated.Region,
			FiscalYear: allocated.FiscalYear, Amount: allocated.Amount,
			Actor: demoActor, Role: role.Administrator, At: at}
		lineAgg := ledger.Aggregate[budget.State]{Stream: budget.Stream(allocated.BudgetLineID), Evolve: budget.Evolve}
		decideLine := func(s budget.State) ([]domain.Event, error) { return budget.Decide(s, record) }
		if _, err := demoHandle(ctx, r, lineAgg, "record-allocation/"+string(county), "RecordAllocation", record.Role, at, record, decideLine); err != nil {
			return r.tally, err
		}
	}
	return r.tally, nil
}

// demoAt is 09:00 Beijing time on d: the demo's commands carry fixed times
// so a rerun sends the same commands.
func demoAt(d calendar.Date) time.Time { return d.Start().Add(9 * time.Hour) }

func decideFund(cmd fund.Command) func(fund.State) ([]domain.Event, error) {
	return func(s fund.State) ([]domain.Event, error) { return fund.Decide(s, cmd) }
}

// demoHandle runs one demo command through ledger.Handle. Its ID and
// idempotency key derive from step, so every run sends the same command.
func demoHandle[S any](ctx context.Context, r *demoRun, agg ledger.Aggregate[S], step, name, role string, at time.Time,
	payload any, decide func(S) ([]domain.Event, error)) (ledger.Result, error) {
	res, err := ledger.Handle(ctx, r.svc, agg, ledger.Command{
		ID:             uuid.NewSHA1(demoNamespace, []byte("command/"+step)),
		Name:           name,
		IdempotencyKey: "demo/" + step,
		Actor:          demoActor,
		Role:           role,
		EffectiveDate:  calendar.FromTime(at).String(),
		Payload:        payload,
	}, decide)
	if err != nil {
		return res, fmt.Errorf("%s: %w", step, err)
	}
	r.tally.commands++
	if res.Replayed {
		r.tally.present += len(res.Events)
	} else {
		r.tally.appended += len(res.Events)
	}
	return res, nil
}
