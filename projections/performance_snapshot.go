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
func (p *Performance) MarshalState() ([]byte, error) {
	s := &p.s
	var w stateWriter
	w.buf = make([]byte, 0, 1<<16+48*len(s.Employers)*12+64*len(s.Cells))
	w.buf = append(w.buf, perfMagic...)
	w.uvarint(uint64(len(s.Lines)))
	for _, k := range slices.Sorted(maps.Keys(s.Lines)) {
		l := s.Lines[k]
		w.str(k)
		w.str(string(l.Programme))
		w.str(string(l.County))
	}
	w.uvarint(uint64(len(s.Claims)))
	for _, k := range slices.Sorted(maps.Keys(s.Claims)) {
		c := s.Claims[k]
		w.str(k)
		w.str(string(c.Programme))
		w.str(string(c.County))
		w.str(c.Kind)
		w.str(c.Who)
	}
	p.writeEmployers(&w)
	w.uvarint(uint64(len(s.Cells)))
	for _, k := range slices.Sorted(maps.Keys(s.Cells)) {
		w.str(k)
		w.cell(s.Cells[k])
	}
	w.uvarint(uint64(len(s.Hires)))
	for _, k := range slices.Sorted(maps.Keys(s.Hires)) {
		h := s.Hires[k]
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
	}
	w.uvarint(uint64(len(s.Waiting)))
	for _, k := range slices.Sorted(maps.Keys(s.Waiting)) {
		w.str(k)
		w.strs(s.Waiting[k])
	}
	w.uvarint(uint64(len(s.Trainees)))
	for _, k := range slices.Sorted(maps.Keys(s.Trainees)) {
		t := s.Trainees[k]
		w.str(k)
		w.str(t.Programme)
		w.str(t.County)
		w.bool(t.Named)
		w.date(t.CertifiedOn)
		w.bool(t.Placed)
		w.bool(t.Within)
	}
	rest, err := marshalState(perfRest{Values: s.Values, Targets: s.Targets, Weights: s.Weights})
	if err != nil {
		return nil, fmt.Errorf("performance: %w", err)
	}
	w.str(string(rest))
	return w.buf, nil
}

// writeEmployers writes the month table and the employers; half a
// million headcounts share a few dozen month strings.
func (p *Performance) writeEmployers(w *stateWriter) {
	index := map[string]int{}
	for _, emp := range p.s.Employers {
		for _, m := range emp.Headcount {
			index[m.Month] = 0
		}
	}
	months := slices.Sorted(maps.Keys(index))
	for i, m := range months {
		index[m] = i
	}
	w.strs(months)
	w.uvarint(uint64(len(p.s.Employers)))
	for _, k := range slices.Sorted(maps.Keys(p.s.Employers)) {
		emp := p.s.Employers[k]
		w.str(k)
		w.str(emp.County)
		w.uvarint(uint64(len(emp.Headcount)))
		for _, m := range emp.Headcount {
			w.uvarint(uint64(index[m.Month]))
			w.varint(int64(m.Insured))
		}
	}
}

func (w *stateWriter) cell(c *perfCell) {
	for _, a := range [...]money.Amount{c.Allocated, c.Reserved, c.Released, c.Spent, c.Recovered} {
		w.str(a.String())
	}
	for _, set := range [...]map[string]bool{c.People, c.Employers, c.Recipients} {
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
// digits, each true, is written as digestSet, the count and each digest's
// 8 bytes in ascending order (which is the digits' order); any other as
// textSet, the count and each member's text and flag in order. Sorting
// the cells' half a million digests as numbers rather than strings is
// most of what writing the model costs.
const (
	textSet   = 0
	digestSet = 1
)

func (w *stateWriter) set(set map[string]bool) {
	nums := make([]uint64, 0, len(set))
	for k, in := range set {
		n, ok := parseDigest(k)
		if !ok || !in {
			nums = nil
			break
		}
		nums = append(nums, n)
	}
	if nums == nil && len(set) > 0 {
		w.buf = append(w.buf, textSet)
		w.uvarint(uint64(len(set)))
		for _, k := range slices.Sorted(maps.Keys(set)) {
			w.str(k)
			w.bool(set[k])
		}
		return
	}
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

func (p *Performance) read(r *stateReader) error {
	s := &p.s
	for range r.count() {
		k := r.str()
		s.Lines[k] = perfLine{Programme: programme.Code(r.str()), County: region.Code(r.str())}
	}
	for range r.count() {
		k := r.str()
		s.Claims[k] = perfClaim{Programme: programme.Code(r.str()), County: region.Code(r.str()), Kind: r.str(), Who: r.str()}
	}
	p.readEmployers(r)
	for range r.count() {
		k := r.str()
		s.Cells[k] = r.cell()
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
		s.Hires[k] = h
	}
	for range r.count() {
		k := r.str()
		s.Waiting[k] = r.strs()
	}
	for range r.count() {
		k := r.str()
		s.Trainees[k] = &perfTrainee{Programme: r.str(), County: r.str(), Named: r.bool(), CertifiedOn: r.date(), Placed: r.bool(), Within: r.bool()}
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
		p.s.Employers[k] = emp
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
	for _, set := range [...]*map[string]bool{&c.People, &c.Employers, &c.Recipients} {
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

func (r *stateReader) set() map[string]bool {
	kind := r.bytes(1)
	n := r.count()
	if r.err != nil || n == 0 {
		return nil
	}
	set := make(map[string]bool, n)
	switch kind[0] {
	case digestSet:
		var text [16]byte
		for range n {
			b := r.bytes(8)
			if len(b) < 8 {
				return nil
			}
			hex.Encode(text[:], b)
			set[string(text[:])] = true
		}
	case textSet:
		for range n {
			k := r.str()
			set[k] = r.bool()
		}
	default:
		r.fail(fmt.Errorf("a set of kind %d", kind[0]))
	}
	if len(set) != n && r.err == nil {
		r.fail(errors.New("a set lists a member twice"))
	}
	return set
}
