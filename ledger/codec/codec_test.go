package codec

import (
	"encoding/json"
	"errors"
	"testing"

	"github.com/haixi-hrss/fundledger/domain"
	"github.com/haixi-hrss/fundledger/eventstore"
)

// grantPaid is today's shape: v1 had "yuan" as a number, v2 renamed it to
// "amount" (still a number), v3 made it a decimal string.
type grantPaid struct {
	Person string `json:"person"`
	Amount string `json:"amount"`
}

func (grantPaid) EventType() string { return "GrantPaid" }

type noteAdded struct {
	Text string `json:"text"`
}

func (*noteAdded) EventType() string { return "NoteAdded" }

func registry() map[string]func() domain.Event {
	return map[string]func() domain.Event{
		"GrantPaid": func() domain.Event { return grantPaid{} },
		"NoteAdded": func() domain.Event { return &noteAdded{} },
	}
}

func renameYuan(data json.RawMessage) (json.RawMessage, error) {
	var m map[string]json.RawMessage
	if err := json.Unmarshal(data, &m); err != nil {
		return nil, err
	}
	m["amount"] = m["yuan"]
	delete(m, "yuan")
	return json.Marshal(m)
}

func amountToString(data json.RawMessage) (json.RawMessage, error) {
	var m map[string]json.RawMessage
	if err := json.Unmarshal(data, &m); err != nil {
		return nil, err
	}
	s, err := json.Marshal(string(m["amount"]))
	if err != nil {
		return nil, err
	}
	m["amount"] = s
	return json.Marshal(m)
}

func newCodec(t *testing.T) *Codec {
	t.Helper()
	// The upcasters are given out of order on purpose: New slots them.
	c, err := New(Types(registry()), Upcast("GrantPaid", 2, amountToString), Upcast("GrantPaid", 1, renameYuan))
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func TestRoundTripKeepsDynamicType(t *testing.T) {
	c := newCodec(t)
	for _, ev := range []domain.Event{grantPaid{Person: "p1", Amount: "1500.00"}, &noteAdded{Text: "hi"}} {
		typ, v, data, err := c.Encode(ev)
		if err != nil {
			t.Fatal(err)
		}
		want, _ := c.Version(typ)
		if v != want {
			t.Errorf("%s: encoded version %d, want current %d", typ, v, want)
		}
		got, err := c.Decode(&eventstore.Event{Type: typ, SchemaVersion: v, Data: data})
		if err != nil {
			t.Fatal(err)
		}
		// The aggregate's Evolve switches on the registry's dynamic type
		// (value or pointer), so decoding must hand back the same one.
		switch want := ev.(type) {
		case grantPaid:
			if g, ok := got.(grantPaid); !ok || g != want {
				t.Errorf("decoded %#v, want %#v", got, want)
			}
		case *noteAdded:
			if g, ok := got.(*noteAdded); !ok || *g != *want {
				t.Errorf("decoded %#v, want %#v", got, want)
			}
		}
	}
}

func TestOldSchemaVersionsStillDecode(t *testing.T) {
	c := newCodec(t)
	if v, _ := c.Version("GrantPaid"); v != 3 {
		t.Fatalf("current GrantPaid version = %d, want 3 (two upcasters)", v)
	}
	want := grantPaid{Person: "p1", Amount: "1500.00"}
	for _, tc := range []struct {
		version int
		data    string
	}{
		{1, `{"person":"p1","yuan":1500.00}`},
		{2, `{"person":"p1","amount":1500.00}`},
		{3, `{"person":"p1","amount":"1500.00"}`},
	} {
		got, err := c.DecodeData("GrantPaid", tc.version, []byte(tc.data))
		if err != nil {
			t.Fatalf("v%d: %v", tc.version, err)
		}
		if got != want {
			t.Errorf("v%d decoded %#v, want %#v", tc.version, got, want)
		}
	}
}

func TestDecodeErrors(t *testing.T) {
	c := newCodec(t)
	_, err := c.DecodeData("GrantRefunded", 1, []byte(`{}`))
	var unknown *UnknownTypeError
	if !errors.Is(err, ErrUnknownType) || !errors.As(err, &unknown) || unknown.Type != "GrantRefunded" {
		t.Errorf("unknown type: got %v, want *UnknownTypeError naming GrantRefunded", err)
	}
	if _, err := c.DecodeData("GrantPaid", 4, []byte(`{}`)); !errors.Is(err, ErrSchemaVersion) {
		t.Errorf("newer version: got %v, want ErrSchemaVersion", err)
	}
	if _, err := c.DecodeData("GrantPaid", 0, []byte(`{}`)); !errors.Is(err, ErrSchemaVersion) {
		t.Errorf("version 0: got %v, want ErrSchemaVersion", err)
	}
	// A v1 payload labelled v3 keeps its old field: strict decoding
	// refuses it instead of dropping the amount.
	if _, err := c.DecodeData("GrantPaid", 3, []byte(`{"person":"p1","yuan":1500}`)); err == nil {
		t.Error("unknown field decoded without error")
	}
}

type unregistered struct{}

func (unregistered) EventType() string { return "Unregistered" }

func TestEncodeRefusesUnregisteredTypes(t *testing.T) {
	c := newCodec(t)
	if _, _, _, err := c.Encode(unregistered{}); !errors.Is(err, ErrUnknownType) {
		t.Errorf("got %v, want ErrUnknownType", err)
	}
}

func TestNewRejectsBadRegistrations(t *testing.T) {
	up := func(d json.RawMessage) (json.RawMessage, error) { return d, nil }
	for name, opts := range map[string][]Option{
		"duplicate type across registries": {Types(registry()), Types(registry())},
		"name differs from EventType": {Types(map[string]func() domain.Event{
			"Other": func() domain.Event { return grantPaid{} },
		})},
		"upcaster for unknown type": {Types(registry()), Upcast("Nope", 1, up)},
		"upcaster chain with a gap": {Types(registry()), Upcast("GrantPaid", 2, up)},
		"two upcasters, same from":  {Types(registry()), Upcast("GrantPaid", 1, up), Upcast("GrantPaid", 1, up)},
		"version 0 upcaster":        {Types(registry()), Upcast("GrantPaid", 0, up)},
	} {
		if _, err := New(opts...); err == nil {
			t.Errorf("%s: New succeeded", name)
		}
	}
}
