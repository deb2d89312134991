package budget

import (
	"testing"

	"github.com/haixi-hrss/fundledger/domain/aggregatetest"
)

// TestApplyEqualsFoldAndUndoes: folding in place gives what FoldFrom
// gives, and the undo brings the state back exactly, maps included, even
// when the run touches one claim several times and overwrites nothing.
func TestApplyEqualsFoldAndUndoes(t *testing.T) {
	l := allocated(t)
	l.Must(reserve("r1", "c1", "300"))
	l.Must(spend("p1", "c1", "120.50"))
	l.Must(reserve("r2", "c2", "100"))
	l.Must(release("x2", "c2", "100"))
	l.Must(recoverFunds("k1", "c1", "20.50"))
	for cut := range len(l.History) + 1 {
		st := Fold(l.History[:cut])
		before := aggregatetest.Canonical(t, st)
		undo := st.Apply(l.History[cut:]...)
		if got, want := aggregatetest.Canonical(t, st), aggregatetest.Canonical(t, l.State); string(got) != string(want) {
			t.Fatalf("cut %d: Apply = %s\nwant %s", cut, got, want)
		}
		undo()
		if got := aggregatetest.Canonical(t, st); string(got) != string(before) {
			t.Fatalf("cut %d: after undo %s\nwant %s", cut, got, before)
		}
		if len(st.Claims) != len(Fold(l.History[:cut]).Claims) || len(st.Ops) != len(Fold(l.History[:cut]).Ops) {
			t.Fatalf("cut %d: undo left %d claims and %d ops", cut, len(st.Claims), len(st.Ops))
		}
	}
}

// TestApplyOnTheZeroState: a state without maps gets its own.
func TestApplyOnTheZeroState(t *testing.T) {
	l := allocated(t)
	var st State
	st.Apply(l.History...)
	if got, want := aggregatetest.Canonical(t, st), aggregatetest.Canonical(t, l.State); string(got) != string(want) {
		t.Fatalf("Apply = %s\nwant %s", got, want)
	}
}

// TestCloneSharesNoMap: Apply on a clone leaves the original alone.
func TestCloneSharesNoMap(t *testing.T) {
	l := allocated(t)
	l.Must(reserve("r1", "c1", "300"))
	st := Fold(l.History[:2])
	before := aggregatetest.Canonical(t, st)
	c := st.Clone()
	c.Apply(l.History[2:]...)
	if got := aggregatetest.Canonical(t, st); string(got) != string(before) {
		t.Fatalf("Apply on a clone changed the original:\nbefore %s\nafter  %s", before, got)
	}
	if _, ok := c.Claims["c1"]; !ok {
		t.Fatal("the clone did not take the reservation")
	}
}
