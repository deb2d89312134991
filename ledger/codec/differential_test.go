package codec_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"reflect"
	"testing"

	"github.com/haixi-hrss/fundledger/ledger/codec"
	"github.com/haixi-hrss/fundledger/ledger/schema"
)

// decodesAsEncodingJSON fails unless the codec decodes data as
// encoding/json does: the same value, or an error in both. It reports
// whether the codec's canonical decoder read data itself.
func decodesAsEncodingJSON(t testing.TB, c *codec.Codec, typ string, version int, data []byte) bool {
	t.Helper()
	zero, err := c.DecodeData(typ, version, []byte(`{}`))
	if err != nil {
		t.Fatalf("%s: decode {}: %v", typ, err)
	}
	want, werr := wholeReferenceDecode(zero, data)
	got, gerr := c.DecodeData(typ, version, data)
	if (werr == nil) != (gerr == nil) {
		t.Fatalf("%s: encoding/json error %v, codec error %v\n%s", typ, werr, gerr, data)
	}
	if werr == nil && !reflect.DeepEqual(got, want) {
		t.Fatalf("%s: codec decoded %#v, encoding/json %#v\n%s", typ, got, want, data)
	}
	return c.DecodesCanonically(typ, data)
}

// wholeReferenceDecode is referenceDecode refusing data after the value,
// as json.Unmarshal does and the codec always did.
func wholeReferenceDecode(zero any, data []byte) (any, error) {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	target := reflect.New(reflect.TypeOf(zero))
	if reflect.TypeOf(zero).Kind() == reflect.Pointer {
		target = reflect.New(reflect.TypeOf(zero).Elem())
	}
	err := dec.Decode(target.Interface())
	if err == nil {
		if _, end := dec.Token(); end != io.EOF {
			err = fmt.Errorf("data after the value: %v", end)
		}
	}
	if reflect.TypeOf(zero).Kind() == reflect.Pointer {
		return target.Interface(), err
	}
	return target.Elem().Interface(), err
}

// TestLedgerPayloadsDecodeAsEncodingJSON: the benchmark ledger's payloads
// of every type decode as encoding/json decodes them, and all but those
// of types with maps are read by the canonical decoder itself.
func TestLedgerPayloadsDecodeAsEncodingJSON(t *testing.T) {
	c := schema.Codec()
	samples, counts := ledgerSamples(t)
	if len(counts) < 30 {
		t.Fatalf("only %d event types in testdata/ledger-mix.tsv", len(counts))
	}
	for _, s := range samples {
		canonical := decodesAsEncodingJSON(t, c, s.typ, s.version, s.data)
		if wantCanonical := s.typ != "PolicyVersionPublished"; canonical != wantCanonical {
			t.Errorf("%s: read by the canonical decoder %v, want %v\n%s", s.typ, canonical, wantCanonical, s.data)
		}
	}
}

// TestMutatedPayloadsDecodeAsEncodingJSON: for every registered event
// type, a payload with every field set and two of the ledger's, and
// mutations of each at every nested position (values replaced by null,
// [], {}, numbers and strings of other forms; names in other case,
// unknown, repeated; strings with escapes, non-ASCII, invalid UTF-8 and
// control characters; whitespace; truncation), decode with the codec as
// with encoding/json.
func TestMutatedPayloadsDecodeAsEncodingJSON(t *testing.T) {
	c := schema.Codec()
	ss := samples(t)
	payloads := map[string][][]byte{}
	for _, name := range c.Types() {
		zero, err := c.DecodeData(name, mustVersion(t, c.Version, name), []byte(`{}`))
		if err != nil {
			t.Fatal(err)
		}
		v := reflect.New(reflect.TypeOf(zero)).Elem()
		if v.Kind() == reflect.Pointer {
			v.Set(reflect.New(v.Type().Elem()))
			fill(t, v.Elem(), ss, 0)
		} else {
			fill(t, v, ss, 0)
		}
		full, err := json.Marshal(v.Interface())
		if err != nil {
			t.Fatal(err)
		}
		payloads[name] = append(payloads[name], full)
	}
	ledger, _ := ledgerSamples(t)
	for _, s := range ledger {
		if len(payloads[s.typ]) < 3 {
			payloads[s.typ] = append(payloads[s.typ], s.data)
		}
	}
	step := 1
	if testing.Short() || raceEnabled {
		step = 3 // a third of the mutations, each still tried on some payload
	}
	var tried, canonical int
	for _, name := range c.Types() {
		version := mustVersion(t, c.Version, name)
		for p, payload := range payloads[name] {
			if !decodesAsEncodingJSON(t, c, name, version, payload) && name != "PolicyVersionPublished" {
				t.Errorf("%s: the canonical decoder left %s to the general decoder", name, payload)
			}
			for i, m := range mutations(payload) {
				if (i+p)%step != 0 {
					continue
				}
				tried++
				if decodesAsEncodingJSON(t, c, name, version, m) {
					canonical++
				}
			}
		}
	}
	// Both outcomes must be common, or the test compares one decoder with
	// itself.
	if canonical < tried/20 || canonical > tried*19/20 {
		t.Errorf("the canonical decoder read %d of %d mutated payloads", canonical, tried)
	}
	t.Logf("%d mutated payloads, %d read by the canonical decoder", tried, canonical)
}

