package api

import (
	"bytes"
	"encoding"
	"encoding/json"
	"errors"
	"reflect"
	"strconv"
	"strings"
	"sync"

	"github.com/haixi-hrss/fundledger/domain"
)

// The decoder below walks the request type itself rather than handing the
// whole body to encoding/json, for one reason: every error then names the
// field by its full path ("facts.premiumsPaidLastYear", "results[1].on"),
// where encoding/json reports an amount's or a date's own parser error
// under the parser's generic name.

var (
	jsonUnmarshaler = reflect.TypeFor[json.Unmarshaler]()
	textUnmarshaler = reflect.TypeFor[encoding.TextUnmarshaler]()
)

// decodeValue decodes raw into v (settable), strictly: exact field names,
// no unknown fields, matching JSON types. path names v in errors. raw is
// one valid JSON value (decode checked the body): objects are split and
// plain leaves set without running encoding/json's validating scanner
// over each part again, and whatever the fast paths do not recognise is
// left to encoding/json, so values and errors are the same either way.
func decodeValue(raw json.RawMessage, v reflect.Value, path *fieldPath) error {
	if v.CanAddr() {
		if pt := v.Addr().Type(); pt.Implements(jsonUnmarshaler) {
			// What encoding/json would call for this value, null included.
			return parsed(v.Addr().Interface().(json.Unmarshaler).UnmarshalJSON(raw), path)
		} else if pt.Implements(textUnmarshaler) {
			if text, ok := plainString(raw); ok {
				return parsed(v.Addr().Interface().(encoding.TextUnmarshaler).UnmarshalText(text), path)
			}
			return parsed(json.Unmarshal(raw, v.Addr().Interface()), path)
		}
	}
	isNull := bytes.Equal(bytes.TrimSpace(raw), []byte("null"))
	switch v.Kind() {
	case reflect.Pointer:
		if isNull {
			v.SetZero()
			return nil
		}
		p := reflect.New(v.Type().Elem())
		if err := decodeValue(raw, p.Elem(), path); err != nil {
			return err
		}
		v.Set(p)
		return nil
	case reflect.Struct:
		if isNull {
			return nil
		}
		var room [8]member
		fields, err := objectMembers(raw, room[:0])
		if err != nil {
			return wrongType(path, "an object")
		}
		index := jsonFields(v.Type())
		// One path value serves every member, outside the loop, so that it
		// can stay on the stack.
		at := fieldPath{parent: path, index: -1}
		for _, f := range fields {
			i, ok := index[string(f.name)]
			if !ok {
				name := join(path.String(), string(f.name))
				return newProblem("unknown-field", name, "known-field", "this endpoint takes no field %s", name)
			}
			at.name = f.name
			if err := decodeValue(f.value, v.FieldByIndex(i), &at); err != nil {
				return err
			}
		}
		return nil
	case reflect.Slice:
		if isNull {
			v.SetZero()
			return nil
		}
		var items []json.RawMessage
		if err := json.Unmarshal(raw, &items); err != nil {
			return wrongType(path, "an array")
		}
		s := reflect.MakeSlice(v.Type(), len(items), len(items))
		at := fieldPath{parent: path}
		for i, item := range items {
			at.index = i
			if err := decodeValue(item, s.Index(i), &at); err != nil {
				return err
			}
		}
		v.Set(s)
		return nil
	case reflect.Map:
		if isNull {
			v.SetZero()
			return nil
		}
		if v.Type().Key().Kind() != reflect.String {
			break
		}
		var room [8]member
		entries, err := objectMembers(raw, room[:0])
		if err != nil {
			return wrongType(path, "an object")
		}
		m := reflect.MakeMapWithSize(v.Type(), len(entries))
		at := fieldPath{parent: path, index: -1}
		for _, en := range entries {
			e := reflect.New(v.Type().Elem()).Elem()
			at.name = en.name
			if err := decodeValue(en.value, e, &at); err != nil {
				return err
			}
			m.SetMapIndex(reflect.ValueOf(string(en.name)).Convert(v.Type().Key()), e)
		}
		v.Set(m)
		return nil
	}
	if setPlain(raw, v) {
		return nil
	}
	if err := json.Unmarshal(raw, v.Addr().Interface()); err != nil {
		var typ *json.UnmarshalTypeError
		if errors.As(err, &typ) {
			return wrongType(path, "a JSON value of Go type "+v.Type().String()+", not "+typ.Value)
		}
		return parsed(err, path)
	}
	return nil
}

// parsed gives a value parser's error the field's path: a domain parser
// names its field generically ("amount", "date").
func parsed(err error, at *fieldPath) error {
	if err == nil {
		return nil
	}
	var fe *domain.FieldError
	if errors.As(err, &fe) {
		named := *fe
		if path := at.String(); path != "" {
			named.Field = path
		}
		return &named
	}
	path := fieldOrBody(at.String())
	return newProblem("wrong-type", path, "json-value", "%s cannot be read: %s", path, err.Error())
}

func wrongType(at *fieldPath, want string) error {
	path := fieldOrBody(at.String())
	return newProblem("wrong-type", path, "json-type", "%s must be %s", path, want)
}

// fieldPath is where a value sits in the body, spelled out
// ("facts.premiumsPaidLastYear", "results[1].on") only when an error
// names it: the walk itself builds no string per field. nil is the body.
type fieldPath struct {
	parent *fieldPath
	name   []byte // an object member's name, when index is -1
	index  int    // an array element's index
}

func (p *fieldPath) String() string {
	if p == nil {
		return ""
	}
	if p.index >= 0 {
		return p.parent.String() + "[" + strconv.Itoa(p.index) + "]"
	}
	return join(p.parent.String(), string(p.name))
}

func fieldOrBody(path string) string {
	if path == "" {
		return "body"
	}
	return path
}

func join(path, name string) string {
	if path == "" {
		return name
	}
	return path + "." + name
}

// fieldIndexes caches jsonFields by struct type: every request body
// would walk its type's fields again otherwise.
var fieldIndexes sync.Map // reflect.Type → map[string][]int, never changed once stored

// jsonFields maps a struct's JSON names to field indexes, following
// encoding/json's tags and embedded structs. The map is shared: callers
// only read it.
func jsonFields(t reflect.Type) map[string][]int {
	if m, ok := fieldIndexes.Load(t); ok {
		return m.(map[string][]int)
	}
	m, _ := fieldIndexes.LoadOrStore(t, structFields(t))
	return m.(map[string][]int)
}

func structFields(t reflect.Type) map[string][]int {
	out := map[string][]int{}
	for _, f := range reflect.VisibleFields(t) {
		if !f.IsExported() || (f.Anonymous && f.Type.Kind() == reflect.Struct && f.Tag.Get("json") == "") {
			continue
		}
		name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
		switch name {
		case "-":
			continue
		case "":
			name = f.Name
		}
		if _, dup := out[name]; !dup || len(f.Index) == 1 {
			out[name] = f.Index
		}
	}
	return out
}
