package ledger

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"
)

// generic is how fingerprints were first made canonical, through a
// generic value; canonicalJSON must give its bytes exactly, or a key
// recorded before would not match its own retry.
func generic(v any) ([]byte, error) {
	b, err := json.Marshal(v)
	if err != nil {
		return nil, err
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	var g any
	if err := dec.Decode(&g); err != nil {
		return nil, err
	}
	return json.Marshal(g)
}

type canonInner struct {
	Zeta  string         `json:"zeta"`
	Alpha []any          `json:"alpha"`
	Map   map[string]int `json:"map"`
}

type canonPayload struct {
	Route  string            `json:"route"`
	Params map[string]string `json:"params"`
	Step   string            `json:"step"`
	Input  any               `json:"input"`
}

var canonCases = []any{
	nil, true, false, 0, -1.5, 1e21, "plain", "",
	"<b>&amp;</b>", "quote \" and \\ back", "tab\tnew\nline\r", "\u2028\u2029", "海西州 格尔木市",
	"bad utf-8 \xff\xfe", "\x00\x1f\x7f",
	[]any{}, map[string]any{}, []any{1, "a", nil, []any{map[string]any{"b": 1, "a": 2}}},
	json.RawMessage(`{"b":1,"a":{"d":[1,2,{"z":0,"y":1}],"c":"x"},"b ":2}`),
	json.RawMessage(`{"k":1,"k":2,"j":{"x":1,"x":{"y":3}}}`),
	json.RawMessage(`{"\u0041":1,"A ":2,"<":3,"é":4,"\ud83d\ude00":5,"e\u0301":6}`),
	json.RawMessage(`[1.50, -0, 0.0e0, 1E+2, 12345678901234567890123]`),
	json.RawMessage(`"\u0041\/\u00e9\ud83d\ude00"`),
	canonPayload{Route: "/v1/claims/:claimId/approval", Params: map[string]string{"claimId": "c-1", "a": "<x>"}, Step: "approve",
		Input: canonInner{Zeta: "z", Alpha: []any{3, "2", 1.25}, Map: map[string]int{"y": 1, "x": 2}}},
	struct {
		canonInner
		Extra json.Number `json:"extra"`
	}{canonInner{Zeta: "é"}, "42.10"},
}

// TestCanonicalJSONMatchesTheGenericRoundTrip: for payloads of every
// shape (key order, duplicate keys, escapes, HTML characters, non-ASCII,
// invalid UTF-8, numbers as written) the one-pass canonical form is the
// generic round trip's, byte for byte.
func TestCanonicalJSONMatchesTheGenericRoundTrip(t *testing.T) {
	for i, v := range canonCases {
		want, err := generic(v)
		if err != nil {
			t.Fatalf("case %d: generic: %v", i, err)
		}
		got, err := canonicalJSON(v)
		if err != nil {
			t.Fatalf("case %d: canonicalJSON: %v", i, err)
		}
		if !bytes.Equal(got, want) {
			t.Errorf("case %d:\n got %s\nwant %s", i, got, want)
		}
	}
}

// TestCanonicalJSONNestingLimit: as deep as encoding/json decodes, and
// refused one level deeper, as the round trip refused it.
func TestCanonicalJSONNestingLimit(t *testing.T) {
	for _, depth := range []int{maxDepth, maxDepth + 1} {
		v := json.RawMessage(strings.Repeat(`{"b":[`, depth/2) + strings.Repeat("[", depth%2) + "1" + strings.Repeat("]", depth%2) + strings.Repeat(`],"a":0}`, depth/2))
		want, werr := generic(v)
		got, gerr := canonicalJSON(v)
		if (werr == nil) != (gerr == nil) || !bytes.Equal(got, want) {
			t.Fatalf("depth %d: generic error %v, canonicalJSON error %v, outputs equal %t", depth, werr, gerr, bytes.Equal(got, want))
		}
		if (werr == nil) != (depth <= maxDepth) {
			t.Fatalf("depth %d: error %v", depth, werr)
		}
	}
}

// FuzzCanonicalJSON compares the two on any valid JSON.
func FuzzCanonicalJSON(f *testing.F) {
	for _, v := range canonCases {
		b, err := json.Marshal(v)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Fuzz(func(t *testing.T, in []byte) {
		if !json.Valid(in) {
			return
		}
		want, werr := generic(json.RawMessage(in))
		got, gerr := canonicalJSON(json.RawMessage(in))
		if (werr == nil) != (gerr == nil) {
			t.Fatalf("%q: generic error %v, canonicalJSON error %v", in, werr, gerr)
		}
		if werr == nil && !bytes.Equal(got, want) {
			t.Fatalf("%q:\n got %s\nwant %s", in, got, want)
		}
	})
}
