package projections_test

import (
	"strings"
	"testing"

	"github.com/haixi-hrss/fundledger/domain"
	"github.com/haixi-hrss/fundledger/domain/budget"
	"github.com/haixi-hrss/fundledger/domain/money"
	"github.com/haixi-hrss/fundledger/domain/programme"
	"github.com/haixi-hrss/fundledger/domain/region"
	"github.com/haixi-hrss/fundledger/projections"
)

type figures struct{ allocated, reserved, spent, released, recovered, available string }

func checkLine(t *testing.T, b *projections.Budgets, id string, p programme.Code, r region.Code, want figures) {
	t.Helper()
	l, ok := b.Line(id)
	if !ok {
		t.Fatalf("line %s missing", id)
	}
	if l.FundID != fundID || l.Programme != p || l.Region != r || l.FiscalYear != 2025 {
		t.Errorf("line %s keyed %s/%s/%s/%d", id, l.FundID, l.Programme, l.Region, l.FiscalYear)
	}
	got := figures{l.Allocated.String(), l.Reserved.String(), l.Spent.String(), l.Released.String(), l.Recovered.String(), l.Available.String()}
	if got != want {
		t.Errorf("line %s figures %+v, want %+v", id, got, want)
	}
}

// TestBudgetsFigures drives real commands through the ledger and checks
// every figure of the officers' model to the cent, and that each line
// agrees with the budget aggregate's own fold of its stream.
func TestBudgetsFigures(t *testing.T) {
	w := newWorld(t)
	w.phaseOne()
	w.phaseTwo()
	b := projections.NewBudgets()
	pr, err := w.runner(b).CatchUp(w.ctx)
	if err != nil {
		t.Fatal(err)
	}

	checkLine(t, b, golmud, programme.Absorption, region.Golmud,
		figures{"500000.00", "0.00", "40000.25", "20000.00", "2000.10", "461999.85"})
	checkLine(t, b, delingha, programme.StartUp, region.Delingha,
		figures{"200000.00", "0.00", "0.00", "0.00", "0.00", "200000.00"})
	if n := len(b.Lines()); n != 2 {
		t.Errorf("%d lines, want 2", n)
	}
	f, ok := b.Fund(fundID)
	if !ok {
		t.Fatal("fund missing")
	}
	if f.Received.String() != "1500000.50" || f.Allocated.String() != "700000.00" || f.Unallocated.String() != "800000.50" {
		t.Errorf("fund totals received %s allocated %s unallocated %s", f.Received, f.Allocated, f.Unallocated)
	}
	if f.Name != "海西州就业补助资金" || f.Kind != programme.EmploymentSubsidy || f.Region != region.Haixi {
		t.Errorf("fund attributes %+v", f)
	}

	// The ledger's own records and the unknown type were read and skipped.
	log := w.log(0)
	skipped := 0
	for _, ev := range log {
		if strings.HasPrefix(ev.Stream, "idem-") || strings.HasPrefix(ev.Stream, "uniq-") || ev.Type == "EmployerRegistered" {
			skipped++
		}
	}
	if skipped < 3 || pr.Events != len(log) || pr.Events-pr.Applied != skipped || pr.Position != log[len(log)-1].Position {
		t.Errorf("progress %+v over %d events of which %d ledger-internal or unknown", pr, len(log), skipped)
	}

	for _, id := range []string{golmud, delingha} {
		var evs []domain.Event
		for i := range log {
			if log[i].Stream == budget.Stream(id) {
				d, err := w.codec.Decode(&log[i])
				if err != nil {
					t.Fatal(err)
				}
				evs = append(evs, d)
			}
		}
		s := budget.Fold(evs)
		l, _ := b.Line(id)
		for _, pair := range [][2]money.Amount{{s.Allocated, l.Allocated}, {s.Reserved, l.Reserved}, {s.Spent, l.Spent},
			{s.Released, l.Released}, {s.Recovered, l.Recovered}, {s.Available(), l.Available}} {
			if !pair[0].Equal(pair[1]) {
				t.Errorf("line %s: aggregate says %s, read model %s", id, pair[0], pair[1])
			}
		}
	}
}
