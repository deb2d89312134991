package ledger_test

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"

	"github.com/google/uuid"

	"github.com/haixi-hrss/fundledger/domain"
	"github.com/haixi-hrss/fundledger/domain/budget"
	"github.com/haixi-hrss/fundledger/domain/programme"
	"github.com/haixi-hrss/fundledger/domain/region"
	"github.com/haixi-hrss/fundledger/domain/role"
	"github.com/haixi-hrss/fundledger/eventstore"
	"github.com/haixi-hrss/fundledger/ledger"
)

// reviewReserve is reservation i of one grant, run through the budget
// line's shared aggregate as ApproveClaim does.
func reviewReserve(ctx context.Context, svc *ledger.Service, id uuid.UUID, i int) (ledger.Result, error) {
	cmd := budget.Reserve{ReservationID: fmt.Sprintf("res-%03d", i), ClaimID: fmt.Sprintf("claim-%03d", i),
		Amount: grant, Actor: "approver1", Role: role.Approver, At: claimAt}
	return ledger.Handle(ctx, svc, ledger.BudgetLineAggregate(expansionLine), ledger.Command{ID: id, Payload: cmd},
		func(s budget.State) ([]domain.Event, error) { return budget.Decide(s, cmd) })
}

// TestTwoProcessesNeverOverReserveALine: two Services (two
// processes) on one store, each with a cached fold of the line that the
// other's writes make stale, reserve concurrently on a line with room for
// 10 grants; some commands are repeats (same command ID) sent to the
// other process. The line is never over-reserved, no reservation is made
// twice, every command acknowledged with events has exactly those events
// in the stream at the versions its Result names (and a Position at or
// after its last event's), and every other command was refused by the
// budget or, for a repeat, appended nothing.
func TestTwoProcessesNeverOverReserveALine(t *testing.T) {
	ctx := context.Background()
	st := openStore(t, t.TempDir())
	procs := []*ledger.Service{approvalService(t, st), approvalService(t, st)}
	if err := allocate(ctx, procs[0], 10); err != nil {
		t.Fatal(err)
	}
	// Warm both caches, each on a fold the other will make stale.
	for p, svc := range procs {
		if _, err := reviewReserve(ctx, svc, uuid.New(), 100+p); err != nil {
			t.Fatal(err)
		}
	}
	const n = 40
	ids := make([]uuid.UUID, n)
	for i := range ids {
		ids[i] = uuid.New()
	}
	type outcome struct {
		res ledger.Result
		err error
		i   int
	}
	out := make([]outcome, 2*n)
	var wg sync.WaitGroup
	for k := range 2 * n {
		// Command i runs on process i%2; its repeat on the other one.
		i, svc := k%n, procs[(k%n+k/n)%2]
		wg.Go(func() {
			res, err := reviewReserve(ctx, svc, ids[i], i)
			out[k] = outcome{res, err, i}
		})
	}
	wg.Wait()

	raw := readStream(t, st, budget.Stream(expansionLine))
	line := lineState(t, procs[0], st)
	if line.Available().IsNegative() {
		t.Fatalf("line over-reserved: allocated %s, reserved %s", line.Allocated, line.Reserved)
	}
	reserved := map[string]int{}
	for i := range raw {
		if raw[i].Type == "FundsReserved" {
			reserved[string(raw[i].Data)]++
		}
	}
	for data, c := range reserved {
		if c > 1 {
			t.Errorf("reservation %s recorded %d times", data, c)
		}
	}
	if got := len(reserved); got != 10 {
		t.Errorf("%d reservations recorded, want the line's 10", got)
	}
	held := map[int]bool{}
	for _, o := range out {
		switch {
		case o.err == nil && len(o.res.EventIDs) > 0:
			for j, id := range o.res.EventIDs {
				v := o.res.FirstVersion + uint64(j)
				if v >= uint64(len(raw)) || raw[v].ID != id {
					t.Fatalf("command %d: result names event %s at version %d, which the stream does not hold there", o.i, id, v)
				}
			}
			if last := raw[o.res.LastVersion]; o.res.Position < last.Position {
				t.Errorf("command %d: position %d before its last event's %d", o.i, o.res.Position, last.Position)
			}
			held[o.i] = true
		case o.err == nil:
			// A repeat: its reservation must be in the stream.
			if _, ok := line.Ops[fmt.Sprintf("res-%03d", o.i)]; !ok {
				t.Errorf("command %d: nil error, no events, and its reservation is not in the stream", o.i)
			}
			held[o.i] = true
		case errors.Is(o.err, domain.ErrRejected):
			// A refusal acknowledges nothing; if an earlier run of the
			// same command reserved, the check below wants that run
			// acknowledged.
		default:
			t.Errorf("command %d: %v", o.i, o.err)
		}
	}
	for i := range n {
		_, in := line.Ops[fmt.Sprintf("res-%03d", i)]
		if in != held[i] {
			t.Errorf("command %d: reserved in the stream %v, acknowledged %v", i, in, held[i])
		}
	}
}

