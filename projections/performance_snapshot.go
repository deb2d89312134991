package projections

import (
	"bytes"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"maps"
	"slices"

	"github.com/haixi-hrss/fundledger/domain/factor"
	"github.com/haixi-hrss/fundledger/domain/money"
	"github.com/haixi-hrss/fundledger/domain/programme"
	"github.com/haixi-hrss/fundledger/domain/region"
)

// perfMagic starts the performance model's state, naming its binary
// layout; a state without it (the JSON of earlier releases) or with
// another version is refused with ErrSnapshotFormat, and the runner
// rebuilds from the log. On a million-event ledger the JSON form was
// 43 MB and the model's marshalling one of the largest costs of a
// rebuild's save.
//
// Layout after the magic, integers as (u)varints, strings as length and
// bytes, every map written in key order so equal models write equal bytes:
// the lines (key, programme, county); the claims (key, programme, county,
// kind, who); the month table (the distinct months of the headcounts,
// sorted); the employers (key, county, then each report as its month's
// number in the table and the headcount); the cells (key, the five
// amounts as text, the three digest sets (see digestSet), hires, checked and insured,
// certified, within, late); the hires (key, programme, county, employer,
// hiring date, then each finding: months, as-of date, insured); the
// waiting hires (claim key, hire keys); the trainees (key, programme,
// county, named, certification date, placed, within); and last the
// small rest (indicator values, targets, weights) as one JSON value.
const perfMagic = "fundledger-performance 1\n"

// perfRest is the part of the state kept as JSON inside the binary form:
// a few hundred entries whose decimals and nested maps gain nothing from a
// layout of their own.
type perfRest struct {
	Values  map[string]map[string]int `json:"values"`
	Targets map[string]int            `json:"targets"`
	Weights map[string]factor.Weights `json:"weights"`
}

// MarshalState implements Projection.
func (p *Performance) MarshalState() ([]byte, error) { return p.s.marshal() }

// marshal writes the state: the model's own for MarshalState, a frozen
// image for Freeze. Trees are scanned in key order, the maps sorted.
func (s *perfState) marshal() ([]byte, error) {
	var w stateWriter
	w.buf = make([]byte, 0, 1<<16+48*s.Employers.len()*12+64*s.Cells.len())
	w.buf = append(w.buf, perfMagic...)
	w.uvarint(uint64(len(s.Lines)))
	for _, k := range slices.Sorted(maps.Keys(s.Lines)) {
		l := s.Lines[k]
		w.str(k)
		w.str(string(l.Programme))
		w.str(string(l.County))
	}
	w.uvarint(uint64(s.Claims.len()))
	s.Claims.scan(func(k string, c *perfClaim) bool {
		w.str(k)
		w.str(string(c.Programme))
		w.str(string(c.County))
		w.str(c.Kind)
		w.str(c.Who)
		return true
	})
	s.writeEmployers(&w)
	w.uvarint(uint64(s.Cells.len()))
	s.Cells.scan(func(k string, c *perfCell) bool {
		w.str(k)
		w.cell(c)
		return true
	})
	w.uvarint(uint64(s.Hires.len()))
	s.Hires.scan(func(k string, h *perfHire) bool {
		w.str(k)
		w.str(h.Programme)
		w.str(h.County)
		w.str(h.Employer)
		w.date(h.HiredOn)
		w.uvarint(uint64(len(h.Findings)))
		for _, months := range slices.Sorted(maps.Keys(h.Findings)) {
			f := h.Findings[months]
			w.varint(int64(months))
			w.date(f.AsOf)
			w.bool(f.Insured)
		}
		return true
	})
	w.uvarint(uint64(s.Waiting.Len()))
	s.Waiting.Scan(func(k string, hires []string) bool {
		w.str(k)
		w.strs(hires)
		return true
	})
	w.uvarint(uint64(s.Trainees.len()))
	s.Trainees.scan(func(k string, t *perfTrainee) bool {
		w.str(k)
		w.str(t.Programme)
		w.str(t.County)
		w.bool(t.Named)
		w.date(t.CertifiedOn)
		w.bool(t.Placed)
		w.bool(t.Within)
		return true
	})
	rest, err := marshalState(perfRest{Values: s.Values, Targets: s.Targets, Weights: s.Weights})
	if err != nil {
		return nil, fmt.Errorf("performance: %w", err)
	}
	w.str(string(rest))
	return w.buf, nil
}

