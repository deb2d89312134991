package api

import (
	"bytes"
	"encoding/json"
	"maps"
	"reflect"
	"slices"
	"testing"
)

// objectCorpus is JSON objects with what the member splitter must get
// right: spacing, nesting, strings holding brackets, quotes and commas,
// escaped and non-ASCII names, names given twice, invalid UTF-8.
var objectCorpus = []string{
	`{}`,
	` { } `,
	`{"a":1}`,
	"{\n\t\"b\" : \"x\" ,\r\n \"a\":[1, {\"c\":\"]}\"}], \"z\": null }",
	`{"s":"a \"quoted\" , } ] string","n":-12.5e3,"t":true,"f":false}`,
	`{"nested":{"deep":{"deeper":[[],[{}],"{"]}},"after":"x"}`,
	`{"dup":1,"other":2,"dup":"last"}`,
	`{"esc\u0061ped":1,"tab\tname":2,"slash\/":3}`,
	`{"名称":"财社〔2025〕3号","ü":"ß"}`,
	"{\"bad\xffutf8\":\"v\xfe\"}",
	`{"b":1,"a":2,"c":3,"a":4}`,
}

// TestObjectMembersAgreesWithEncodingJSON: for every object of the
// corpus the splitter finds the names and raw values that encoding/json
// finds when it fills a map, in sorted order, the last of a repeated name
// winning.
func TestObjectMembersAgreesWithEncodingJSON(t *testing.T) {
	for _, in := range objectCorpus {
		if !json.Valid([]byte(in)) {
			t.Fatalf("corpus entry %q is not valid JSON", in)
		}
		var want map[string]json.RawMessage
		if err := json.Unmarshal([]byte(in), &want); err != nil {
			t.Fatal(err)
		}
		got, err := objectMembers([]byte(in), nil)
		if err != nil {
			t.Fatalf("%q: %v", in, err)
		}
		names := make([]string, len(got))
		for i, m := range got {
			names[i] = string(m.name)
			if !bytes.Equal(m.value, want[string(m.name)]) {
				t.Errorf("%q: member %q is %s, encoding/json has %s", in, m.name, m.value, want[string(m.name)])
			}
		}
		if wantNames := slices.Sorted(maps.Keys(want)); !slices.Equal(names, wantNames) {
			t.Errorf("%q: names %q, want %q", in, names, wantNames)
		}
	}
	for _, in := range []string{`[]`, `"{}"`, `12`, `true`, ` [{"a":1}]`} {
		if _, err := objectMembers([]byte(in), nil); err == nil {
			t.Errorf("%s: no error for a value that is not an object", in)
		}
	}
}

// TestSetPlainAgreesWithEncodingJSON: a leaf the fast path sets gets
// the value encoding/json gives, and every literal encoding/json would
// refuse or read differently (escapes, invalid UTF-8, fractions,
// exponents, overflow, null, wrong types) is left to encoding/json.
func TestSetPlainAgreesWithEncodingJSON(t *testing.T) {
	literals := []string{`""`, `"plain"`, `"财社〔2025〕3号"`, `"esc\"aped"`, `"\u00e9"`, "\"bad\xff\"",
		`0`, `-0`, `7`, `-128`, `127`, `128`, `255`, `256`, `-1`, `9223372036854775807`, `9223372036854775808`,
		`1.0`, `1e3`, `1e30`, `true`, `false`, `null`, `"7"`, `[]`, `{}`}
	kinds := []any{new(string), new(int), new(int8), new(uint8), new(int64), new(uint), new(bool)}
	handled := 0
	for _, lit := range literals {
		for _, k := range kinds {
			typ := reflect.TypeOf(k).Elem()
			want := reflect.New(typ)
			wantErr := json.Unmarshal([]byte(lit), want.Interface())
			got := reflect.New(typ)
			if !setPlain([]byte(lit), got.Elem()) {
				continue
			}
			handled++
			if wantErr != nil {
				t.Errorf("%s into %s: fast path set %v, encoding/json refuses: %v", lit, typ, got.Elem(), wantErr)
				continue
			}
			if lit == "null" {
				t.Errorf("null into %s: the fast path must leave null to encoding/json", typ)
			}
			if !reflect.DeepEqual(got.Elem().Interface(), want.Elem().Interface()) {
				t.Errorf("%s into %s: fast path %v, encoding/json %v", lit, typ, got.Elem(), want.Elem())
			}
		}
	}
	if handled < 20 {
		t.Fatalf("the fast path took only %d of the literals: it is not being exercised", handled)
	}
}

// FuzzObjectMembers compares the splitter with encoding/json on any
// valid JSON object.
func FuzzObjectMembers(f *testing.F) {
	for _, in := range objectCorpus {
		f.Add([]byte(in))
	}
	f.Fuzz(func(t *testing.T, in []byte) {
		var want map[string]json.RawMessage
		if !json.Valid(in) || json.Unmarshal(in, &want) != nil || want == nil {
			return
		}
		got, err := objectMembers(in, nil)
		if err != nil {
			t.Fatalf("%q: %v", in, err)
		}
		if len(got) != len(want) {
			t.Fatalf("%q: %d members, encoding/json %d", in, len(got), len(want))
		}
		for _, m := range got {
			if !bytes.Equal(m.value, want[string(m.name)]) {
				t.Fatalf("%q: member %q is %s, encoding/json has %s", in, m.name, m.value, want[string(m.name)])
			}
		}
	})
}
