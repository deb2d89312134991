package codec

import (
	"reflect"
	"strings"
	"testing"
	"time"

	jsonv2 "github.com/go-json-experiment/json"

	"github.com/haixi-hrss/fundledger/domain"
	"github.com/haixi-hrss/fundledger/domain/employer"
)

// monthReport is an employer's monthly report as the ledger stores it.
const monthReport = `{"month":"2022-01","insuredHeadcount":42,"premiumsPaid":"2142.00","actor":"clerk-632802","role":"clerk","at":"2022-02-05T10:00:00+08:00"}`

// flatVariants are payloads of a flat type the canonical decoder must read
// as the general decoder does or leave to it: canonical ones, and one of each way out of
// the canonical form, including values the general decoder refuses.
var flatVariants = []string{
	monthReport,
	`{"month":"2022-01","insuredHeadcount":0,"premiumsPaid":"-0.5","correction":"typo","actor":"a","role":"clerk","at":"2022-02-05T10:00:00.123456789Z"}`,
	`{"at":"2022-02-05T10:00:00Z","month":"2022-01"}`,
	`{}`,
	`{"insuredHeadcount":-7}`,
	`{"insuredHeadcount":9223372036854775807}`,
	`{"insuredHeadcount":9223372036854775808}`,
	`{"insuredHeadcount":-0}`,
	`{"insuredHeadcount":01}`,
	`{"insuredHeadcount":1.0}`,
	`{"insuredHeadcount":1e2}`,
	`{"insuredHeadcount":"1"}`,
	`{"insuredHeadcount":null}`,
	`{"premiumsPaid":"1.005"}`,
	`{"premiumsPaid":12}`,
	`{"premiumsPaid":null}`,
	`{"at":"2022-02-30T10:00:00Z"}`,
	`{"at":"2022-02-05 10:00:00"}`,
	`{"at":""}`,
	`{"Month":"2022-01"}`,
	`{"MONTH":"2022-01"}`,
	`{"month":"2022-01","month":"2022-02"}`,
	`{"month":"2022-01","Month":"2022-02"}`,
	`{"month":"2022\u002d01"}`,
	`{"month":"2022-01\n"}`,
	`{"actor":"张三"}`,
	`{"actor":"\xff"}`,
	`{"month":null}`,
	`{"month":1}`,
	`{"month":true}`,
	`{"notAField":1}`,
	`{"By":{"actor":"a"}}`,
	`{ "month":"2022-01"}`,
	`{"month" :"2022-01"}`,
	`{"month":"2022-01" }`,
	`{"month":"2022-01"} `,
	`{"month":"2022-01"}x`,
	`{"month":"2022-01",}`,
	`{"month":"2022-01"`,
	`{"month":"2022-01`,
	`{"month"}`,
	`{"month":}`,
	`{`,
	`}`,
	`null`,
	`[]`,
	``,
}

func flatCodec(t testing.TB) *Codec {
	c, err := New(Types(employer.EventTypes()))
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// general decodes data as the codec did before the canonical decoder.
func general(data []byte) (domain.Event, error) {
	e := &employer.MonthReported{}
	err := jsonv2.Unmarshal(data, e, decodeOptions)
	return e, err
}

// sameAsGeneral fails unless the codec's DecodeData gives what the general
// decoder gives for data: the same value, or an error in both.
func sameAsGeneral(t *testing.T, c *Codec, data []byte) {
	t.Helper()
	got, gerr := c.DecodeData("EmployerMonthReported", 1, data)
	want, werr := general(data)
	if (gerr == nil) != (werr == nil) {
		t.Fatalf("%s: codec error %v, general decoder's %v", data, gerr, werr)
	}
	if werr == nil && !reflect.DeepEqual(got, want) {
		t.Fatalf("%s: codec decoded %#v, general decoder %#v", data, got, want)
	}
}

func TestCanonicalDecodesAsGeneral(t *testing.T) {
	c := flatCodec(t)
	for _, v := range flatVariants {
		sameAsGeneral(t, c, []byte(v))
	}
	// The canonical payloads are read by the canonical decoder itself, or
	// this test would only compare the general decoder with itself.
	flat := c.types["EmployerMonthReported"].canonical
	if flat == nil {
		t.Fatal("EmployerMonthReported has no canonical decoder")
	}
	for _, v := range flatVariants[:6] {
		if !flat.decode([]byte(v), reflect.New(reflect.TypeFor[employer.MonthReported]()).Elem()) {
			t.Errorf("the canonical decoder left %s to the general decoder", v)
		}
	}
	for _, v := range []string{`{"Month":"2022-01"}`, `{"insuredHeadcount":-0}`, `{ "month":"2022-01"}`, `{"premiumsPaid":"1.005"}`} {
		if flat.decode([]byte(v), reflect.New(reflect.TypeFor[employer.MonthReported]()).Elem()) {
			t.Errorf("the canonical decoder accepted %s", v)
		}
	}
}

// TestCanonicalTypes: only structs of members the canonical decoder
// reads get one.
func TestCanonicalTypes(t *testing.T) {
	type inner struct{ A string }
	type Outer struct{ A string }
	type self struct{ Next *self }
	for _, tt := range []struct {
		v         any
		canonical bool
	}{
		{employer.MonthReported{}, true},
		{struct{ A []string }{}, true},
		{struct{ A inner }{}, true},
		{struct{ A *string }{}, true},
		{struct{ A uint }{}, true},
		{struct{ A []inner }{}, true},
		{struct{ A map[string]int }{}, false},
		{struct{ A []byte }{}, false},
		{struct{ A **string }{}, false},
		{struct{ A any }{}, false},
		{struct{ A float64 }{}, false},
		{struct{ A [2]string }{}, false},
		{self{}, false},
		{struct {
			A int `json:",string"`
		}{}, false},
		{struct {
			A int `json:"a b"`
		}{}, false},
		{struct {
			A string
			B string `json:"a"`
		}{}, false},
		{struct {
			inner
			A string
		}{}, false},
		{struct {
			Outer
			B string
		}{}, true},
		{struct {
			Outer
			A string
		}{}, false},
		{struct{ time.Time }{}, false},
		{struct {
			B string `json:"-"`
			A string `json:"a,omitempty"`
		}{}, true},
	} {
		if got := newCanonicalDecoder(reflect.TypeOf(tt.v), newStringTable()) != nil; got != tt.canonical {
			t.Errorf("%T: canonical %v, want %v", tt.v, got, tt.canonical)
		}
	}
}

// FuzzFlatDecodesAsGeneral: go test -fuzz FuzzFlatDecodesAsGeneral ./ledger/codec
func FuzzFlatDecodesAsGeneral(f *testing.F) {
	for _, v := range flatVariants {
		f.Add(v)
	}
	c := flatCodec(f)
	f.Fuzz(func(t *testing.T, s string) {
		if strings.Count(s, "{") > 4 {
			t.Skip() // deep nesting tests the general decoder, not this one
		}
		sameAsGeneral(t, c, []byte(s))
	})
}

// BenchmarkDecodeMonthReport compares the codec (canonical decoder) with the
// general decoder on an employer's monthly report.
func BenchmarkDecodeMonthReport(b *testing.B) {
	data := []byte(monthReport)
	b.Run("codec", func(b *testing.B) {
		c := flatCodec(b)
		b.ReportAllocs()
		for b.Loop() {
			if _, err := c.DecodeData("EmployerMonthReported", 1, data); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("general", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if _, err := general(data); err != nil {
				b.Fatal(err)
			}
		}
	})
}
