package projections_test

import (
	"bytes"
	"fmt"
	"math/rand/v2"
	"reflect"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/haixi-hrss/fundledger/domain/claim"
	"github.com/haixi-hrss/fundledger/domain/role"
	"github.com/haixi-hrss/fundledger/projections"
)

// pageWorld drives several Claims models through one random sequence of
// claim events: submissions of claims with random programme, county,
// employer or person and submitter, and then any claim event on any
// claim, recorded at random instants within 40 s, so ties and clocks that
// go back both occur and every status transition moves rows between
// indexes.
type pageWorld struct {
	t    *testing.T
	rng  *rand.Rand
	sims []*claimSim
	n    int
}

var (
	pageActors    = []string{"clerk-1", "clerk-2", "appr-1", "appr-2"}
	pageEmployers = []string{"91632801MA0000001X", "91632801MA0000002X", "91632801MA0000003X"}
	pageBase      = time.Date(2025, 3, 1, 9, 0, 0, 0, time.UTC)
)

func (w *pageWorld) step() {
	w.t.Helper()
	at := pageBase.Add(time.Duration(w.rng.IntN(40)) * time.Second)
	if w.n == 0 || w.rng.IntN(4) == 0 {
		id := fmt.Sprintf("c-%03d", w.n)
		w.n++
		who := claim.Beneficiary{Kind: claim.Person, Ref: fmt.Sprintf("%064x", w.n)}
		if w.rng.IntN(4) > 0 {
			who = claim.Beneficiary{Kind: claim.Employer, Ref: pageEmployers[w.rng.IntN(len(pageEmployers))]}
		}
		p, county, clerk := simProgrammes[w.rng.IntN(3)], simCounties[w.rng.IntN(3)], pageActors[w.rng.IntN(len(pageActors))]
		for _, s := range w.sims {
			s.submit(w.t, id, p, county, who, clerk, at)
		}
		return
	}
	id := fmt.Sprintf("c-%03d", w.rng.IntN(w.n))
	ev := simEvent(w.rng, w.rng.IntN(simEventKinds), pageActors[w.rng.IntN(len(pageActors))])
	for _, s := range w.sims {
		s.apply(w.t, id, ev, at)
	}
}

func (w *pageWorld) filter() projections.ClaimFilter {
	var f projections.ClaimFilter
	if w.rng.IntN(2) == 0 {
		f.Status = append(simStatuses, "no-such-status")[w.rng.IntN(len(simStatuses)+1)]
	}
	if w.rng.IntN(2) == 0 {
		f.Programme = simProgrammes[w.rng.IntN(4)]
	}
	if w.rng.IntN(2) == 0 {
		f.County = simCounties[w.rng.IntN(4)]
	}
	if w.rng.IntN(3) == 0 {
		f.Employer = pageEmployers[w.rng.IntN(len(pageEmployers))]
	}
	return f
}

// walk reads a list page by page from the start, limit rows a page,
// stepping the world after each of the first mutations pages. Each page
// must be the brute-force list after its cursor: exactly its first limit
// rows when exact, otherwise a prefix of them whose cursor skips none of
// the rest. It returns the rows read.
func (w *pageWorld) walk(what string, s *claimSim, sel func(projections.ClaimRow) bool, limit int, exact bool, mutations int,
	read func(after projections.ClaimCursor, limit int) projections.ClaimPage) []projections.ClaimRow {
	w.t.Helper()
	var all []projections.ClaimRow
	var after projections.ClaimCursor
	list := rowsAfter(s.c, s.ids, after, sel)
	for page := range 1000 {
		want := suffixAfter(list, after)
		p := read(after, limit)
		n := min(limit, len(want))
		switch {
		case exact && (!rowsEqual(p.Rows, want[:n]) || p.More != (len(want) > limit)):
			w.t.Fatalf("%s after %v limit %d: %v more=%v, want %v of %v", what, after, limit, ids(p.Rows), p.More, ids(want[:n]), ids(want))
		case len(p.Rows) > n || !rowsEqual(p.Rows, want[:len(p.Rows)]) || len(p.Rows) < n && !p.More:
			w.t.Fatalf("%s after %v limit %d: %v more=%v, want a prefix of %v", what, after, limit, ids(p.Rows), p.More, ids(want))
		}
		all = append(all, p.Rows...)
		if !p.More {
			return all
		}
		if rest := suffixAfter(list, p.Next); !rowsEqual(rest, want[len(p.Rows):]) {
			w.t.Fatalf("%s: cursor %v after a page of %v leaves %v, want %v", what, p.Next, ids(p.Rows), ids(rest), ids(want[len(p.Rows):]))
		}
		if !p.Next.At.After(after.At) && !(p.Next.At.Equal(after.At) && p.Next.ID > after.ID) {
			w.t.Fatalf("%s: cursor %v does not move past %v", what, p.Next, after)
		}
		after = p.Next
		if page < mutations {
			w.step()
			list = rowsAfter(s.c, s.ids, projections.ClaimCursor{}, sel)
		}
	}
	w.t.Fatalf("%s: more than 1000 pages", what)
	return nil
}

