package ledger

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
)

// canonicalJSON returns the canonical JSON of v: object keys sorted, no
// insignificant space, numbers as written. It is exactly what encoding
// v, decoding the result into a generic value (numbers as json.Number)
// and encoding that again gives, which is how fingerprints were always
// computed and must stay: a fingerprint recorded before must match the
// same input's fingerprint now. It gets there without the generic value's
// maps and boxed strings (a fingerprint is taken on every keyed command):
// it reads v's encoding into a tree of byte slices, then writes each
// object's members in key order.
func canonicalJSON(v any) (json.RawMessage, error) {
	b, err := json.Marshal(v)
	if err != nil {
		return nil, err
	}
	c := canonicalizer{in: b}
	root, err := c.value(0)
	if err != nil {
		return nil, err
	}
	if c.skipSpace(); c.pos != len(c.in) {
		return nil, c.fail("end of input")
	}
	return root.appendTo(make([]byte, 0, len(b))), nil
}

// maxDepth is encoding/json's limit on nesting, which the generic round
// trip enforced by failing past it.
const maxDepth = 10000

// canonicalizer reads valid JSON, compact or not, into nodes.
type canonicalizer struct {
	in  []byte
	pos int
}

// node is one JSON value: a literal (number, true, false, null) or
// string in canonical form already (text), or an object or array.
type node struct {
	text    []byte
	members []member // an object's, in input order
	items   []node   // an array's
	kind    byte     // 'v' literal or string, '{' object, '[' array
}

// member is one object member: its decoded key, whether the key needs no
// escape, and its value.
type member struct {
	key   []byte
	plain bool
	value node
}

// appendTo writes n in canonical form: an object's members sorted by key,
// and of a key given twice the last value, as decoding into a map keeps.
func (n *node) appendTo(dst []byte) []byte {
	switch n.kind {
	case '[':
		dst = append(dst, '[')
		for i := range n.items {
			if i > 0 {
				dst = append(dst, ',')
			}
			dst = n.items[i].appendTo(dst)
		}
		return append(dst, ']')
	case '{':
		ms := n.members
		if !slices.IsSortedFunc(ms, compareKeys) {
			slices.SortStableFunc(ms, compareKeys)
		}
		dst = append(dst, '{')
		first := true
		for i := range ms {
			if i+1 < len(ms) && bytes.Equal(ms[i+1].key, ms[i].key) {
				continue // a later value for the same key wins
			}
			if !first {
				dst = append(dst, ',')
			}
			first = false
			dst = appendCanonicalString(dst, ms[i].key, ms[i].plain)
			dst = append(dst, ':')
			dst = ms[i].value.appendTo(dst)
		}
		return append(dst, '}')
	}
	return append(dst, n.text...)
}

func compareKeys(a, b member) int { return bytes.Compare(a.key, b.key) }

func (c *canonicalizer) fail(want string) error {
	return fmt.Errorf("canonical JSON: want %s at offset %d", want, c.pos)
}

func (c *canonicalizer) skipSpace() {
	for c.pos < len(c.in) {
		switch c.in[c.pos] {
		case ' ', '\t', '\n', '\r':
			c.pos++
		default:
			return
		}
	}
}

// value reads the value at c.pos, depth containers deep.
func (c *canonicalizer) value(depth int) (node, error) {
	c.skipSpace()
	if c.pos >= len(c.in) {
		return node{}, c.fail("a value")
	}
	switch ch := c.in[c.pos]; {
	case ch == '{' || ch == '[':
		if depth >= maxDepth {
			return node{}, c.fail("at most 10000 nested containers")
		}
		if ch == '{' {
			return c.object(depth + 1)
		}
		return c.array(depth + 1)
	case ch == '"':
		start := c.pos
		s, plain, err := c.str()
		if err != nil {
			return node{}, err
		}
		if plain {
			return node{kind: 'v', text: c.in[start:c.pos]}, nil
		}
		return node{kind: 'v', text: appendCanonicalString(nil, s, false)}, nil
	default:
		// A number, true, false or null: encoded again as it is written
		// (a json.Number keeps its text).
		start := c.pos
		for c.pos < len(c.in) && !isDelimiter(c.in[c.pos]) {
			c.pos++
		}
		lit := c.in[start:c.pos]
		if !json.Valid(lit) {
			return node{}, c.fail("a literal")
		}
		return node{kind: 'v', text: lit}, nil
	}
}

