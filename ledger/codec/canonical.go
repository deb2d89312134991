package codec

import (
	"encoding"
	"encoding/json"
	"reflect"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

// canonicalDecoder reads an event type's payloads in the one form
// encoding/json writes them: names as the fields declare them, in any
// order but each once, no whitespace, no escapes in strings, no nulls but
// for slices and pointers, integers without sign tricks. Its members may be
// strings, integers, booleans, values with their own UnmarshalJSON or
// UnmarshalText (amounts, dates, times), structs (embedded or nested),
// slices and pointers of these. Nearly the whole log is in this form, and
// reading it so costs a fraction of the general decoder. Any other input,
// and any value a method refuses, makes decode report false, and the codec
// decodes the payload with the general decoder instead, so the result, or
// the error, is always the general decoder's, itself encoding/json's
// (TestMutatedPayloadsDecodeAsEncodingJSON, TestLedgerPayloadsDecodeAsEncodingJSON,
// FuzzCanonicalDecodesAsEncodingJSON, TestCanonicalDecodesAsGeneral).
type canonicalDecoder struct {
	root    *node
	strings *stringTable
}

type nodeKind uint8

const (
	kindString nodeKind = iota
	kindInt
	kindUint
	kindBool
	kindJSON // the value's pointer implements json.Unmarshaler
	kindText // the value's pointer implements encoding.TextUnmarshaler, or it is a time.Time
	kindStruct
	kindSlice
	kindPointer
)

// node decodes one Go type.
type node struct {
	kind   nodeKind
	bits   int          // an integer's size
	fields []field      // a struct's members, embedded structs flattened
	elem   *node        // a slice's or pointer's element
	typ    reflect.Type // the decoded type
}

type field struct {
	name  string
	index []int
	node  *node
}

var (
	jsonUnmarshaler = reflect.TypeFor[json.Unmarshaler]()
	textUnmarshaler = reflect.TypeFor[encoding.TextUnmarshaler]()
	timeType        = reflect.TypeFor[time.Time]()
)

// maxDepth bounds the nesting of the types compiled, so a recursive type
// is left to the general decoder instead of compiled forever.
const maxDepth = 8

// newCanonicalDecoder returns the decoder of struct type t, sharing
// strings through table, or nil when one of t's members is of a kind it
// does not read.
func newCanonicalDecoder(t reflect.Type, table *stringTable) *canonicalDecoder {
	if t.Kind() != reflect.Struct || hasMethod(t) {
		return nil
	}
	root := compile(t, 0)
	if root == nil {
		return nil
	}
	return &canonicalDecoder{root: root, strings: table}
}

func hasMethod(t reflect.Type) bool {
	ptr := reflect.PointerTo(t)
	return t == timeType || ptr.Implements(jsonUnmarshaler) || ptr.Implements(textUnmarshaler)
}

// compile returns t's node, or nil when t is not of a kind the decoder reads.
func compile(t reflect.Type, depth int) *node {
	if depth > maxDepth {
		return nil
	}
	n := &node{typ: t}
	ptr := reflect.PointerTo(t)
	switch {
	case t == timeType:
		n.kind = kindText
	case ptr.Implements(jsonUnmarshaler):
		n.kind = kindJSON
	case ptr.Implements(textUnmarshaler):
		n.kind = kindText
	default:
		switch k := t.Kind(); {
		case k == reflect.String:
			n.kind = kindString
		case k == reflect.Bool:
			n.kind = kindBool
		case k >= reflect.Int && k <= reflect.Int64:
			n.kind, n.bits = kindInt, t.Bits()
		case k >= reflect.Uint && k <= reflect.Uint64:
			n.kind, n.bits = kindUint, t.Bits()
		case k == reflect.Struct:
			n.kind = kindStruct
			if !n.addFields(t, nil, depth) || !distinctNames(n.fields) {
				return nil
			}
		case k == reflect.Slice || k == reflect.Pointer:
			n.kind = kindSlice
			if k == reflect.Pointer {
				n.kind = kindPointer
			}
			// A []byte is base64 in JSON; a pointer to a pointer is left to
			// the general decoder, whose null handling differs for it.
			if t.Elem().Kind() == reflect.Uint8 || t.Elem().Kind() == reflect.Pointer {
				return nil
			}
			if n.elem = compile(t.Elem(), depth+1); n.elem == nil {
				return nil
			}
		default:
			return nil
		}
	}
	return n
}

// addFields lists t's fields into n, embedded structs flattened; false if
// one of them is not of a kind the decoder reads or carries a tag option
// or name it does not know.
func (n *node) addFields(t reflect.Type, index []int, depth int) bool {
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
		if !plainName(name) {
			return false
		}
		idx := append(append([]int(nil), index...), i)
		if sf.Anonymous && name == "" {
			// encoding/json flattens an embedded struct even when it has
			// its own methods; only plain exported ones are read here.
			if sf.Type.Kind() != reflect.Struct || !sf.IsExported() || hasMethod(sf.Type) || !n.addFields(sf.Type, idx, depth) {
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
		fn := compile(sf.Type, depth+1)
		if fn == nil {
			return false
		}
		n.fields = append(n.fields, field{name: name, index: idx, node: fn})
	}
	return len(n.fields) <= 64
}

// plainName reports whether a tag's name is one encoding/json takes as it
// is: letters, digits, '-' and '_'.
func plainName(name string) bool {
	for _, c := range name {
		if !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '-' || c == '_') {
			return false
		}
	}
	return true
}

// distinctNames is false when two names differ only in case, or one field
// hides another: encoding/json's rules for those are left to it.
func distinctNames(fields []field) bool {
	seen := map[string]bool{}
	for _, f := range fields {
		if seen[strings.ToLower(f.name)] {
			return false
		}
		seen[strings.ToLower(f.name)] = true
	}
	return true
}

// decode fills v, a zero value of the decoder's type, from data, or
// reports false, leaving v partly filled, when data is not in the form
// described above or a value does not decode.
func (d *canonicalDecoder) decode(data []byte, v reflect.Value) bool {
	end, ok := d.value(d.root, data, 0, v)
	return ok && end == len(data)
}

// value decodes the value at data[i:] into v, of n's type, and returns
// the index after it.
func (d *canonicalDecoder) value(n *node, data []byte, i int, v reflect.Value) (int, bool) {
	switch n.kind {
	case kindStruct:
		return d.object(n, data, i, v)
	case kindSlice:
		return d.array(n, data, i, v)
	case kindPointer:
		if hasPrefixAt(data, i, "null") {
			return i + 4, true
		}
		p := reflect.New(n.elem.typ)
		end, ok := d.value(n.elem, data, i, p.Elem())
		v.Set(p)
		return end, ok
	case kindInt, kindUint:
		return integer(n, data, i, v)
	case kindBool:
		switch {
		case hasPrefixAt(data, i, "true"):
			v.SetBool(true)
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
	switch n.kind {
	case kindString:
		v.SetString(d.strings.text(s))
	case kindJSON:
		ok = v.Addr().Interface().(json.Unmarshaler).UnmarshalJSON(data[i:end]) == nil
	case kindText:
		ok = v.Addr().Interface().(encoding.TextUnmarshaler).UnmarshalText(s) == nil
	}
	return end, ok
}

func (d *canonicalDecoder) object(n *node, data []byte, i int, v reflect.Value) (int, bool) {
	if i+1 >= len(data) || data[i] != '{' {
		return 0, false
	}
	i++
	if data[i] == '}' {
		return i + 1, true
	}
	var seen uint64
	k := -1
	for {
		name, next, ok := plainString(data, i)
		if !ok || next >= len(data) || data[next] != ':' {
			return 0, false
		}
		// Members come in declaration order when encoding/json wrote them.
		if k++; k >= len(n.fields) || n.fields[k].name != string(name) {
			if k = n.field(name); k < 0 {
				return 0, false
			}
		}
		if seen&(1<<k) != 0 {
			return 0, false
		}
		seen |= 1 << k
		f := &n.fields[k]
		fv := v.Field(f.index[0])
		if len(f.index) > 1 {
			fv = v.FieldByIndex(f.index)
		}
		if i, ok = d.value(f.node, data, next+1, fv); !ok || i >= len(data) {
			return 0, false
		}
		switch data[i] {
		case ',':
			i++
		case '}':
			return i + 1, true
		default:
			return 0, false
		}
	}
}

func (n *node) field(name []byte) int {
	for k := range n.fields {
		if n.fields[k].name == string(name) {
			return k
		}
	}
	return -1
}

// array decodes a slice: null leaves it nil, [] makes it empty, as
// encoding/json does.
func (d *canonicalDecoder) array(n *node, data []byte, i int, v reflect.Value) (int, bool) {
	if hasPrefixAt(data, i, "null") {
		return i + 4, true
	}
	if i+1 >= len(data) || data[i] != '[' {
		return 0, false
	}
	i++
	if data[i] == ']' {
		v.Set(reflect.MakeSlice(n.typ, 0, 0))
		return i + 1, true
	}
	v.Set(reflect.MakeSlice(n.typ, 0, 4))
	for {
		k := v.Len()
		if k == v.Cap() {
			v.Grow(1)
		}
		v.SetLen(k + 1)
		var ok bool
		if i, ok = d.value(n.elem, data, i, v.Index(k)); !ok || i >= len(data) {
			return 0, false
		}
		switch data[i] {
		case ',':
			i++
		case ']':
			return i + 1, true
		default:
			return 0, false
		}
	}
}

// integer reads a JSON integer as encoding/json writes it: an optional
// minus (not for unsigned types), then digits without a leading zero.
func integer(n *node, data []byte, i int, v reflect.Value) (int, bool) {
	end := i
	if n.kind == kindInt && end < len(data) && data[end] == '-' {
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
	if n.kind == kindUint {
		u, err := strconv.ParseUint(string(data[i:end]), 10, n.bits)
		if err != nil {
			return 0, false
		}
		v.SetUint(u)
		return end, true
	}
	x, err := strconv.ParseInt(string(data[i:end]), 10, n.bits)
	if err != nil {
		return 0, false
	}
	v.SetInt(x)
	return end, true
}

func hasPrefixAt(data []byte, i int, s string) bool {
	return len(data)-i >= len(s) && string(data[i:i+len(s)]) == s
}

// plainString reads a JSON string at data[i:] without escapes or control
// characters and of valid UTF-8, whose text is therefore its bytes; it
// returns the text and the index after the closing quote.
func plainString(data []byte, i int) ([]byte, int, bool) {
	if i >= len(data) || data[i] != '"' {
		return nil, 0, false
	}
	j := i + 1
	for j < len(data) && plainASCII[data[j]] {
		j++
	}
	if j < len(data) && data[j] == '"' {
		return data[i+1 : j], j + 1, true
	}
	for ; j < len(data); j++ {
		switch c := data[j]; {
		case c == '"':
			s := data[i+1 : j]
			return s, j + 1, utf8.Valid(s)
		case c < 0x20 || c == '\\':
			return nil, 0, false
		}
	}
	return nil, 0, false
}

// plainASCII[c] is true for the ASCII bytes that stand for themselves in
// a JSON string: not a control character, quote or backslash.
var plainASCII = func() (t [256]bool) {
	for c := 0x20; c < utf8.RuneSelf; c++ {
		t[c] = c != '"' && c != '\\'
	}
	return t
}()