// suffixAfter is the part of rows, in queue order, after the cursor.
func suffixAfter(rows []projections.ClaimRow, after projections.ClaimCursor) []projections.ClaimRow {
	i, _ := slices.BinarySearchFunc(rows, after, func(r projections.ClaimRow, c projections.ClaimCursor) int {
		if n := r.LastChange.Compare(c.At); n != 0 {
			return n
		}
		if r.ID <= c.ID {
			return -1
		}
		return 1
	})
	return rows[i:]
}

func rowsEqual(a, b []projections.ClaimRow) bool {
	return len(a) == len(b) && (len(a) == 0 || reflect.DeepEqual(a, b))
}

// check compares s's pages with the brute force for random filters and
// every role and actor; mutate steps the world between pages.
func (w *pageWorld) check(s *claimSim, mutate bool) {
	mutations := 0
	if mutate {
		mutations = 5
	}
	w.t.Helper()
	for range 12 {
		f := w.filter()
		limit := 1 + w.rng.IntN(6)
		w.walk(fmt.Sprintf("FindPage(%+v)", f), s, filterSel(f), limit, true, mutations,
			func(after projections.ClaimCursor, limit int) projections.ClaimPage {
				return s.c.FindPage(f, after, limit)
			})
		if !mutate {
			if got, want := s.c.Find(f), rowsAfter(s.c, s.ids, projections.ClaimCursor{}, filterSel(f)); !rowsEqual(got, want) {
				w.t.Fatalf("Find(%+v) = %v, want %v", f, ids(got), ids(want))
			}
		}
	}
	for _, r := range []string{role.Clerk, role.Approver, role.Treasurer, role.Auditor} {
		for _, actor := range pageActors {
			limit, budget := 1+w.rng.IntN(6), w.rng.IntN(4)-1
			what := fmt.Sprintf("NextWorkPage(%s, %s) budget %d", r, actor, budget)
			got := w.walk(what, s, workSel(r, actor), limit, budget < 0 || r != role.Approver, mutations,
				func(after projections.ClaimCursor, limit int) projections.ClaimPage {
					return s.c.NextWorkPageWithBudget(r, actor, after, limit, budget)
				})
			if mutate {
				continue
			}
			want := rowsAfter(s.c, s.ids, projections.ClaimCursor{}, workSel(r, actor))
			if !rowsEqual(got, want) {
				w.t.Fatalf("%s pages put together %v, want %v", what, ids(got), ids(want))
			}
			if all := s.c.NextWork(r, actor); !rowsEqual(all, want) {
				w.t.Fatalf("NextWork(%s, %s) = %v, want %v", r, actor, ids(all), ids(want))
			}
		}
	}
}

// TestClaimPagesMatchBruteForce checks FindPage, NextWorkPage, Find and
// NextWork against a brute-force filter and sort of every row, on random
// event sequences: on a model queried from early on (its indexes built
// once, then kept by Apply), while claims change between pages, on one
// first queried at the end (indexes built from the whole state), and on
// one restored from the snapshot, which must hold no index.
func TestClaimPagesMatchBruteForce(t *testing.T) {
	for seed := range uint64(4) {
		t.Run(fmt.Sprint(seed), func(t *testing.T) {
			live, late := &claimSim{c: projections.NewClaims()}, &claimSim{c: projections.NewClaims()}
			w := &pageWorld{t: t, rng: rand.New(rand.NewPCG(seed, 4)), sims: []*claimSim{live, late}}
			for i := range 600 {
				w.step()
				if i >= 20 && w.rng.IntN(100) == 0 {
					w.check(live, w.rng.IntN(2) == 0)
				}
			}
			w.check(late, false)
			w.check(live, false)

			restored := &claimSim{c: projections.NewClaims(), ids: live.ids}
			a, err := live.c.MarshalState()
			if err != nil {
				t.Fatal(err)
			}
			b, err := late.c.MarshalState()
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(a, b) {
				t.Fatal("the model queried throughout and the one queried at the end marshal differently")
			}
			if err := restored.c.UnmarshalState(a); err != nil {
				t.Fatal(err)
			}
			if c, err := restored.c.MarshalState(); err != nil || !bytes.Equal(c, a) {
				t.Fatalf("restored model marshals differently (err %v)", err)
			}
			w.sims = []*claimSim{restored}
			w.check(restored, false)
			w.check(restored, true)
		})
	}
}

