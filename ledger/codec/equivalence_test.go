package codec_test

import (
	"bytes"
	"encoding"
	"encoding/json"
	"fmt"
	"reflect"
	"testing"

	"github.com/haixi-hrss/fundledger/domain"
	"github.com/haixi-hrss/fundledger/domain/identity"
	"github.com/haixi-hrss/fundledger/ledger/schema"
)

// samples are JSON values tried, in order, for a type with its own
// UnmarshalJSON or UnmarshalText, until one decodes with encoding/json:
// amounts, dates, times, region and programme codes, ratios, IDs.
func samples(t *testing.T) []string {
	c, ok := identity.ResidentCheckChar("63280119900307123")
	if !ok {
		t.Fatal("no resident check character")
	}
	return []string{
		`"1500.25"`, `"2025-03-31"`, `"2025-03-31T10:00:00.123456Z"`, `"632801"`, `"stabilization"`,
		`"unemployment-insurance"`, `"employment-subsidy"`, `"0.6"`, `"2/3"`, `"3c0b8f2a-7d41-4e59-a6c2-9e5d1f08b7c4"`,
		`"63280119900307123` + string(c) + `"`, `"x"`, `7`, `true`,
	}
}

var (
	unmarshaler     = reflect.TypeFor[json.Unmarshaler]()
	textUnmarshaler = reflect.TypeFor[encoding.TextUnmarshaler]()
)

// fill sets every exported field reachable from v to a non-zero value
// that encoding/json accepts, so a marshalled event exercises each field.
func fill(t *testing.T, v reflect.Value, samples []string, depth int) {
	if depth > 6 {
		return
	}
	if v.CanAddr() && (v.Addr().Type().Implements(unmarshaler) || v.Addr().Type().Implements(textUnmarshaler)) {
		for _, s := range samples {
			p := reflect.New(v.Type())
			if json.Unmarshal([]byte(s), p.Interface()) == nil && !p.Elem().IsZero() {
				v.Set(p.Elem())
				return
			}
		}
		t.Errorf("no sample decodes into %v", v.Type())
		return
	}
	switch v.Kind() {
	case reflect.Struct:
		for i := range v.NumField() {
			if v.Type().Field(i).IsExported() {
				fill(t, v.Field(i), samples, depth+1)
			}
		}
	case reflect.String:
		v.SetString("s-" + v.Type().Name())
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		v.SetInt(7)
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		v.SetUint(7)
	case reflect.Float32, reflect.Float64:
		v.SetFloat(1.5)
	case reflect.Bool:
		v.SetBool(true)
	case reflect.Pointer:
		p := reflect.New(v.Type().Elem())
		fill(t, p.Elem(), samples, depth+1)
		v.Set(p)
	case reflect.Slice:
		s := reflect.MakeSlice(v.Type(), 2, 2)
		for i := range 2 {
			fill(t, s.Index(i), samples, depth+1)
		}
		v.Set(s)
	case reflect.Array:
		for i := range v.Len() {
			fill(t, v.Index(i), samples, depth+1)
		}
	case reflect.Map:
		m := reflect.MakeMap(v.Type())
		k, e := reflect.New(v.Type().Key()).Elem(), reflect.New(v.Type().Elem()).Elem()
		fill(t, k, samples, depth+1)
		fill(t, e, samples, depth+1)
		m.SetMapIndex(k, e)
		v.Set(m)
	}
}

// referenceDecode is the codec's decoding as it was with encoding/json.
func referenceDecode(ev domain.Event, data []byte) (any, error) {
	target := reflect.New(reflect.TypeOf(ev))
	if reflect.TypeOf(ev).Kind() == reflect.Pointer {
		target = reflect.New(reflect.TypeOf(ev).Elem())
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	err := dec.Decode(target.Interface())
	if reflect.TypeOf(ev).Kind() == reflect.Pointer {
		return target.Interface(), err
	}
	return target.Elem().Interface(), err
}

// TestDecodesAsEncodingJSON: for every event type the ledger records, a
// payload with every field set, and variants of it (field names in other
// case, an unknown field, a field of the wrong type, a null), decode with
// the codec exactly as encoding/json decodes them, or fail in both.
func TestDecodesAsEncodingJSON(t *testing.T) {
	c := schema.Codec()
	ss := samples(t)
	types := c.Types()
	if len(types) < 40 {
		t.Fatalf("only %d event types registered", len(types))
	}
	for _, name := range types {
		zero, err := c.DecodeData(name, mustVersion(t, c.Version, name), []byte(`{}`))
		if err != nil {
			t.Fatalf("%s: decode {}: %v", name, err)
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
			t.Fatalf("%s: %v", name, err)
		}
		variants := map[string][]byte{
			"every field set": full,
			"empty object":    []byte(`{}`),
			"unknown field":   append([]byte(`{"notAField":1,`), full[1:]...),
			"upper-case name": upperFirstName(full),
			"wrong type":      []byte(`{` + firstName(full) + `:[1,{}]}`),
			"null field":      []byte(`{` + firstName(full) + `:null}`),
			"null":            []byte(`null`),
		}
		for what, data := range variants {
			want, werr := referenceDecode(zero, data)
			got, gerr := c.DecodeData(name, mustVersion(t, c.Version, name), data)
			if (werr == nil) != (gerr == nil) {
				t.Errorf("%s, %s: encoding/json error %v, codec error %v\n%s", name, what, werr, gerr, data)
				continue
			}
			if what == "every field set" && werr != nil {
				t.Errorf("%s: the filled payload does not decode: %v\n%s", name, werr, data)
			}
			if werr == nil && !reflect.DeepEqual(got, want) {
				t.Errorf("%s, %s: codec decoded %#v, encoding/json %#v", name, what, got, want)
			}
		}
	}
}

func mustVersion(t *testing.T, version func(string) (int, bool), name string) int {
	v, ok := version(name)
	if !ok {
		t.Fatalf("%s not registered", name)
	}
	return v
}

// firstName returns the first member name of a JSON object, quoted.
func firstName(obj []byte) string {
	end := bytes.IndexByte(obj[2:], '"')
	if obj[0] != '{' || obj[1] != '"' || end < 0 {
		return `"none"`
	}
	return string(obj[1 : end+3])
}

func upperFirstName(obj []byte) []byte {
	name := firstName(obj)
	if len(name) < 3 {
		return obj
	}
	upper := fmt.Sprintf(`"%s%s`, bytes.ToUpper([]byte(name[1:2])), name[2:])
	return bytes.Replace(obj, []byte(name), []byte(upper), 1)
}
