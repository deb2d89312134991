package projections

import (
	"maps"
	"slices"
)

// Freeze implements Freezer: copies of the copy-on-write containers, whose
// records Apply replaces from now on rather than change (see cowMap), and
// of the small maps (a budget line, an indicator of a county and year, a
// year of weights each). Only the lists of waiting hires and the cells'
// sets are shared as they are: they only grow, and the image reads each
// at the length it had.
func (p *Performance) Freeze() func() ([]byte, error) {
	im := p.s.freeze()
	return im.marshal
}

// freeze returns an image of s, to be marshalled while s goes on changing.
func (s *perfState) freeze() *perfState {
	values := make(map[string]map[string]int, len(s.Values))
	for k, months := range s.Values {
		values[k] = maps.Clone(months)
	}
	return &perfState{Lines: maps.Clone(s.Lines), Claims: s.Claims.freeze(), Cells: s.Cells.freeze(),
		Employers: s.Employers.freeze(), Hires: s.Hires.freeze(), Waiting: s.Waiting.Copy(),
		Trainees: s.Trainees.freeze(), Values: values, Targets: maps.Clone(s.Targets), Weights: maps.Clone(s.Weights)}
}

// perfSet is a set of digests: the people, employers or refund recipients
// a cell paid. It only grows: index finds the members, and digests (as
// numbers, see parseDigest) and others (any member that is not a digest,
// which only a saved state can hold) list them in the order they came. A
// clone of the cell shares all three, and the frozen cell reads only the
// lists, up to the lengths they had, so the model adds to the set while
// an image of it is written.
type perfSet struct {
	index   map[string]struct{}
	digests []uint64
	others  []string
}

// perfMember is a member of a perfSet: its text and, if the text is a
// digest, the digest as a number. A payment adds one member to twelve
// cells' sets, so it is read once.
type perfMember struct {
	text     string
	digest   uint64
	isDigest bool
}

// memberOf returns k as a member.
func memberOf(k string) perfMember {
	d, ok := parseDigest(k)
	return perfMember{text: k, digest: d, isDigest: ok}
}

// add adds m and reports whether it is new, hashing it once.
func (s *perfSet) add(m perfMember) bool {
	if s.index == nil {
		s.index = map[string]struct{}{}
	}
	n := len(s.index)
	s.index[m.text] = struct{}{}
	if len(s.index) == n {
		return false
	}
	if m.isDigest {
		s.digests = append(s.digests, m.digest)
	} else {
		s.others = append(s.others, m.text)
	}
	return true
}

// len returns the number of members.
func (s *perfSet) len() int { return len(s.digests) + len(s.others) }

// The clones of the records Apply changes after a Freeze: each changes
// its own copy of what Apply changes in place.

// clonePerfCell shares the sets, which only grow (see perfSet).
func clonePerfCell(c *perfCell) *perfCell {
	cp := *c
	return &cp
}

// clonePerfEmployer copies the headcounts, which a report changes in
// place (a correction) or inserts into.
func clonePerfEmployer(emp *perfEmployer) *perfEmployer {
	cp := *emp
	cp.Headcount = slices.Clone(emp.Headcount)
	return &cp
}

// clonePerfHire copies the findings.
func clonePerfHire(h *perfHire) *perfHire {
	cp := *h
	cp.Findings = maps.Clone(h.Findings)
	return &cp
}

// clonePerfTrainee copies the trainee, whose placement Apply records.
func clonePerfTrainee(t *perfTrainee) *perfTrainee {
	cp := *t
	return &cp
}

// Restored implements Relayer.
func (p *Performance) Restored(state []byte) (Projection, error) {
	return restoreFresh(NewPerformance(), state)
}

// Adopt implements Relayer. The fresh model counted its retention tallies
// when it was restored, so Apply keeps them from now on, as after a
// restart; measures, Apply's scratch, stays the model's own.
func (p *Performance) Adopt(fresh Projection) {
	f := fresh.(*Performance)
	p.s, p.cellsOf, p.retention, p.recipientOf = f.s, f.cellsOf, f.retention, f.recipientOf
	p.counted.Store(f.counted.Load())
}
