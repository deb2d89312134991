package api

import (
	"bytes"
	"encoding/json"
	"errors"
	"reflect"
	"slices"
	"strconv"
	"unicode/utf8"
)

// The strict decoder validates each request body once (decode), then
// walks the value. The helpers below let
// the walk take valid JSON apart directly instead of handing every object
// and leaf back to encoding/json, which would scan and validate each part
// again and copy it into a map: the commands' bodies are small, and that
// repeated work was most of their decoding cost.

// member is one name and value of a JSON object.
type member struct {
	name  []byte
	value json.RawMessage
}

var errNotObject = errors.New("not a JSON object")

// objectMembers appends the members of raw, a valid JSON object, to out
// (empty; the caller's stack space for the usual few members), sorted by
// name; of a name given twice only the last value counts, as when
// encoding/json fills a map. It fails when raw is not an object.
func objectMembers(raw json.RawMessage, out []member) ([]member, error) {
	i := skipSpace(raw, 0)
	if i >= len(raw) || raw[i] != '{' {
		return nil, errNotObject
	}
	i = skipSpace(raw, i+1)
	if i < len(raw) && raw[i] == '}' {
		return out, nil
	}
	for i < len(raw) {
		end := skipString(raw, i)
		if end < 0 {
			return nil, errNotObject
		}
		name, err := memberName(raw[i:end])
		if err != nil {
			return nil, err
		}
		i = skipSpace(raw, end)
		if i >= len(raw) || raw[i] != ':' {
			return nil, errNotObject
		}
		start := skipSpace(raw, i+1)
		end = skipValue(raw, start)
		if end < 0 {
			return nil, errNotObject
		}
		out = append(out, member{name: name, value: raw[start:end:end]})
		i = skipSpace(raw, end)
		if i >= len(raw) {
			return nil, errNotObject
		}
		if raw[i] == '}' {
			return lastOfEachName(out), nil
		}
		if raw[i] != ',' {
			return nil, errNotObject
		}
		i = skipSpace(raw, i+1)
	}
	return nil, errNotObject
}

// lastOfEachName sorts ms by name, keeping the last of equal names.
func lastOfEachName(ms []member) []member {
	slices.SortStableFunc(ms, func(a, b member) int { return bytes.Compare(a.name, b.name) })
	out := ms[:0]
	for i, m := range ms {
		if i+1 < len(ms) && bytes.Equal(ms[i+1].name, m.name) {
			continue
		}
		out = append(out, m)
	}
	return out
}

// memberName is the text of a member's quoted name; escapes and invalid
// UTF-8 are left to encoding/json.
func memberName(quoted []byte) ([]byte, error) {
	if text, ok := plainString(quoted); ok {
		return text, nil
	}
	var name string
	if err := json.Unmarshal(quoted, &name); err != nil {
		return nil, errNotObject
	}
	return []byte(name), nil
}

// plainString returns the text of raw when raw is a JSON string without
// escapes or control characters and in valid UTF-8: its text is then
// exactly its bytes, as encoding/json would read it.
func plainString(raw []byte) ([]byte, bool) {
	if len(raw) < 2 || raw[0] != '"' || raw[len(raw)-1] != '"' {
		return nil, false
	}
	text := raw[1 : len(raw)-1]
	ascii := true
	for _, c := range text {
		if c < 0x20 || c == '"' || c == '\\' {
			return nil, false
		}
		ascii = ascii && c < utf8.RuneSelf
	}
	if !ascii && !utf8.Valid(text) {
		return nil, false
	}
	return text, true
}

// isSpace reports whether c is JSON whitespace.
func isSpace(c byte) bool { return c == ' ' || c == '\t' || c == '\n' || c == '\r' }

func skipSpace(b []byte, i int) int {
	for i < len(b) && isSpace(b[i]) {
		i++
	}
	return i
}

// skipString returns the index after the JSON string starting at b[i],
// or -1.
func skipString(b []byte, i int) int {
	if i >= len(b) || b[i] != '"' {
		return -1
	}
	for i++; i < len(b); i++ {
		switch b[i] {
		case '\\':
			i++
		case '"':
			return i + 1
		}
	}
	return -1
}

// skipValue returns the index after the JSON value starting at b[i], or
// -1. The value is known to be valid; this only finds where it ends.
func skipValue(b []byte, i int) int {
	if i >= len(b) {
		return -1
	}
	switch b[i] {
	case '"':
		return skipString(b, i)
	case '{', '[':
		depth := 0
		for i < len(b) {
			switch b[i] {
			case '"':
				if i = skipString(b, i); i < 0 {
					return -1
				}
				continue
			case '{', '[':
				depth++
			case '}', ']':
				depth--
				if depth == 0 {
					return i + 1
				}
			}
			i++
		}
		return -1
	}
	start := i
	for i < len(b) && !endsLiteral(b[i]) {
		i++
	}
	if i == start {
		return -1
	}
	return i
}

// endsLiteral reports whether c may follow a number, true, false or null.
func endsLiteral(c byte) bool {
	switch c {
	case ',', '}', ']', ' ', '\t', '\r', '\n':
		return true
	}
	return false
}

// setPlain sets v from raw when raw is the plain form of v's kind: a
// string without escapes for a string, an integer literal for an integer
// that holds it, true or false for a bool. It reports whether it did;
// anything else (null, escapes, other types, overflow) is encoding/json's
// to decide, with its errors.
func setPlain(raw []byte, v reflect.Value) bool {
	switch v.Kind() {
	case reflect.String:
		if text, ok := plainString(raw); ok {
			v.SetString(string(text))
			return true
		}
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		if !integerLiteral(raw) {
			return false
		}
		n, err := strconv.ParseInt(string(raw), 10, 64)
		if err != nil || v.OverflowInt(n) {
			return false
		}
		v.SetInt(n)
		return true
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Uintptr:
		if !integerLiteral(raw) || raw[0] == '-' {
			return false
		}
		n, err := strconv.ParseUint(string(raw), 10, 64)
		if err != nil || v.OverflowUint(n) {
			return false
		}
		v.SetUint(n)
		return true
	case reflect.Bool:
		switch string(raw) {
		case "true":
			v.SetBool(true)
			return true
		case "false":
			v.SetBool(false)
			return true
		}
	}
	return false
}

// integerLiteral reports whether raw is a JSON number without fraction
// or exponent: -?(0|[1-9][0-9]*).
func integerLiteral(raw []byte) bool {
	digits := raw
	if len(digits) > 0 && digits[0] == '-' {
		digits = digits[1:]
	}
	if len(digits) == 0 || (digits[0] == '0' && len(digits) > 1) {
		return false
	}
	for _, c := range digits {
		if c < '0' || c > '9' {
			return false
		}
	}
	return true
}
