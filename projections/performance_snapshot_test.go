package projections

import (
	"bytes"
	"errors"
	"fmt"
	"reflect"
	"slices"
	"testing"

	"github.com/haixi-hrss/fundledger/domain/calendar"
	"github.com/haixi-hrss/fundledger/domain/factor"
	"github.com/haixi-hrss/fundledger/domain/money"
	"github.com/shopspring/decimal"
	"github.com/tidwall/btree"
)

// fullPerfState is a state with every field of every record set, so a
// field the binary form forgot to write or read shows in a round trip.
func fullPerfState() perfState {
	d := calendar.MustParse
	s := NewPerformance().s
	s.Lines = map[string]perfLine{"l1": {Programme: "stabilization", County: "632801"}, "l2": {Programme: "expansion", County: "632802"}}
	s.Claims.set("c1", &perfClaim{Programme: "stabilization", County: "632801", Kind: "employer", Who: "u1"})
	s.Cells.set("all|all|2025", &perfCell{Allocated: money.MustParse("100.10"), Reserved: money.MustParse("-2.5"), Released: money.MustParse("3"),
		Spent: money.MustParse("4.04"), Recovered: money.MustParse("999999999999.99"),
		People: perfSetOf("p2", perfDigest("person", "x"), "p1"), Employers: perfSetOf(perfDigest("unit", "a"), perfDigest("unit", "b")), Recipients: perfSetOf("u1"),
		Hires: 7, Checked: [3]int{1, 2, 3}, Insured: [3]int{1, -1, 0}, Certified: 4, Within: 2, Late: 1})
	s.Cells.set("x|632801|2025-01", &perfCell{})
	s.Employers.set("u1", &perfEmployer{County: "632801", Headcount: []perfMonth{{"2024-12", 30}, {"2025-01", 31}}})
	s.Employers.set("u2", &perfEmployer{County: "632802", Headcount: []perfMonth{{"2025-01", 0}, {"2025-02", 2}}})
	s.Hires.set("h1", &perfHire{Programme: "expansion", County: "632802", Employer: "u2", HiredOn: d("2025-01-15"),
		Findings: map[int]perfFinding{3: {AsOf: d("2025-04-15"), Insured: true}, 6: {AsOf: d("2025-07-15")}}})
	s.Waiting.Set("c9", []string{"h1", "h2"})
	s.Trainees.set("t1", &perfTrainee{Programme: "vocational-training", County: "632803", Named: true, CertifiedOn: d("2025-02-01"), Placed: true, Within: true})
	s.Values = map[string]map[string]int{"632801|2025|newUrbanJobs": {"2025-01": 12}}
	s.Targets = map[string]int{"632801|2025|newUrbanJobs": 5400}
	s.Weights = map[string]factor.Weights{"2026": {Tasks: decimal.RequireFromString("0.3"), Outcomes: decimal.RequireFromString("0.2")}}
	return s
}

// perfSetOf returns a set of members.
func perfSetOf(members ...string) perfSet {
	var s perfSet
	for _, m := range members {
		s.add(memberOf(m))
	}
	return s
}

// perfPlain is a state in plain maps, for the tests to walk and to
// compare: its JSON is the whole state, keys sorted.
type perfPlain struct {
	Lines     map[string]perfLine       `json:"lines"`
	Claims    map[string]*perfClaim     `json:"claims"`
	Cells     map[string]plainCell      `json:"cells"`
	Employers map[string]*perfEmployer  `json:"employers"`
	Hires     map[string]*perfHire      `json:"hires"`
	Waiting   map[string][]string       `json:"waiting"`
	Trainees  map[string]*perfTrainee   `json:"trainees"`
	Values    map[string]map[string]int `json:"values"`
	Targets   map[string]int            `json:"targets"`
	Weights   map[string]factor.Weights `json:"weights"`
}

// plainCell is a cell with its sets' members sorted, in place of the
// sets themselves in its JSON.
type plainCell struct {
	*perfCell
	People     []string `json:"people"`
	Employers  []string `json:"employers"`
	Recipients []string `json:"recipients"`
}

