package budget

import "github.com/haixi-hrss/fundledger/domain"

// A line's maps grow with every claim on it, and FoldFrom copies them to
// leave its input alone: a cost per command that grows with the line. A
// writer that alone holds a state (the ledger's cached fold of a line,
// under the line's lock) folds into it in place with Apply instead, and
// takes a fold back with the returned undo when its append fails. Decide,
// Evolve and FoldFrom stay pure.

// Apply folds events into s in place, changing s's maps, and returns a
// function that restores s, maps included, to what it was before. It is
// for a state no one else holds: use FoldFrom otherwise. The undo must be
// called, if at all, before s is changed again, and at most once.
func (s *State) Apply(events ...domain.Event) (undo func()) {
	if s.Claims == nil {
		s.Claims = map[string]Hold{}
	}
	if s.Ops == nil {
		s.Ops = map[string]Op{}
	}
	before := *s
	prior := make([]touched, 0, len(events))
	for _, e := range events {
		claimID, opID := keysOf(e)
		t := touched{claimID: claimID, opID: opID}
		if claimID != "" {
			t.hold, t.hadHold = s.Claims[claimID]
		}
		if opID != "" {
			t.op, t.hadOp = s.Ops[opID]
		}
		prior = append(prior, t)
		s.apply(e)
	}
	return func() {
		for i := len(prior) - 1; i >= 0; i-- {
			prior[i].restore(s)
		}
		*s = before
	}
}

// Clone returns a copy of s that shares no map with it, so Apply on
// either leaves the other alone.
func (s State) Clone() State {
	s.Claims = clone(s.Claims)
	s.Ops = clone(s.Ops)
	return s
}

// touched is what one event found under the keys it changes.
type touched struct {
	claimID, opID string
	hold          Hold
	op            Op
	hadHold       bool
	hadOp         bool
}

func (t touched) restore(s *State) {
	if t.claimID != "" {
		if t.hadHold {
			s.Claims[t.claimID] = t.hold
		} else {
			delete(s.Claims, t.claimID)
		}
	}
	if t.opID != "" {
		if t.hadOp {
			s.Ops[t.opID] = t.op
		} else {
			delete(s.Ops, t.opID)
		}
	}
}

// keysOf returns the claim and operation keys apply changes for e; empty
// when it changes none.
func keysOf(e domain.Event) (claimID, opID string) {
	switch e := e.(type) {
	case *Allocated:
		return "", e.AllocationID
	case *Deallocated:
		return "", e.RevocationID
	case *FundsReserved:
		return e.ClaimID, e.ReservationID
	case *FundsSpent:
		return e.ClaimID, e.PaymentID
	case *FundsReleased:
		return e.ClaimID, e.ReleaseID
	case *FundsRecovered:
		return e.ClaimID, e.RecoveryID
	}
	return "", ""
}
