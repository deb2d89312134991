package projections

import (
	"fmt"
	"slices"
	"strings"

	"github.com/haixi-hrss/fundledger/domain/calendar"
	"github.com/haixi-hrss/fundledger/domain/employer"
	"github.com/haixi-hrss/fundledger/domain/outcome/hire"
	"github.com/haixi-hrss/fundledger/domain/outcome/trainee"
	"github.com/haixi-hrss/fundledger/domain/programme"
	"github.com/haixi-hrss/fundledger/domain/region"
	"github.com/haixi-hrss/fundledger/eventstore"
)

// The outcomes of the Performance model: employers' headcounts, hires and
// their checkpoints, trainees and their placement. A hire or trainee is
// counted by adding its counts to its cells; when what is known of it
// changes (its claim is seen, a finding or a placement is recorded), its
// counts are taken out of the cells, it is updated, and they are added
// back, so its cells always hold exactly what it now says.

// perfEmployer is an employer's registered county and its monthly
// insured headcounts.
type perfEmployer struct {
	County string `json:"county,omitempty"`
	// Headcount is by month ("2025-03"), in month order, so a query
	// finds the latest report before a date by binary search.
	Headcount []perfMonth `json:"headcount,omitempty"`
}

type perfMonth struct {
	Month   string `json:"month"`
	Insured int    `json:"insured"`
}

// report records a month's headcount, replacing an earlier report of the
// same month (a correction).
func (emp *perfEmployer) report(month string, insured int) {
	i, found := slices.BinarySearchFunc(emp.Headcount, month, func(m perfMonth, t string) int { return strings.Compare(m.Month, t) })
	if found {
		emp.Headcount[i].Insured = insured
		return
	}
	emp.Headcount = slices.Insert(emp.Headcount, i, perfMonth{Month: month, Insured: insured})
}

// latest returns the last report for a month at or before the month
// whose perfMonthKey is end.
func (emp *perfEmployer) latest(end int) (perfMonth, bool) {
	i, found := slices.BinarySearchFunc(emp.Headcount, end, func(m perfMonth, t int) int { return perfMonthKey(m.Month) - t })
	if found {
		return emp.Headcount[i], true
	}
	if i == 0 {
		return perfMonth{}, false
	}
	return emp.Headcount[i-1], true
}

// perfMonthKey numbers month "YYYY-MM" as 12 × YYYY + MM, without
// allocating: a query calls it for every refund recipient.
func perfMonthKey(month string) int {
	n := 0
	for i := range 4 {
		n = 10*n + int(month[i]-'0')
	}
	return 12*n + 10*int(month[5]-'0') + int(month[6]-'0')
}

// perfHire is a subsidised hire and where it is counted.
type perfHire struct {
	Programme string        `json:"programme,omitempty"`
	County    string        `json:"county"`
	Employer  string        `json:"employer"`
	HiredOn   calendar.Date `json:"hiredOn"`
	// Findings maps 3, 6, 12 to the finding's date and whether the
	// person was still insured.
	Findings map[int]perfFinding `json:"findings,omitempty"`
}

type perfFinding struct {
	AsOf    calendar.Date `json:"asOf"`
	Insured bool          `json:"insured"`
}

// perfTrainee is a certified trainee and where it is counted.
type perfTrainee struct {
	// Programme is the certification's training programme; "" (a
	// certification recorded before it was named) counts as vocational
	// training.
	Programme string `json:"programme,omitempty"`
	County    string `json:"county"`
	// Named says the certification named County, so a placement does not
	// move the trainee.
	Named       bool          `json:"named,omitempty"`
	CertifiedOn calendar.Date `json:"certifiedOn"`
	Placed      bool          `json:"placed,omitempty"`
	Within      bool          `json:"within,omitempty"`
}

// employer returns the employer of env's stream for Apply to change,
// creating it.
func (p *Performance) employer(env *eventstore.Event) *perfEmployer {
	_, emp := p.employerOf(env)
	return emp
}

// employerOf returns the digest and the employer of env's stream, for
// Apply to change, creating it.
func (p *Performance) employerOf(env *eventstore.Event) (string, *perfEmployer) {
	d := perfDigest("unit", strings.TrimPrefix(env.Stream, employer.Stream("")))
	emp, ok := p.s.Employers.writable(d)
	if !ok {
		emp = &perfEmployer{}
		p.s.Employers.set(d, emp)
	}
	return d, emp
}

