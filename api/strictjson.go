package api

import (
	"bytes"
	"encoding"
	"encoding/json"
	"errors"
	"maps"
	"reflect"
	"slices"
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
// no unknown fields, matching JSON types. path names v in errors.
func decodeValue(raw json.RawMessage, v reflect.Value, path string) error {
	if v.CanAddr() {
		if pt := v.Addr().Type(); pt.Implements(jsonUnmarshaler) || pt.Implements(textUnmarshaler) {
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
		var fields map[string]json.RawMessage
		if err := json.Unmarshal(raw, &fields); err != nil {
			return wrongType(path, "an object")
		}
		index := jsonFields(v.Type())
		for _, name := range slices.Sorted(maps.Keys(fields)) {
			i, ok := index[name]
			if !ok {
				return newProblem("unknown-field", join(path, name), "known-field", "this endpoint takes no field %s", join(path, name))
			}
			if err := decodeValue(fields[name], v.FieldByIndex(i), join(path, name)); err != nil {
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
		for i, item := range items {
			if err := decodeValue(item, s.Index(i), path+"["+strconv.Itoa(i)+"]"); err != nil {
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
		var entries map[string]json.RawMessage
		if err := json.Unmarshal(raw, &entries); err != nil {
			return wrongType(path, "an object")
		}
		m := reflect.MakeMapWithSize(v.Type(), len(entries))
		for _, k := range slices.Sorted(maps.Keys(entries)) {
			e := reflect.New(v.Type().Elem()).Elem()
			if err := decodeValue(entries[k], e, join(path, k)); err != nil {
				return err
			}
			m.SetMapIndex(reflect.ValueOf(k).Convert(v.Type().Key()), e)
		}
		v.Set(m)
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
func parsed(err error, path string) error {
	if err == nil {
		return nil
	}
	var fe *domain.FieldError
	if errors.As(err, &fe) {
		named := *fe
		if path != "" {
			named.Field = path
		}
		return &named
	}
	return newProblem("wrong-type", fieldOrBody(path), "json-value", "%s cannot be read: %s", fieldOrBody(path), err.Error())
}

func wrongType(path, want string) error {
	return newProblem("wrong-type", fieldOrBody(path), "json-type", "%s must be %s", fieldOrBody(path), want)
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