// writeEmployers writes the month table and the employers; half a
// million headcounts share a few dozen month strings.
func (s *perfState) writeEmployers(w *stateWriter) {
	index := map[string]int{}
	s.Employers.scan(func(_ string, emp *perfEmployer) bool {
		for _, m := range emp.Headcount {
			index[m.Month] = 0
		}
		return true
	})
	months := slices.Sorted(maps.Keys(index))
	for i, m := range months {
		index[m] = i
	}
	w.strs(months)
	w.uvarint(uint64(s.Employers.len()))
	s.Employers.scan(func(k string, emp *perfEmployer) bool {
		w.str(k)
		w.str(emp.County)
		w.uvarint(uint64(len(emp.Headcount)))
		for _, m := range emp.Headcount {
			w.uvarint(uint64(index[m.Month]))
			w.varint(int64(m.Insured))
		}
		return true
	})
}

func (w *stateWriter) cell(c *perfCell) {
	for _, a := range [...]money.Amount{c.Allocated, c.Reserved, c.Released, c.Spent, c.Recovered} {
		w.str(a.String())
	}
	for _, set := range [...]*perfSet{&c.People, &c.Employers, &c.Recipients} {
		w.set(set)
	}
	w.varint(int64(c.Hires))
	for _, n := range c.Checked {
		w.varint(int64(n))
	}
	for _, n := range c.Insured {
		w.varint(int64(n))
	}
	w.varint(int64(c.Certified))
	w.varint(int64(c.Within))
	w.varint(int64(c.Late))
}

// Digest sets: a set whose members are all perfDigest's 16 lower-case hex
// digits is written as digestSet, the count and each digest's 8 bytes in
// ascending order (which is the digits' order); any other as textSet, the
// count and each member's text and a flag, 1, in order. Sorting the
// cells' half a million digests as numbers rather than strings is most of
// what writing the model costs. (The flag is the value of the map the
// sets once were; a member read with a flag of 0, which no release
// writes, is a member all the same, as it was to the queries.)
const (
	textSet   = 0
	digestSet = 1
)

// set writes s from its lists alone, which a frozen cell keeps at their
// length (see perfSet).
func (w *stateWriter) set(s *perfSet) {
	if len(s.others) > 0 {
		members := slices.Clone(s.others)
		for _, d := range s.digests {
			members = append(members, fmt.Sprintf("%016x", d))
		}
		slices.Sort(members)
		w.buf = append(w.buf, textSet)
		w.uvarint(uint64(len(members)))
		for _, k := range members {
			w.str(k)
			w.bool(true)
		}
		return
	}
	nums := slices.Clone(s.digests)
	slices.Sort(nums)
	w.buf = append(w.buf, digestSet)
	w.uvarint(uint64(len(nums)))
	for _, n := range nums {
		w.buf = binary.BigEndian.AppendUint64(w.buf, n)
	}
}

// parseDigest reads 16 lower-case hex digits.
func parseDigest(s string) (uint64, bool) {
	if len(s) != 16 {
		return 0, false
	}
	var n uint64
	for i := range len(s) {
		c := s[i]
		switch {
		case '0' <= c && c <= '9':
			n = n<<4 | uint64(c-'0')
		case 'a' <= c && c <= 'f':
			n = n<<4 | uint64(c-'a'+10)
		default:
			return 0, false
		}
	}
	return n, true
}

// UnmarshalState implements Projection.
func (p *Performance) UnmarshalState(data []byte) error {
	rest, ok := bytes.CutPrefix(data, []byte(perfMagic))
	if !ok {
		return fmt.Errorf("performance: %w: the state does not start with %q", ErrSnapshotFormat, perfMagic[:len(perfMagic)-1])
	}
	p.Reset()
	r := stateReader{buf: rest}
	if err := p.read(&r); err != nil {
		p.Reset()
		return fmt.Errorf("performance: %w", err)
	}
	if err := p.countRetention(); err != nil {
		p.Reset()
		return fmt.Errorf("performance: %w", err)
	}
	p.counted.Store(true)
	return nil
}