// TestKeyedAllocationRetriedOnTwoProcesses: an allocation to a
// line (the API's RecordAllocation step) sent 16 times at once under one
// idempotency key and one command ID (as the API derives it from the
// key) to two processes whose folds of the line are warm and go stale:
// the line is allocated once, every sender gets that allocation's event,
// and the key with another amount is a mismatch.
func TestKeyedAllocationRetriedOnTwoProcesses(t *testing.T) {
	ctx := context.Background()
	st := openStore(t, t.TempDir())
	procs := []*ledger.Service{approvalService(t, st), approvalService(t, st)}
	if err := allocate(ctx, procs[0], 10); err != nil {
		t.Fatal(err)
	}
	for p, svc := range procs {
		if _, err := reviewReserve(ctx, svc, uuid.New(), 100+p); err != nil {
			t.Fatal(err)
		}
	}
	id := uuid.NewSHA1(uuid.NameSpaceURL, []byte("alloc-key"))
	allocation := func(svc *ledger.Service, grants int64) (ledger.Result, error) {
		cmd := budget.RecordAllocation{AllocationID: "alloc-2", BudgetLineID: expansionLine, FundID: "fund-1",
			Programme: programme.Expansion, Region: region.Haixi, FiscalYear: programme.FiscalYear(2025), Amount: times(grants),
			Actor: "admin1", Role: role.Administrator, At: claimAt}
		env := ledger.Command{ID: id, Name: "RecordAllocation", IdempotencyKey: "alloc-key", Actor: "admin1", Payload: cmd}
		return ledger.Handle(ctx, svc, ledger.BudgetLineAggregate(expansionLine), env,
			func(s budget.State) ([]domain.Event, error) { return budget.Decide(s, cmd) })
	}
	const senders = 16
	results := make([]ledger.Result, senders)
	errs := make([]error, senders)
	var wg sync.WaitGroup
	for i := range senders {
		wg.Go(func() { results[i], errs[i] = allocation(procs[i%2], 5) })
	}
	wg.Wait()
	raw := readStream(t, st, budget.Stream(expansionLine))
	var allocated []eventstore.Event
	for _, ev := range raw {
		if ev.Type == "BudgetAllocated" && ev.Metadata.IdempotencyKey == "alloc-key" {
			allocated = append(allocated, ev)
		}
	}
	if len(allocated) != 1 {
		t.Fatalf("the keyed allocation is recorded %d times, want once", len(allocated))
	}
	for i := range senders {
		if errs[i] != nil || len(results[i].EventIDs) != 1 || results[i].EventIDs[0] != allocated[0].ID || results[i].FirstVersion != allocated[0].Version {
			t.Errorf("sender %d: %+v, %v; want the allocation at version %d", i, results[i], errs[i], allocated[0].Version)
		}
	}
	if !lineState(t, procs[0], st).Allocated.Equal(times(15)) {
		t.Errorf("line allocated %s, want %s", lineState(t, procs[0], st).Allocated, times(15))
	}
	for _, svc := range procs {
		if _, err := allocation(svc, 6); !errors.Is(err, ledger.ErrIdempotencyMismatch) {
			t.Errorf("the key with another amount: err = %v, want ErrIdempotencyMismatch", err)
		}
	}
}