// FuzzCanonicalDecodesAsEncodingJSON:
// go test -fuzz FuzzCanonicalDecodesAsEncodingJSON ./ledger/codec
func FuzzCanonicalDecodesAsEncodingJSON(f *testing.F) {
	c := schema.Codec()
	ledger, _ := ledgerSamples(f)
	for _, s := range ledger {
		f.Add(s.typ, s.data)
	}
	f.Fuzz(func(t *testing.T, typ string, data []byte) {
		version, ok := c.Version(typ)
		if !ok || bytes.Count(data, []byte("{"))+bytes.Count(data, []byte("[")) > 12 {
			t.Skip() // deep nesting tests the general decoder, not this one
		}
		decodesAsEncodingJSON(t, c, typ, version, data)
	})
}

// mutations returns variants of a compact JSON payload, each one edit at
// one position.
func mutations(data []byte) [][]byte {
	var out [][]byte
	edit := func(from, to int, with string) {
		m := make([]byte, 0, len(data)+len(with))
		m = append(append(append(m, data[:from]...), with...), data[to:]...)
		out = append(out, m)
	}
	for i := 0; i < len(data); i++ {
		switch data[i] {
		case '"':
			end := stringEnd(data, i)
			if end < len(data) && data[end] == ':' {
				vEnd := valueEnd(data, end+1)
				edit(i+1, i+2, string(bytes.ToUpper(data[i+1:i+2])))
				edit(i, end, `"notAField"`)
				edit(vEnd, vEnd, ","+string(data[i:vEnd]))
				for _, v := range []string{`null`, `[]`, `{}`, `""`, `0`, `-1`, `01`, `1.5`, `true`, `"x"`, `"\u0041"`, `[null]`, `["x",1]`, `{"a":1}`, `[{}]`} {
					edit(end+1, vEnd, v)
				}
			} else if end-i > 2 {
				mid := (i + end) / 2
				for _, s := range []string{`\n`, `\u00e9`, `\"`, "é", "\xff", "\x01", "<", "\u2028", "\x7f"} {
					edit(mid, mid, s)
				}
				edit(i+1, end-1, "")
			}
			i = end - 1
		case '{':
			if i+1 < len(data) && data[i+1] == '}' {
				edit(i+1, i+1, `"notAField":1`)
			} else {
				edit(i+1, i+1, `"notAField":1,`)
			}
			edit(i+1, i+1, " ")
		case '[':
			edit(i+1, i+1, "null,")
			edit(i+1, i+1, "\t")
		case ',', ':':
			edit(i+1, i+1, " ")
		}
		if i%5 == 0 {
			edit(i, len(data), "")
		}
	}
	edit(0, 0, " ")
	edit(len(data), len(data), "x")
	return out
}

// stringEnd returns the index after the JSON string starting at data[i].
func stringEnd(data []byte, i int) int {
	for j := i + 1; j < len(data); j++ {
		switch data[j] {
		case '\\':
			j++
		case '"':
			return j + 1
		}
	}
	return len(data)
}

// valueEnd returns the index after the JSON value starting at data[i].
func valueEnd(data []byte, i int) int {
	depth := 0
	for j := i; j < len(data); j++ {
		switch data[j] {
		case '"':
			j = stringEnd(data, j) - 1
		case '{', '[':
			depth++
		case '}', ']':
			if depth == 0 {
				return j
			}
			depth--
		case ',':
			if depth == 0 {
				return j
			}
		}
		if depth == 0 && j >= i && (data[j] == '}' || data[j] == ']' || data[j] == '"') {
			return j + 1
		}
	}
	return len(data)
}
