package budget

import (
	"fmt"
	"math/rand/v2"
	"testing"

	"github.com/haixi-hrss/fundledger/domain"
	"github.com/haixi-hrss/fundledger/domain/aggregatetest"
	"github.com/haixi-hrss/fundledger/domain/money"
)

// randomEvent draws any budget event over small pools of claim and
// operation IDs, so runs touch one claim or operation again and again
// (the undo must restore the first value, not a later one). Events need
// not be ones Decide would give: Apply must equal FoldFrom on any run.
func randomEvent(r *rand.Rand) domain.Event {
	claim := fmt.Sprintf("c%d", r.IntN(4))
	op := fmt.Sprintf("op%d", r.IntN(6))
	amt := money.MustParse(fmt.Sprintf("%d.%02d", r.IntN(500), r.IntN(100)))
	switch r.IntN(8) {
	case 0:
		return &LineOpened{BudgetLineID: "L", FundID: fmt.Sprintf("f%d", r.IntN(2))}
	case 1:
		return &Allocated{AllocationID: op, Amount: amt}
	case 2:
		return &Deallocated{RevocationID: op, Amount: amt}
	case 3:
		return &FundsReserved{ReservationID: op, ClaimID: claim, Amount: amt}
	case 4:
		return &FundsSpent{PaymentID: op, ClaimID: claim, Amount: amt}
	case 5:
		return &FundsReleased{ReleaseID: op, ClaimID: claim, Amount: amt}
	case 6:
		return &FundsRecovered{RecoveryID: op, ClaimID: claim, Amount: amt}
	}
	return &Allocated{AllocationID: op, Amount: amt}
}

func randomRun(r *rand.Rand, n int) []domain.Event {
	evs := make([]domain.Event, n)
	for i := range evs {
		evs[i] = randomEvent(r)
	}
	return evs
}

// TestApplyUndoMatchesFoldFrom is a property test of the in-place
// fold the ledger's combined budget-line batches use: from a folded
// prefix, a series of Apply calls (one per combined command) gives after
// each what FoldFrom gives on the same events, leaves no copy taken
// before it changed, and undoing them newest first (a refused or failed
// batch, or one a panic cut short after some of its commands) gives back
// each earlier state exactly, maps included.
func TestApplyUndoMatchesFoldFrom(t *testing.T) {
	r := rand.New(rand.NewPCG(22, 48))
	for trial := range 400 {
		prefix := randomRun(r, r.IntN(8))
		st := Fold(prefix)
		snapshots := [][]byte{aggregatetest.Canonical(t, st)}
		all := append([]domain.Event(nil), prefix...)
		clone := st.Clone()
		cloneBefore := aggregatetest.Canonical(t, clone)
		var undos []func()
		for range 1 + r.IntN(5) {
			batch := randomRun(r, r.IntN(4))
			all = append(all, batch...)
			undos = append(undos, st.Apply(batch...))
			want := aggregatetest.Canonical(t, Fold(all))
			if got := aggregatetest.Canonical(t, st); string(got) != string(want) {
				t.Fatalf("trial %d: after Apply\n got %s\nwant %s", trial, got, want)
			}
			snapshots = append(snapshots, want)
		}
		if got := aggregatetest.Canonical(t, clone); string(got) != string(cloneBefore) {
			t.Fatalf("trial %d: Apply changed a clone taken before it:\n got %s\nwant %s", trial, got, cloneBefore)
		}
		// Undo only the newest few (a batch refused after some commands),
		// check, then apply a fresh run on top, as the next batch does.
		k := r.IntN(len(undos) + 1)
		for i := len(undos) - 1; i >= len(undos)-k; i-- {
			undos[i]()
			if got := aggregatetest.Canonical(t, st); string(got) != string(snapshots[i]) {
				t.Fatalf("trial %d: undo %d\n got %s\nwant %s", trial, i, got, snapshots[i])
			}
		}
		kept := len(undos) - k
		base := Fold(prefix)
		if kept > 0 {
			// snapshots[kept] is the fold of prefix and the kept batches.
			if got := aggregatetest.Canonical(t, st); string(got) != string(snapshots[kept]) {
				t.Fatalf("trial %d: after partial undo\n got %s\nwant %s", trial, got, snapshots[kept])
			}
		} else if got, want := aggregatetest.Canonical(t, st), aggregatetest.Canonical(t, base); string(got) != string(want) {
			t.Fatalf("trial %d: after full undo\n got %s\nwant %s", trial, got, want)
		}
		next := randomRun(r, 1+r.IntN(3))
		want := aggregatetest.Canonical(t, FoldFrom(st, next...))
		st.Apply(next...)
		if got := aggregatetest.Canonical(t, st); string(got) != string(want) {
			t.Fatalf("trial %d: Apply after undo\n got %s\nwant %s", trial, got, want)
		}
	}
}