// TestNextWorkPageSkipBudget pins the approver's bound: with a run of the
// actor's own claims longer than the budget, a page stops after the
// budget with no rows, More set and a cursor past the claims it skipped,
// and the next page goes on from there.
func TestNextWorkPageSkipBudget(t *testing.T) {
	s := &claimSim{c: projections.NewClaims()}
	who := claim.Beneficiary{Kind: claim.Employer, Ref: pageEmployers[0]}
	rng := rand.New(rand.NewPCG(1, 2))
	for i, clerk := range []string{"appr-1", "appr-1", "appr-1", "clerk-1"} {
		id, at := fmt.Sprintf("c-%d", i), pageBase.Add(time.Duration(i)*time.Second)
		s.submit(t, id, simProgrammes[0], simCounties[0], who, clerk, at)
		s.apply(t, id, simEvent(rng, 0, "clerk-2"), at)
	}
	p := s.c.NextWorkPageWithBudget(role.Approver, "appr-1", projections.ClaimCursor{}, 10, 2)
	if len(p.Rows) != 0 || !p.More || p.Next.ID != "c-2" {
		t.Fatalf("first page %v more=%v next=%v, want none, more, after c-2", ids(p.Rows), p.More, p.Next)
	}
	p = s.c.NextWorkPageWithBudget(role.Approver, "appr-1", p.Next, 10, 2)
	wantIDs(t, "second page", p.Rows, "c-3")
	if p.More {
		t.Errorf("second page says more follow (next %v)", p.Next)
	}
	wantIDs(t, "whole list", s.c.NextWork(role.Approver, "appr-1"), "c-3")
	if p := s.c.NextWorkPage(role.Approver, "appr-1", projections.ClaimCursor{}, 10); len(p.Rows) != 1 || p.More {
		t.Errorf("with the default budget: %v more=%v", ids(p.Rows), p.More)
	}
}

// TestClaimsFirstQueriesRunTogether starts many queries at once on a
// restored model, as concurrent requests under Runner.Read do: one of
// them builds the indexes while the others wait, and all answer as the
// brute force does (run with -race, it also checks the build is
// serialised).
func TestClaimsFirstQueriesRunTogether(t *testing.T) {
	src := &claimSim{c: projections.NewClaims()}
	w := &pageWorld{t: t, rng: rand.New(rand.NewPCG(9, 9)), sims: []*claimSim{src}}
	for range 4000 {
		w.step()
	}
	state, err := src.c.MarshalState()
	if err != nil {
		t.Fatal(err)
	}
	c := projections.NewClaims()
	if err := c.UnmarshalState(state); err != nil {
		t.Fatal(err)
	}
	filters := []projections.ClaimFilter{{}, {Status: claim.StatusChecked}, {County: simCounties[1]}, {Employer: pageEmployers[0]}}
	got := make([][]projections.ClaimRow, len(filters)*4)
	var wg sync.WaitGroup
	start := make(chan struct{})
	for i := range got {
		wg.Go(func() {
			<-start
			got[i] = c.FindPage(filters[i%len(filters)], projections.ClaimCursor{}, 1000).Rows
		})
	}
	// A snapshot save reads every entry under the same read lock as the
	// queries whose first one builds the index.
	saved := make([][]byte, 2)
	for i := range saved {
		wg.Go(func() {
			<-start
			saved[i], _ = c.MarshalState()
		})
	}
	close(start)
	wg.Wait()
	for i, b := range saved {
		if !bytes.Equal(b, state) {
			t.Errorf("snapshot %d taken beside the first queries differs from the restored state", i)
		}
	}
	for i, rows := range got {
		f := filters[i%len(filters)]
		if want := rowsAfter(c, src.ids, projections.ClaimCursor{}, filterSel(f)); !rowsEqual(rows, want) || len(want) == 0 {
			t.Errorf("FindPage(%+v) = %v, want %v (not empty)", f, ids(rows), ids(want))
		}
	}
}
