package codec

import (
	"encoding"
	"encoding/json"
	"reflect"
	"strconv"
	"strings"
	"time"
)

// flatDecoder reads the payloads of a "flat" event type, one whose
// members are strings, integers, booleans and values with their own
// UnmarshalJSON or UnmarshalText (amounts, dates, times), possibly through
// embedded structs, in the one form encoding/json writes them: names as
// the field declares them, no whitespace, no escapes, no duplicates, no
// nulls, integers without sign tricks, strings of printable ASCII. Most of
// the log is such events (employers' monthly reports are half of it), and
// reading them so costs a fraction of the general decoder. Any other
// input, and any value a method refuses, makes decode report false, and
// the codec decodes the payload with the general decoder instead, so the
// result, or the error, is always the general decoder's
// (TestFlatDecodesAsGeneral, FuzzFlatDecodesAsGeneral).
type flatDecoder struct {
	fields []flatField
}

type flatKind uint8

const (
	flatString flatKind = iota
	flatInt
	flatBool
	flatJSON // the field's pointer implements json.Unmarshaler
	flatText // the field's pointer implements encoding.TextUnmarshaler, or it is a time.Time
)

type flatField struct {
	name  string
	index []int
	kind  flatKind
	bits  int // an integer field's size
}

var (
	jsonUnmarshaler = reflect.TypeFor[json.Unmarshaler]()
	textUnmarshaler = reflect.TypeFor[encoding.TextUnmarshaler]()
	timeType        = reflect.TypeFor[time.Time]()
)

// newFlatDecoder returns the decoder of struct type t, or nil when t is
// not flat.
func newFlatDecoder(t reflect.Type) *flatDecoder {
	d := &flatDecoder{}
	ptr := reflect.PointerTo(t)
	if t.Kind() != reflect.Struct || ptr.Implements(jsonUnmarshaler) || ptr.Implements(textUnmarshaler) || !d.add(t, nil) || len(d.fields) > 64 {
		return nil
	}
	seen := map[string]bool{}
	for _, f := range d.fields {
		if seen[strings.ToLower(f.name)] {
			return nil // names that differ only in case, or one field hiding another
		}
		seen[strings.ToLower(f.name)] = true
	}
	return d
}

// add lists t's fields, embedded structs flattened; false if one of them
// is not of a flat kind or carries a tag option the decoder does not know.
func (d *flatDecoder) add(t reflect.Type, index []int) bool {
	for i := range t.NumField() {
		sf := t.Field(i)
		tag := sf.Tag.Get("json")
		if tag == "-" {
			continue
		}
		name, opts, _ := strings.Cut(tag, ",")
		for opt := range strings.SplitSeq(opts, ",") {
			if opt != "" && opt != "omitempty" && opt != "omitzero" {
				return false
			}
		}
		idx := append(append([]int(nil), index...), i)
		ptr := reflect.PointerTo(sf.Type)
		leaf := sf.Type == timeType || ptr.Implements(jsonUnmarshaler) || ptr.Implements(textUnmarshaler)
		if sf.Anonymous && name == "" && !leaf {
			if sf.Type.Kind() != reflect.Struct || !sf.IsExported() || !d.add(sf.Type, idx) {
				return false
			}
			continue
		}
		if !sf.IsExported() {
			continue
		}
		if name == "" {
			name = sf.Name
		}
		f := flatField{name: name, index: idx}
		switch {
		case sf.Type == timeType:
			f.kind = flatText
		case ptr.Implements(jsonUnmarshaler):
			f.kind = flatJSON
		case ptr.Implements(textUnmarshaler):
			f.kind = flatText
		case sf.Type.Kind() == reflect.String:
			f.kind = flatString
		case sf.Type.Kind() == reflect.Bool:
			f.kind = flatBool
		case sf.Type.Kind() >= reflect.Int && sf.Type.Kind() <= reflect.Int64:
			f.kind, f.bits = flatInt, sf.Type.Bits()
		default:
			return false
		}
		d.fields = append(d.fields, f)
	}
	return true
}

// decode fills v, a zero value of the decoder's type, from data, or
// reports false, leaving v partly filled, when data is not in the form
// described above or a value does not decode.
func (d *flatDecoder) decode(data []byte, v reflect.Value) bool {
	if len(data) < 2 || data[0] != '{' {
		return false
	}
	i := 1
	if data[i] == '}' {
		return i+1 == len(data)
	}
	var seen uint64
	for {
		name, next, ok := plainString(data, i)
		if !ok || next >= len(data) || data[next] != ':' {
			return false
		}
		k := d.field(name)
		if k < 0 || seen&(1<<k) != 0 {
			return false
		}
		seen |= 1 << k
		if i, ok = d.value(&d.fields[k], data, next+1, v); !ok || i >= len(data) {
			return false
		}
		switch data[i] {
		case ',':
			i++
		case '}':
			return i+1 == len(data)
		default:
			return false
		}
	}
}

func (d *flatDecoder) field(name []byte) int {
	for k := range d.fields {
		if d.fields[k].name == string(name) {
			return k
		}
	}
	return -1
}

// value decodes the value at data[i:] into f's field of v and returns
// the index after it.
func (d *flatDecoder) value(f *flatField, data []byte, i int, v reflect.Value) (int, bool) {
	fv := v.FieldByIndex(f.index)
	switch f.kind {
	case flatInt:
		end := i
		if end < len(data) && data[end] == '-' {
			end++
		}
		start := end
		for end < len(data) && '0' <= data[end] && data[end] <= '9' {
			end++
		}
		digits := end - start
		if digits == 0 || (digits > 1 && data[start] == '0') || string(data[i:end]) == "-0" {
			return 0, false
		}
		n, err := strconv.ParseInt(string(data[i:end]), 10, f.bits)
		if err != nil {
			return 0, false
		}
		fv.SetInt(n)
		return end, true
	case flatBool:
		switch {
		case hasPrefixAt(data, i, "true"):
			fv.SetBool(true)
			return i + 4, true
		case hasPrefixAt(data, i, "false"):
			return i + 5, true
		}
		return 0, false
	}
	s, end, ok := plainString(data, i)
	if !ok {
		return 0, false
	}
	switch f.kind {
	case flatString:
		fv.SetString(string(s))
	case flatJSON:
		ok = fv.Addr().Interface().(json.Unmarshaler).UnmarshalJSON(data[i:end]) == nil
	case flatText:
		ok = fv.Addr().Interface().(encoding.TextUnmarshaler).UnmarshalText(s) == nil
	}
	return end, ok
}

func hasPrefixAt(data []byte, i int, s string) bool {
	return len(data)-i >= len(s) && string(data[i:i+len(s)]) == s
}

// plainString reads a JSON string at data[i:] made only of printable
// ASCII without escapes, whose text is therefore its bytes; it returns
// the text and the index after the closing quote.
func plainString(data []byte, i int) ([]byte, int, bool) {
	if i >= len(data) || data[i] != '"' {
		return nil, 0, false
	}
	for j := i + 1; j < len(data); j++ {
		switch c := data[j]; {
		case c == '"':
			return data[i+1 : j], j + 1, true
		case c < 0x20 || c >= 0x7f || c == '\\':
			return nil, 0, false
		}
	}
	return nil, 0, false
}