// plainOf returns s in plain maps.
func plainOf(t *testing.T, s *perfState) perfPlain {
	t.Helper()
	if n, m := reflect.TypeFor[perfState]().NumField(), reflect.TypeFor[perfPlain]().NumField(); n != m {
		t.Fatalf("perfState has %d fields, perfPlain %d: add the new one to perfPlain and plainOf", n, m)
	}
	p := perfPlain{Lines: s.Lines, Claims: map[string]*perfClaim{}, Cells: map[string]plainCell{}, Employers: map[string]*perfEmployer{},
		Hires: map[string]*perfHire{}, Waiting: mapOf(s.Waiting), Trainees: map[string]*perfTrainee{},
		Values: s.Values, Targets: s.Targets, Weights: s.Weights}
	s.Cells.scan(func(k string, c *perfCell) bool {
		p.Cells[k] = plainCell{perfCell: c, People: sortedMembers(t, c.People), Employers: sortedMembers(t, c.Employers),
			Recipients: sortedMembers(t, c.Recipients)}
		return true
	})
	s.Claims.scan(func(k string, c *perfClaim) bool { p.Claims[k] = c; return true })
	s.Employers.scan(func(k string, e *perfEmployer) bool { p.Employers[k] = e; return true })
	s.Hires.scan(func(k string, h *perfHire) bool { p.Hires[k] = h; return true })
	s.Trainees.scan(func(k string, tr *perfTrainee) bool { p.Trainees[k] = tr; return true })
	return p
}

// sortedMembers returns set's members, sorted, after checking that its
// lists and its index hold the same members.
func sortedMembers(t *testing.T, set perfSet) []string {
	t.Helper()
	members := slices.Clone(set.others)
	for _, d := range set.digests {
		members = append(members, fmt.Sprintf("%016x", d))
	}
	if len(set.index) != len(members) {
		t.Fatalf("a set lists %d members and indexes %d", len(members), len(set.index))
	}
	for _, m := range members {
		if _, ok := set.index[m]; !ok {
			t.Fatalf("member %q is not in its set's index", m)
		}
	}
	slices.Sort(members)
	return members
}

// plainJSON is the JSON of s in plain maps.
func plainJSON(t *testing.T, s *perfState) []byte {
	t.Helper()
	data, err := marshalState(plainOf(t, s))
	if err != nil {
		t.Fatal(err)
	}
	return data
}

// requireEverySet fails on a field of a record type that is zero in every
// record of the fixture, so a field added to a record later must be set
// in the fixture, and so is covered by the round trip.
func requireEverySet(t *testing.T, state *perfPlain) {
	t.Helper()
	set := map[reflect.Type]map[int]bool{}
	var walk func(v reflect.Value)
	walk = func(v reflect.Value) {
		switch v.Kind() {
		case reflect.Pointer:
			walk(v.Elem())
		case reflect.Map:
			for _, k := range v.MapKeys() {
				walk(v.MapIndex(k))
			}
		case reflect.Slice:
			for i := range v.Len() {
				walk(v.Index(i))
			}
		case reflect.Struct:
			if v.Type().PkgPath() != reflect.TypeFor[perfPlain]().PkgPath() {
				return // amounts, dates, weights: values, not records
			}
			if set[v.Type()] == nil {
				set[v.Type()] = map[int]bool{}
			}
			for i := range v.NumField() {
				if !v.Field(i).IsZero() {
					set[v.Type()][i] = true
					walk(v.Field(i))
				}
			}
		}
	}
	walk(reflect.ValueOf(state))
	for typ, fields := range set {
		for i := range typ.NumField() {
			if !fields[i] {
				t.Errorf("%s.%s is zero in every record of the fixture", typ.Name(), typ.Field(i).Name)
			}
		}
	}
	if len(set) < 9 {
		t.Errorf("the fixture reaches %d record types, want the state and its 8 records", len(set))
	}
}

