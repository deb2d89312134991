package projections

import (
	"fmt"
	"strings"
)

// perfRetention is a cell's jobs retained by its refund recipients, kept
// up to date as payments and headcounts arrive so that a query reads it
// instead of working it out over thousands of recipients: jobs sums
// retained(d, end) over the recipients d measured at the cell's period
// end, unmeasured counts the others. It follows from the cells'
// recipients and the employers' headcounts, so the snapshot does not
// hold it; loading works it out again.
type perfRetention struct {
	jobs, unmeasured int
}

// count adds (sign +1) or takes away (sign −1) one recipient's measure.
func (r *perfRetention) count(n int, ok bool, sign int) {
	if ok {
		r.jobs += sign * n
	} else {
		r.unmeasured += sign
	}
}

// perfRecipientOf is the tallies of the cells an employer is a refund
// recipient of whose periods end in the same month: a headcount report
// changes the employer's measure once per period end, not once per cell.
type perfRecipientOf struct {
	end   int // perfMonthKey of the periods' last month
	cells []*perfRetention
}

// perfMeasure is an employer's measure at one of its period ends.
type perfMeasure struct {
	group int
	n     int
	ok    bool
}

// addRecipient counts employer d, new among the refund recipients of the
// cell with key, whose period ends in month end.
func (p *Performance) addRecipient(d, key string, end int) {
	if !p.counted.Load() {
		return
	}
	r := p.tally(key)
	p.file(d, r, end)
	n, ok := p.retained(d, end)
	r.count(n, ok, 1)
}

// tally returns the tally of the cell with key, creating it.
func (p *Performance) tally(key string) *perfRetention {
	r, ok := p.retention[key]
	if !ok {
		r = &perfRetention{}
		p.retention[key] = r
	}
	return r
}

// file lists tally r among employer d's, under period end.
func (p *Performance) file(d string, r *perfRetention, end int) {
	groups := p.recipientOf[d]
	for i := range groups {
		if groups[i].end == end {
			groups[i].cells = append(groups[i].cells, r)
			return
		}
	}
	p.recipientOf[d] = append(groups, perfRecipientOf{end: end, cells: []*perfRetention{r}})
}

// report records employer d's headcount for month and moves the tallies
// of the cells it is a recipient of by the change in its measure. Only a
// period ending in the month or later can see the report.
func (p *Performance) report(d string, emp *perfEmployer, month string, insured int) {
	groups := p.recipientOf[d]
	if len(groups) == 0 || !p.counted.Load() {
		emp.report(month, insured)
		return
	}
	m := perfMonthKey(month)
	before := p.measures[:0]
	for i, g := range groups {
		if g.end >= m {
			n, ok := p.retained(d, g.end)
			before = append(before, perfMeasure{group: i, n: n, ok: ok})
		}
	}
	emp.report(month, insured)
	for _, old := range before {
		g := groups[old.group]
		n, ok := p.retained(d, g.end)
		if n == old.n && ok == old.ok {
			continue
		}
		for _, r := range g.cells {
			r.count(old.n, old.ok, -1)
			r.count(n, ok, 1)
		}
	}
	p.measures = before
}

// countedRetention counts the tallies if they are not counted yet.
func (p *Performance) countedRetention() error {
	if p.counted.Load() {
		return nil
	}
	p.count.Lock()
	defer p.count.Unlock()
	if p.counted.Load() {
		return nil
	}
	if err := p.countRetention(); err != nil {
		return fmt.Errorf("performance: %w", err)
	}
	p.counted.Store(true)
	return nil
}

// countRetention works every cell's tally out afresh, after loading:
// it files the cells first, then measures each employer once per period
// end rather than once per cell (a refund counts in four cells of each
// period).
func (p *Performance) countRetention() error {
	p.retention = map[string]*perfRetention{}
	p.recipientOf = make(map[string][]perfRecipientOf, p.s.Employers.len())
	var err error
	p.s.Cells.scan(func(key string, c *perfCell) bool {
		if c.Recipients.len() == 0 {
			return true
		}
		var per perfPeriod
		if per, err = parsePerfPeriod("cell", key[strings.LastIndexByte(key, '|')+1:]); err != nil {
			return false
		}
		end, r := perfMonthKey(per.end()), p.tally(key)
		for d := range c.Recipients.index {
			p.file(d, r, end)
		}
		return true
	})
	if err != nil {
		return err
	}
	for d, groups := range p.recipientOf {
		for _, g := range groups {
			n, ok := p.retained(d, g.end)
			for _, r := range g.cells {
				r.count(n, ok, 1)
			}
		}
	}
	return nil
}
