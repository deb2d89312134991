package projections

import (
	"cmp"
	"math"
	"slices"
	"strings"
	"time"

	"github.com/tidwall/btree"

	"github.com/haixi-hrss/fundledger/domain/claim"
	"github.com/haixi-hrss/fundledger/domain/programme"
	"github.com/haixi-hrss/fundledger/domain/region"
)

// work is the queue a claim waits in: who may take its next step.
type work uint8

const (
	noWork work = iota
	clerkWork
	approverWork
	treasurerWork
)

// workOf classifies a claim as NextWork lists it; the approver's
// maker-checker exclusion depends on the asking actor and is applied
// while a page is read.
func workOf(s *claim.State) work {
	switch s.Status {
	case claim.StatusSubmitted, claim.StatusApproved, claim.StatusInDisclosure:
		return clerkWork
	case claim.StatusChecked:
		return approverWork
	case claim.StatusDisclosed:
		if slices.ContainsFunc(s.Instalments, func(in claim.Instalment) bool {
			return in.Status == claim.InstalmentScheduled || in.Status == claim.InstalmentFailed || in.Status == claim.InstalmentInFlight
		}) {
			return treasurerWork
		}
	}
	return noWork
}

// claimKeys is the set of fields an index family is keyed by before
// queue order.
type claimKeys uint8

const (
	byStatus claimKeys = 1 << iota
	byProgramme
	byCounty
	byEmployer
	byWork
)

// families are the indexes each entry is listed in: every combination of
// status, programme and county (so a filter on any of them reads one
// tree), the employer's claims, and the claims waiting for each role.
var families = [...]claimKeys{0, byStatus, byProgramme, byCounty, byStatus | byProgramme, byStatus | byCounty,
	byProgramme | byCounty, byStatus | byProgramme | byCounty, byEmployer, byWork}

// lead names one tree: a family and the values of its fields.
type lead struct {
	k claimKeys
	w work
	s claim.Status
	p programme.Code
	r region.Code
	e string
}

// leadOf is the tree of family k that lists e, if any: the employer
// family lists no person beneficiaries and the work family no claim that
// nobody needs to act on.
func leadOf(k claimKeys, e *claimEntry) (lead, bool) {
	l := lead{k: k}
	if k&byWork != 0 {
		l.w = workOf(&e.State)
	}
	if k&byStatus != 0 {
		l.s = e.State.Status
	}
	if k&byProgramme != 0 {
		l.p = e.State.Programme
	}
	if k&byCounty != 0 {
		l.r = e.State.Region
	}
	if k&byEmployer != 0 {
		l.e = e.employer()
	}
	return l, (k != byEmployer || l.e != "") && (k != byWork || l.w != noWork)
}

// queued is an entry at its place in queue order. The time is kept in
// the item so a search compares within the tree's own nodes; the entry
// is read only to break a tie.
type queued struct {
	at int64
	e  *claimEntry
}

// atKey is t in Unix nanoseconds, which orders as t does from 1678 to
// 2262; times outside, which only a forged cursor can hold, sort at the
// ends.
func atKey(t time.Time) int64 {
	switch {
	case t.Before(minAt):
		return math.MinInt64
	case t.After(maxAt):
		return math.MaxInt64
	}
	return t.UnixNano()
}

var (
	minAt = time.Unix(0, math.MinInt64)
	maxAt = time.Unix(0, math.MaxInt64)
)

func queuedOf(e *claimEntry) queued { return queued{at: atKey(e.LastChange), e: e} }

// queueCompare is the officers' queue: least recently changed first,
// ties by ID.
func queueCompare(a, b queued) int {
	if a.at != b.at {
		return cmp.Compare(a.at, b.at)
	}
	return strings.Compare(a.e.State.ID, b.e.State.ID)
}

func queueLess(a, b queued) bool { return queueCompare(a, b) < 0 }

type claimTree = btree.BTreeG[queued]

// claimIndex holds one ordered tree per lead with any entries.
type claimIndex struct {
	trees map[lead]*claimTree
}

// tree returns l's tree, creating it when create is set.
func (x *claimIndex) tree(l lead, create bool) *claimTree {
	t := x.trees[l]
	if t == nil && create {
		// The Runner's lock serialises writes with reads; the tree's own
		// lock would only add cost.
		t = btree.NewBTreeGOptions(queueLess, btree.Options{NoLocks: true})
		x.trees[l] = t
	}
	return t
}

// buildClaimIndex indexes every entry, in queue order so that each insert
// appends to its tree.
func buildClaimIndex(entries *btree.Map[string, *claimEntry]) *claimIndex {
	all := make([]queued, 0, entries.Len())
	entries.Scan(func(_ string, e *claimEntry) bool {
		all = append(all, queuedOf(e))
		return true
	})
	slices.SortFunc(all, queueCompare)
	x := &claimIndex{trees: map[lead]*claimTree{}}
	// Each family's last tree, to spare a map lookup for runs of one
	// value (the whole family 0, and the larger counties and statuses).
	var last [len(families)]struct {
		l lead
		t *claimTree
	}
	for _, q := range all {
		for i, k := range families {
			l, ok := leadOf(k, q.e)
			if !ok {
				continue
			}
			if c := &last[i]; c.t == nil || c.l != l {
				c.l, c.t = l, x.tree(l, true)
			}
			last[i].t.Load(q)
		}
	}
	return x
}

// add indexes e under its current state; remove must see the same state,
// so Apply removes an entry before it changes and adds it back after.
// Nothing is cached on the entry: a lazy build runs under the Runner's
// read lock, beside other readers of the same entries (queries, and a
// save marshalling a frozen image).
func (x *claimIndex) add(e *claimEntry) {
	q := queuedOf(e)
	for _, k := range families {
		if l, ok := leadOf(k, e); ok {
			x.tree(l, true).Set(q)
		}
	}
}

func (x *claimIndex) remove(e *claimEntry) {
	q := queuedOf(e)
	for _, k := range families {
		if l, ok := leadOf(k, e); ok {
			if t := x.tree(l, false); t != nil {
				if t.Delete(q); t.Len() == 0 {
					delete(x.trees, l) // a status or work tree emptied
				}
			}
		}
	}
}