func TestPerformanceStateRoundTrip(t *testing.T) {
	p := NewPerformance()
	p.s = fullPerfState()
	plain := plainOf(t, &p.s)
	requireEverySet(t, &plain)
	wantJSON := plainJSON(t, &p.s)
	data, err := p.MarshalState()
	if err != nil {
		t.Fatal(err)
	}
	again, err := p.MarshalState()
	if err != nil || !bytes.Equal(data, again) {
		t.Fatal("two marshallings of one model differ")
	}
	back := NewPerformance()
	if err := back.UnmarshalState(data); err != nil {
		t.Fatal(err)
	}
	if gotJSON := plainJSON(t, &back.s); !bytes.Equal(gotJSON, wantJSON) {
		t.Fatalf("restored model differs:\n got %s\nwant %s", gotJSON, wantJSON)
	}
	redo, _ := back.MarshalState()
	if !bytes.Equal(redo, data) {
		t.Fatal("the restored model writes other bytes")
	}
	// The restored model keeps folding: its maps are writable.
	back.s.Targets["k"], back.s.Lines["k"] = 1, perfLine{}
	back.s.Cells.set("k", &perfCell{})
}

func TestPerformanceStateRefusesDamage(t *testing.T) {
	p := NewPerformance()
	p.s = fullPerfState()
	data, err := p.MarshalState()
	if err != nil {
		t.Fatal(err)
	}
	oldJSON := plainJSON(t, &p.s)
	back := NewPerformance()
	if err := back.UnmarshalState(oldJSON); !errors.Is(err, ErrSnapshotFormat) {
		t.Fatalf("the JSON state of earlier releases: %v, want ErrSnapshotFormat", err)
	}
	for n := len(perfMagic); n < len(data); n++ {
		back.s.Lines["stale"] = perfLine{}
		if err := back.UnmarshalState(data[:n]); err == nil {
			t.Fatalf("the state cut to %d of %d bytes was accepted", n, len(data))
		}
		if len(back.s.Lines) != 0 || back.s.Cells.len() != 0 {
			t.Fatalf("a refused state at %d bytes left the model filled", n)
		}
	}
	if err := back.UnmarshalState(append(bytes.Clone(data), 0)); err == nil {
		t.Fatal("a byte after the state was accepted")
	}
	// The first employer's county is preceded by its key "u1"; a month
	// number past the table, a flag of 2 and an impossible date are
	// refused.
	for name, damage := range map[string]func([]byte) []byte{
		"month past the table": func(b []byte) []byte {
			i := bytes.Index(b, []byte("\x02u1\x06632801\x02")) + 10
			b[i] = 9
			return b
		},
		"flag of 2": func(b []byte) []byte {
			i := bytes.Index(b, []byte("\x02p1\x01")) + 3
			b[i] = 2
			return b
		},
		"impossible date": func(b []byte) []byte {
			var hired, feb30 stateWriter
			hired.date(calendar.MustParse("2025-01-15"))
			feb30.varint(2025)
			feb30.varint(2)
			feb30.varint(30)
			return bytes.Replace(b, hired.buf, feb30.buf, 1)
		},
		"digest listed twice": func(b []byte) []byte {
			a, c := perfDigest("unit", "a"), perfDigest("unit", "b")
			lo, hi := min(a, c), max(a, c)
			var first, second stateWriter
			one, other := perfSetOf(lo), perfSetOf(hi)
			first.set(&one)
			second.set(&other)
			i := bytes.Index(b, first.buf[2:])
			j := bytes.Index(b, second.buf[2:])
			if i < 0 || j != i+8 {
				return b
			}
			copy(b[j:], b[i:i+8])
			return b
		},
	} {
		bad := damage(bytes.Clone(data))
		if bytes.Equal(bad, data) {
			t.Fatalf("%s: the damage changed nothing", name)
		}
		if err := back.UnmarshalState(bad); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
}

// mapOf returns tree's pairs as a map, empty (not nil) for an empty tree.
func mapOf[V any](tree *btree.Map[string, V]) map[string]V {
	m := make(map[string]V, tree.Len())
	tree.Scan(func(k string, v V) bool {
		m[k] = v
		return true
	})
	return m
}