func isDelimiter(ch byte) bool {
	switch ch {
	case ',', ':', ']', '}', ' ', '\t', '\n', '\r':
		return true
	}
	return false
}

func (c *canonicalizer) object(depth int) (node, error) {
	c.pos++ // {
	n := node{kind: '{'}
	c.skipSpace()
	if c.pos < len(c.in) && c.in[c.pos] == '}' {
		c.pos++
		return n, nil
	}
	for {
		c.skipSpace()
		if c.pos >= len(c.in) || c.in[c.pos] != '"' {
			return node{}, c.fail("an object key")
		}
		key, plain, err := c.str()
		if err != nil {
			return node{}, err
		}
		if c.skipSpace(); c.pos >= len(c.in) || c.in[c.pos] != ':' {
			return node{}, c.fail("':'")
		}
		c.pos++
		v, err := c.value(depth)
		if err != nil {
			return node{}, err
		}
		n.members = append(n.members, member{key: key, plain: plain, value: v})
		c.skipSpace()
		if c.pos >= len(c.in) {
			return node{}, c.fail("',' or '}'")
		}
		if c.in[c.pos] == '}' {
			c.pos++
			return n, nil
		}
		if c.in[c.pos] != ',' {
			return node{}, c.fail("',' or '}'")
		}
		c.pos++
	}
}

func (c *canonicalizer) array(depth int) (node, error) {
	c.pos++ // [
	n := node{kind: '['}
	c.skipSpace()
	if c.pos < len(c.in) && c.in[c.pos] == ']' {
		c.pos++
		return n, nil
	}
	for {
		v, err := c.value(depth)
		if err != nil {
			return node{}, err
		}
		n.items = append(n.items, v)
		c.skipSpace()
		if c.pos >= len(c.in) {
			return node{}, c.fail("',' or ']'")
		}
		if c.in[c.pos] == ']' {
			c.pos++
			return n, nil
		}
		if c.in[c.pos] != ',' {
			return node{}, c.fail("',' or ']'")
		}
		c.pos++
	}
}

// str reads the string at c.pos and returns it decoded; plain is true
// when it is printable ASCII that needs no escape in either direction,
// and so its raw bytes (returned then) are also its canonical encoding's
// inside.
func (c *canonicalizer) str() (s []byte, plain bool, err error) {
	start := c.pos
	c.pos++ // "
	plain = true
	for c.pos < len(c.in) {
		switch ch := c.in[c.pos]; {
		case ch == '"':
			c.pos++
			if plain {
				return c.in[start+1 : c.pos-1], true, nil
			}
			var decoded string
			if err := json.Unmarshal(c.in[start:c.pos], &decoded); err != nil {
				return nil, false, fmt.Errorf("canonical JSON: string at offset %d: %w", start, err)
			}
			return []byte(decoded), false, nil
		case ch == '\\':
			plain = false
			c.pos += 2
		default:
			if !plainByte(ch) {
				plain = false
			}
			c.pos++
		}
	}
	c.pos = start
	return nil, false, errors.New("canonical JSON: unterminated string")
}

// plainByte reports whether encoding/json writes byte ch of a string as
// it is: printable ASCII other than the quote, the backslash and the
// characters it escapes for HTML.
func plainByte(ch byte) bool {
	return ch >= 0x20 && ch < 0x7f && ch != '"' && ch != '\\' && ch != '<' && ch != '>' && ch != '&'
}

// appendCanonicalString appends s encoded as encoding/json encodes a
// string; plain says s is known to need no escape.
func appendCanonicalString(dst, s []byte, plain bool) []byte {
	if !plain && !slices.ContainsFunc(s, func(ch byte) bool { return !plainByte(ch) }) {
		plain = true
	}
	if !plain {
		// Marshalling a string cannot fail.
		b, _ := json.Marshal(string(s))
		return append(dst, b...)
	}
	dst = append(dst, '"')
	dst = append(dst, s...)
	return append(dst, '"')
}