// countyOfUnit is an employer's registered county, or the prefecture when
// the employer is unknown or registered elsewhere.
func (p *Performance) countyOfUnit(d string) string {
	if emp, ok := p.s.Employers.get(d); ok && region.Code(emp.County).Valid() {
		return emp.County
	}
	return string(region.Haixi)
}

func (p *Performance) hireRecorded(e *hire.Recorded, env *eventstore.Event) {
	id, claimKey := streamKey(env, hire.Stream("")), perfDigest("claim", e.ClaimID)
	h := &perfHire{Employer: perfDigest("unit", e.Employer), HiredOn: e.HiredOn}
	if cl, ok := p.s.Claims.get(claimKey); ok {
		h.Programme, h.County = string(cl.Programme), string(cl.County)
	} else {
		h.County = p.countyOfUnit(h.Employer)
		if e.ClaimID != "" {
			// An image may hold the list: appending leaves its part as it was.
			waiting, _ := p.s.Waiting.Get(claimKey)
			p.s.Waiting.Set(claimKey, append(waiting, id))
		}
	}
	p.s.Hires.set(id, h)
	p.hire(h, 1)
}

func (p *Performance) hireFinding(e *hire.InsuredStatusRecorded, env *eventstore.Event) error {
	h, ok := p.s.Hires.writable(streamKey(env, hire.Stream("")))
	if !ok {
		return fmt.Errorf("%s in %s: the hire was never recorded", env.Type, env.Stream)
	}
	p.hire(h, -1)
	if h.Findings == nil {
		h.Findings = map[int]perfFinding{}
	}
	h.Findings[e.Months] = perfFinding{AsOf: e.AsOf, Insured: e.Insured}
	p.hire(h, 1)
	return nil
}

// perfCheckpointIndex maps 3, 6, 12 months to 0, 1, 2.
var perfCheckpointIndex = map[int]int{3: 0, 6: 1, 12: 2}

// hire adds (sign 1) or removes (sign −1) a hire's counts.
func (p *Performance) hire(h *perfHire, sign int) {
	p.touch(h.Programme, h.County, h.HiredOn, func(c *perfCell) { c.Hires += sign })
	for months, f := range h.Findings {
		i := perfCheckpointIndex[months]
		p.touch(h.Programme, h.County, f.AsOf, func(c *perfCell) {
			c.Checked[i] += sign
			if f.Insured {
				c.Insured[i] += sign
			}
		})
	}
}

// traineeCertified counts a certified trainee under the programme and
// county its certification names, for good: the training was paid for
// there, wherever the trainee is later employed. A certification recorded
// before it named a county counts as it always did, under vocational
// training in the prefecture until a placement moves it to the placing
// employer's county.
func (p *Performance) traineeCertified(e *trainee.Certified, env *eventstore.Event) {
	t := &perfTrainee{Programme: string(e.Programme), County: string(e.County), Named: e.County != "", CertifiedOn: e.On}
	if !t.Named {
		t.County = string(region.Haixi)
	}
	p.s.Trainees.set(streamKey(env, trainee.Stream("")), t)
	p.trainee(t, 1)
}

func (p *Performance) traineePlaced(e *trainee.Placed, env *eventstore.Event) error {
	t, ok := p.s.Trainees.writable(streamKey(env, trainee.Stream("")))
	if !ok {
		return fmt.Errorf("%s in %s: the trainee was never certified", env.Type, env.Stream)
	}
	p.trainee(t, -1)
	if !t.Named {
		t.County = p.countyOfUnit(perfDigest("unit", e.Employer))
	}
	t.Placed, t.Within = true, e.WithinWindow
	p.trainee(t, 1)
	return nil
}

// trainee adds (sign 1) or removes (sign −1) a trainee's counts.
func (p *Performance) trainee(t *perfTrainee, sign int) {
	prog := t.Programme
	if prog == "" {
		prog = string(programme.VocationalTraining)
	}
	p.touch(prog, t.County, t.CertifiedOn, func(c *perfCell) {
		c.Certified += sign
		switch {
		case t.Placed && t.Within:
			c.Within += sign
		case t.Placed:
			c.Late += sign
		}
	})
}
