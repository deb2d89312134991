package datadir_test

import (
	"context"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/haixi-hrss/fundledger/domain"
	"github.com/haixi-hrss/fundledger/domain/calendar"
	"github.com/haixi-hrss/fundledger/domain/fund"
	"github.com/haixi-hrss/fundledger/domain/money"
	"github.com/haixi-hrss/fundledger/domain/programme"
	"github.com/haixi-hrss/fundledger/domain/region"
	"github.com/haixi-hrss/fundledger/domain/role"
	"github.com/haixi-hrss/fundledger/ledger"
	"github.com/haixi-hrss/fundledger/ledger/datadir"
	"github.com/haixi-hrss/fundledger/ledger/schema"
)

var at = time.Date(2025, 1, 2, 9, 0, 0, 0, time.UTC)

func openFund(t *testing.T, l *datadir.Ledger, id string) ledger.Result {
	t.Helper()
	cmd := fund.Open{FundID: id, Name: "海西州就业补助资金", FiscalYear: 2025, Kind: programme.EmploymentSubsidy,
		Level: fund.Prefecture, Region: region.Haixi, Actor: "admin-1", Role: role.Administrator, At: at}
	res, err := ledger.Handle(context.Background(), l.Service, schema.Fund(id), ledger.Command{ID: uuid.New(), Name: "OpenFund", Payload: cmd},
		func(s fund.State) ([]domain.Event, error) { return fund.Decide(s, cmd) })
	if err != nil {
		t.Fatal(err)
	}
	return res
}

func receive(t *testing.T, l *datadir.Ledger, id, doc, amount string) ledger.Result {
	t.Helper()
	cmd := fund.ReceiveTransfer{Document: "财社〔2025〕" + doc + "号", Amount: money.MustParse(amount), Source: "青海省财政厅",
		ReceivedOn: calendar.MustNew(2025, time.January, 2), Actor: "admin-1", Role: role.Administrator, At: at}
	res, err := ledger.Handle(context.Background(), l.Service, schema.Fund(id), ledger.Command{ID: uuid.New(), Name: "ReceiveTransfer", Payload: cmd},
		func(s fund.State) ([]domain.Event, error) { return fund.Decide(s, cmd) })
	if err != nil {
		t.Fatal(err)
	}
	return res
}

// received reads the fund's received total from the live views.
func received(l *datadir.Ledger, id string) string {
	var got string
	l.Runner.Read(func(uint64) {
		if f, ok := l.Views.Budgets.Fund(id); ok {
			got = f.Received.String()
		}
	})
	return got
}

// TestOpenFollowReopen: commands through the opened ledger reach its views
// (read-your-writes through Sync, and the follower for the rest), Close
// saves them, and a reopen restores them without replaying.
func TestOpenFollowReopen(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	l, err := datadir.Open(ctx, dir, datadir.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if err := l.Start(ctx); err != nil {
		t.Fatal(err)
	}
	openFund(t, l, "f1")
	res := receive(t, l, "f1", "12", "1000.00")
	if err := l.Sync(ctx, res.Position); err != nil {
		t.Fatal(err)
	}
	if got := received(l, "f1"); got != "1000.00" {
		t.Fatalf("received %q after Sync, want 1000.00", got)
	}
	res = receive(t, l, "f1", "13", "500.50")
	for deadline := time.Now().Add(20 * time.Second); l.Runner.Checkpoint() < res.Position; time.Sleep(5 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("follower stuck at %d, log at %d", l.Runner.Checkpoint(), res.Position)
		}
	}
	if !l.Following() {
		t.Fatal("the follower stopped")
	}
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}

	again, err := datadir.Open(ctx, dir, datadir.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer again.Close()
	if got := again.Runner.Checkpoint(); got != res.Position {
		t.Fatalf("reopened at checkpoint %d, want the saved %d", got, res.Position)
	}
	if got := received(again, "f1"); got != "1500.50" {
		t.Fatalf("reopened views say received %q, want 1500.50", got)
	}
}

// TestRefusesOtherStoreURLs: a store URL that is not KurrentDB's is refused
// before anything is opened or created.
func TestRefusesOtherStoreURLs(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "new")
	_, err := datadir.Open(context.Background(), dir, datadir.Options{StoreURL: "postgres://x"})
	if !errors.Is(err, datadir.ErrStoreURL) {
		t.Fatalf("got %v, want ErrStoreURL", err)
	}
	if _, err := os.Stat(dir); !errors.Is(err, fs.ErrNotExist) {
		t.Fatalf("a refused URL left %s behind (stat: %v)", dir, err)
	}
}