// read fills the model from the state. The keys of every collection are
// written in order, so each is appended to its tree (Load); a key out of
// order would still be put in its place.
func (p *Performance) read(r *stateReader) error {
	s := &p.s
	for range r.count() {
		k := r.str()
		s.Lines[k] = perfLine{Programme: programme.Code(r.str()), County: region.Code(r.str())}
	}
	for range r.count() {
		k := r.str()
		s.Claims.load(k, &perfClaim{Programme: programme.Code(r.str()), County: region.Code(r.str()), Kind: r.str(), Who: r.str()})
	}
	p.readEmployers(r)
	for range r.count() {
		k := r.str()
		s.Cells.load(k, r.cell())
	}
	for range r.count() {
		k := r.str()
		h := &perfHire{Programme: r.str(), County: r.str(), Employer: r.str(), HiredOn: r.date()}
		if n := r.count(); n > 0 {
			h.Findings = make(map[int]perfFinding, n)
			for range n {
				months := int(r.varint())
				h.Findings[months] = perfFinding{AsOf: r.date(), Insured: r.bool()}
			}
		}
		s.Hires.load(k, h)
	}
	for range r.count() {
		k := r.str()
		s.Waiting.Load(k, r.strs())
	}
	for range r.count() {
		k := r.str()
		s.Trainees.load(k, &perfTrainee{Programme: r.str(), County: r.str(), Named: r.bool(), CertifiedOn: r.date(), Placed: r.bool(), Within: r.bool()})
	}
	tail := r.bytes(r.count())
	if r.err != nil {
		return r.err
	}
	if len(r.buf) != 0 {
		return fmt.Errorf("%d bytes after the state", len(r.buf))
	}
	var more perfRest
	if err := unmarshalState(tail, &more); err != nil {
		return err
	}
	s.Values, s.Targets, s.Weights = orEmpty(more.Values), orEmpty(more.Targets), orEmpty(more.Weights)
	return nil
}

// orEmpty keeps a restored model's maps writable when the state held null.
func orEmpty[M ~map[K]V, K comparable, V any](m M) M {
	if m == nil {
		return M{}
	}
	return m
}

func (p *Performance) readEmployers(r *stateReader) {
	months := r.strs()
	for range r.count() {
		k := r.str()
		emp := &perfEmployer{County: r.str()}
		if n := r.count(); n > 0 {
			emp.Headcount = make([]perfMonth, n)
			for i := range emp.Headcount {
				m := r.count()
				if m >= len(months) {
					r.fail(fmt.Errorf("month %d of a table of %d", m, len(months)))
					return
				}
				emp.Headcount[i] = perfMonth{Month: months[m], Insured: int(r.varint())}
			}
		}
		p.s.Employers.load(k, emp)
	}
}

func (r *stateReader) cell() *perfCell {
	c := &perfCell{}
	for _, a := range [...]*money.Amount{&c.Allocated, &c.Reserved, &c.Released, &c.Spent, &c.Recovered} {
		v, err := money.Parse("amount", r.str())
		if err != nil && r.err == nil {
			r.fail(err)
		}
		*a = v
	}
	for _, set := range [...]*perfSet{&c.People, &c.Employers, &c.Recipients} {
		*set = r.set()
	}
	c.Hires = int(r.varint())
	for i := range c.Checked {
		c.Checked[i] = int(r.varint())
	}
	for i := range c.Insured {
		c.Insured[i] = int(r.varint())
	}
	c.Certified, c.Within, c.Late = int(r.varint()), int(r.varint()), int(r.varint())
	return c
}

func (r *stateReader) set() perfSet {
	var set perfSet
	kind := r.bytes(1)
	n := r.count()
	if r.err != nil || n == 0 {
		return set
	}
	set.index = make(map[string]struct{}, n)
	switch kind[0] {
	case digestSet:
		set.digests = make([]uint64, 0, n)
	case textSet:
		set.others = make([]string, 0, n)
	}
	switch kind[0] {
	case digestSet:
		var text [16]byte
		for range n {
			b := r.bytes(8)
			if len(b) < 8 {
				return perfSet{}
			}
			hex.Encode(text[:], b)
			set.add(perfMember{text: string(text[:]), digest: binary.BigEndian.Uint64(b), isDigest: true})
		}
	case textSet:
		for range n {
			k := r.str()
			r.bool()
			set.add(memberOf(k))
		}
	default:
		r.fail(fmt.Errorf("a set of kind %d", kind[0]))
	}
	if set.len() != n && r.err == nil {
		r.fail(errors.New("a set lists a member twice"))
	}
	return set
}
