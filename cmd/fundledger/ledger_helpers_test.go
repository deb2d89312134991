package main

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/haixi-hrss/fundledger/domain"
	"github.com/haixi-hrss/fundledger/domain/calendar"
	"github.com/haixi-hrss/fundledger/domain/fund"
	"github.com/haixi-hrss/fundledger/domain/money"
	"github.com/haixi-hrss/fundledger/domain/policy"
	"github.com/haixi-hrss/fundledger/domain/programme"
	"github.com/haixi-hrss/fundledger/domain/region"
	"github.com/haixi-hrss/fundledger/domain/role"
	"github.com/haixi-hrss/fundledger/eventstore"
	"github.com/haixi-hrss/fundledger/eventstore/sqlite"
	"github.com/haixi-hrss/fundledger/ledger"
	"github.com/haixi-hrss/fundledger/ledger/datadir"
	"github.com/haixi-hrss/fundledger/ledger/schema"
)

// testLedger opens a ledger in dir whose store stamps events with *clock.
func testLedger(t *testing.T, dir string, clock *time.Time) *datadir.Ledger {
	t.Helper()
	l, err := datadir.Open(context.Background(), dir, datadir.Options{
		SQLiteOptions: []sqlite.Option{sqlite.WithClock(func() time.Time { return *clock })},
	})
	if err != nil {
		t.Fatal(err)
	}
	return l
}

// publishSeedPolicies publishes every version of the seed policy file, as
// the administrator does before claims are assessed.
func publishSeedPolicies(t *testing.T, l *datadir.Ledger) {
	t.Helper()
	versions, err := policy.Seed()
	if err != nil {
		t.Fatal(err)
	}
	for _, v := range versions {
		cmd := policy.PublishVersion{Version: v, Actor: "admin-1", Role: role.Administrator, At: time.Date(2025, 1, 2, 9, 0, 0, 0, time.UTC)}
		env := ledger.Command{ID: uuid.New(), Name: "PublishPolicyVersion", Actor: "admin-1", Role: role.Administrator, Payload: cmd}
		if _, err := ledger.Handle(context.Background(), l.Service, schema.Policy(v.Programme), env,
			func(s policy.State) ([]domain.Event, error) { return policy.Decide(s, cmd) }); err != nil {
			t.Fatal(err)
		}
	}
}

// openTestFund opens fund id, stamped at.
func openTestFund(t *testing.T, l *datadir.Ledger, id string, at time.Time) {
	t.Helper()
	cmd := fund.Open{FundID: id, Name: "海西州就业补助资金", FiscalYear: 2025, Kind: programme.EmploymentSubsidy,
		Level: fund.Prefecture, Region: region.Haixi, Actor: "admin-1", Role: role.Administrator, At: at}
	handleFund(t, l, id, "OpenFund", cmd, func(s fund.State) ([]domain.Event, error) { return fund.Decide(s, cmd) })
}

// receiveTestTransfer records a transfer of amount into fund id.
func receiveTestTransfer(t *testing.T, l *datadir.Ledger, id string, n int, amount string, at time.Time) {
	t.Helper()
	cmd := fund.ReceiveTransfer{Document: fmt.Sprintf("财社〔2025〕%d号", n), Amount: money.MustParse(amount), Source: "青海省财政厅",
		ReceivedOn: calendar.FromTime(at), Actor: "admin-1", Role: role.Administrator, At: at}
	handleFund(t, l, id, "ReceiveTransfer", cmd, func(s fund.State) ([]domain.Event, error) { return fund.Decide(s, cmd) })
}

func handleFund(t *testing.T, l *datadir.Ledger, id, name string, payload any, decide func(fund.State) ([]domain.Event, error)) {
	t.Helper()
	_, err := ledger.Handle(context.Background(), l.Service, schema.Fund(id),
		ledger.Command{ID: uuid.New(), Name: name, Actor: "admin-1", Role: role.Administrator, Payload: payload}, decide)
	if err != nil {
		t.Fatal(err)
	}
}

// logOf returns every event in the embedded ledger in dir.
func logOf(t *testing.T, dir string) []eventstore.Event {
	t.Helper()
	store, err := sqlite.Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()
	evs, err := store.ReadAll(context.Background(), 0, 0)
	if err != nil {
		t.Fatal(err)
	}
	return evs
}
