package projections

import (
	"encoding/binary"
	"errors"
	"fmt"
	"time"

	"github.com/haixi-hrss/fundledger/domain/calendar"
)

// The binary states of the trail, claims and performance models share
// these primitives: (u)varints, length-prefixed texts, flags and dates.
// Each model's layout is described beside its MarshalState.

// stateWriter appends a binary state.
type stateWriter struct{ buf []byte }

func (w *stateWriter) uvarint(v uint64) { w.buf = binary.AppendUvarint(w.buf, v) }
func (w *stateWriter) varint(v int64)   { w.buf = binary.AppendVarint(w.buf, v) }

func (w *stateWriter) str(s string) {
	w.uvarint(uint64(len(s)))
	w.buf = append(w.buf, s...)
}

func (w *stateWriter) strs(ss []string) {
	w.uvarint(uint64(len(ss)))
	for _, s := range ss {
		w.str(s)
	}
}

func (w *stateWriter) bool(b bool) {
	if b {
		w.buf = append(w.buf, 1)
	} else {
		w.buf = append(w.buf, 0)
	}
}

// date writes year, month and day; the zero Date as three zeros.
func (w *stateWriter) date(d calendar.Date) {
	w.varint(int64(d.Year()))
	w.varint(int64(d.Month()))
	w.varint(int64(d.Day()))
}

// stateReader reads what a stateWriter wrote. The first error sticks:
// later reads return zero values, so a caller checks err once per item.
type stateReader struct {
	buf []byte
	err error
	// names is the size of the name table, which every ref must be
	// within.
	names int
}

var errCutShort = errors.New("the state is cut short")

func (r *stateReader) fail(err error) {
	if r.err == nil {
		r.err = err
	}
	r.buf = nil
}

func (r *stateReader) uvarint() uint64 {
	v, n := binary.Uvarint(r.buf)
	if n <= 0 {
		r.fail(errCutShort)
		return 0
	}
	r.buf = r.buf[n:]
	return v
}

func (r *stateReader) varint() int64 {
	v, n := binary.Varint(r.buf)
	if n <= 0 {
		r.fail(errCutShort)
		return 0
	}
	r.buf = r.buf[n:]
	return v
}

// count reads a length, which cannot exceed the bytes left.
func (r *stateReader) count() int {
	v := r.uvarint()
	if v > uint64(len(r.buf))+1 {
		r.fail(fmt.Errorf("a count of %d with %d bytes left", v, len(r.buf)))
		return 0
	}
	return int(v)
}

func (r *stateReader) bytes(n int) []byte {
	if n > len(r.buf) {
		r.fail(errCutShort)
		return nil
	}
	b := r.buf[:n]
	r.buf = r.buf[n:]
	return b
}

func (r *stateReader) str() string { return string(r.bytes(r.count())) }

func (r *stateReader) strs() []string {
	n := r.count()
	if n == 0 {
		return nil
	}
	ss := make([]string, n)
	for i := range ss {
		ss[i] = r.str()
	}
	return ss
}

var errNotBool = errors.New("a flag that is neither 0 nor 1")

func (r *stateReader) bool() bool {
	b := r.bytes(1)
	if len(b) == 0 {
		return false
	}
	if b[0] > 1 {
		r.fail(errNotBool)
	}
	return b[0] == 1
}

// date reads what stateWriter.date wrote: three zeros are the zero Date,
// anything else must be a day in the calendar.
func (r *stateReader) date() calendar.Date {
	y, m, d := r.varint(), r.varint(), r.varint()
	if r.err != nil || (y == 0 && m == 0 && d == 0) {
		return calendar.Date{}
	}
	if y < 1 || y > 9999 || m < 1 || m > 12 || d < 1 || d > 31 {
		r.fail(fmt.Errorf("date %d-%d-%d", y, m, d))
		return calendar.Date{}
	}
	date, err := calendar.New(int(y), time.Month(m), int(d))
	if err != nil {
		r.fail(err)
	}
	return date
}

// namedWriter writes texts that repeat across records (statuses,
// programmes, officers, rules) as names: the number of an earlier one, or
// the next number followed by the text, which the reader adds to its
// table. Equal models so write equal bytes, and a restore shares each
// name among its records.
type namedWriter struct {
	stateWriter
	names map[string]uint64
}

func (w *namedWriter) name(s string) {
	if n, ok := w.names[s]; ok {
		w.uvarint(n)
		return
	}
	n := uint64(len(w.names))
	w.names[s] = n
	w.uvarint(n)
	w.str(s)
}

// namedReader reads what a namedWriter wrote.
type namedReader struct {
	stateReader
	table []string
}

func (r *namedReader) name() string {
	n := r.uvarint()
	switch {
	case r.err != nil:
		return ""
	case n < uint64(len(r.table)):
		return r.table[n]
	case n == uint64(len(r.table)):
		s := r.str()
		r.table = append(r.table, s)
		return s
	}
	r.fail(fmt.Errorf("name %d of a table of %d", n, len(r.table)))
	return ""
}
