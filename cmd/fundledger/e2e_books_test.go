package main

import (
	"fmt"
	"maps"
	"slices"
	"strings"
	"testing"

	"github.com/haixi-hrss/fundledger/api"
	"github.com/haixi-hrss/fundledger/projections"
)

// Money in the end-to-end tests is counted in fen (int64), so every
// expected figure is exact integer arithmetic on what the test posted.

// fenText formats fen as the API writes money: "1234.50".
func fenText(fen int64) string {
	sign := ""
	if fen < 0 {
		sign, fen = "-", -fen
	}
	return fmt.Sprintf("%s%d.%02d", sign, fen/100, fen%100)
}

// rateOf is amount × num ÷ den in fen, rounded half-up once, as the
// domain computes a rate.
func rateOf(fen, num, den int64) int64 { return (2*fen*num + den) / (2 * den) }

// percentOf is part ÷ whole as a percentage with two decimals, half-up.
func percentOf(part, whole int64) string {
	hundredths := (2*part*10000 + whole) / (2 * whole)
	return fmt.Sprintf("%d.%02d", hundredths/100, hundredths%100)
}

// e2eLine is the test's own account of a budget line.
type e2eLine struct {
	fund, programme, county                     string
	allocated, reserved, spent, released, recov int64
	// reservations is every amount ever reserved, which the evaluators'
	// rows count as the period's reserved money.
	reservations int64
}

func (l e2eLine) available() int64 { return l.allocated - l.reserved - l.spent + l.recov }

// e2eBooks is what the budget lines and funds must say, kept by the test
// from what it asked for, never from the server's answers.
type e2eBooks struct {
	lines    map[string]*e2eLine
	received map[string]int64
}

func newBooks() *e2eBooks {
	return &e2eBooks{lines: map[string]*e2eLine{}, received: map[string]int64{}}
}

func (b *e2eBooks) line(t *testing.T, id string) *e2eLine {
	t.Helper()
	l, ok := b.lines[id]
	if !ok {
		t.Fatalf("the test never allocated to budget line %s", id)
	}
	return l
}

// clone copies the books, for a snapshot at an instant.
func (b *e2eBooks) clone() *e2eBooks {
	c := newBooks()
	for id, l := range b.lines {
		cp := *l
		c.lines[id] = &cp
	}
	maps.Copy(c.received, b.received)
	return c
}

// lineText renders a budget line for comparison.
func lineText(id, fund, prog, county string, alloc, res, spent, rel, recov, avail string) string {
	return fmt.Sprintf("%s fund=%s %s/%s allocated=%s reserved=%s spent=%s released=%s recovered=%s available=%s",
		id, fund, prog, county, alloc, res, spent, rel, recov, avail)
}

func (b *e2eBooks) wantLines() []string {
	var out []string
	for _, id := range slices.Sorted(maps.Keys(b.lines)) {
		l := b.lines[id]
		out = append(out, lineText(id, l.fund, l.programme, l.county, fenText(l.allocated), fenText(l.reserved), fenText(l.spent),
			fenText(l.released), fenText(l.recov), fenText(l.available())))
	}
	return out
}

func gotLines(lines []projections.BudgetLine) []string {
	var out []string
	for _, l := range lines {
		out = append(out, lineText(l.ID, l.FundID, string(l.Programme), string(l.Region), l.Allocated.String(), l.Reserved.String(),
			l.Spent.String(), l.Released.String(), l.Recovered.String(), l.Available.String()))
	}
	slices.Sort(out)
	return out
}

// sameLines fails unless got and want list the same lines.
func sameLines(t *testing.T, what string, got, want []string) {
	t.Helper()
	if slices.Equal(got, want) {
		return
	}
	t.Fatalf("%s:\ngot\n  %s\nwant\n  %s", what, strings.Join(got, "\n  "), strings.Join(want, "\n  "))
}

// check compares every budget line and fund the server shows with the
// books: allocated, reserved, spent, released, recovered and available
// (allocated − reserved − spent + recovered) to the fen.
func (b *e2eBooks) check(t *testing.T, c *e2eClient, when string) {
	t.Helper()
	var page api.Page[projections.BudgetLine]
	c.get(eTreasurer, "/v1/budget-lines?limit=100", &page)
	if page.NextCursor != "" {
		t.Fatalf("%s: more budget lines than the test made", when)
	}
	sameLines(t, when+": budget lines", gotLines(page.Items), b.wantLines())

	allocated := map[string]int64{}
	for _, l := range b.lines {
		allocated[l.fund] += l.allocated
	}
	for _, id := range slices.Sorted(maps.Keys(b.received)) {
		var f projections.FundTotals
		c.get(eAdmin, "/v1/funds/"+id, &f)
		got := fmt.Sprintf("received=%s allocated=%s unallocated=%s", f.Received, f.Allocated, f.Unallocated)
		want := fmt.Sprintf("received=%s allocated=%s unallocated=%s", fenText(b.received[id]), fenText(allocated[id]), fenText(b.received[id]-allocated[id]))
		if got != want {
			t.Fatalf("%s: fund %s %s, want %s", when, id, got, want)
		}
	}
}
