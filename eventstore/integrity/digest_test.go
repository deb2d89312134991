package integrity_test

import (
	"bytes"
	"strings"
	"testing"

	"github.com/haixi-hrss/fundledger/eventstore"
	"github.com/haixi-hrss/fundledger/eventstore/integrity"
)

func filled(b byte) eventstore.Hash {
	var h eventstore.Hash
	copy(h[:], bytes.Repeat([]byte{b}, len(h)))
	return h
}

// The golden roots were computed outside Go with a few lines of Python
// (hashlib + struct) following the layout in LeafHash's and Root's doc
// comments, so a change to either layout fails here.
func TestRootGolden(t *testing.T) {
	budget := integrity.Head{Stream: "budget-1", Version: 0, Hash: filled(0x33)}
	fund := integrity.Head{Stream: "fund-1", Version: 2, Hash: filled(0x22)}
	claim := integrity.Head{Stream: "claim-1", Version: 5, Hash: filled(0x44)}
	var five []integrity.Head
	for i := 5; i >= 1; i-- { // reversed, so Root must sort
		five = append(five, integrity.Head{Stream: "s" + string(rune('0'+i)), Version: uint64(i), Hash: filled(byte(i))})
	}
	tests := []struct {
		name  string
		heads []integrity.Head
		want  string
	}{
		{"no heads is SHA-256 of nothing", nil,
			"e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"},
		{"one head is its leaf", []integrity.Head{{Stream: "a", Version: 0, Hash: filled(0x11)}},
			"9c8ef7b065b975696e0d9665e1252e7e0ad2c4af95a9470f577f90e65a58e490"},
		{"two heads, given out of order", []integrity.Head{fund, budget},
			"6c540348cc932a8a31dc7560d04f492bdc52194c4b4d8600a47dcbaa89c84767"},
		{"three heads: node(node(budget, claim), fund)", []integrity.Head{fund, claim, budget},
			"6c3420ff6204b48cd3b49805c756a4549adaaff4e5ee7f44b9f091c1e1c40897"},
		{"five heads split 4+1", five,
			"25467a8076650fbee4ccc3fa09981909296632f777887a4590f4202770683dd9"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := integrity.Root(tt.heads)
			if err != nil {
				t.Fatal(err)
			}
			if got.String() != tt.want {
				t.Fatalf("root = %s, want %s", got, tt.want)
			}
		})
	}
}

func TestRootChangesWithEveryField(t *testing.T) {
	base := []integrity.Head{
		{Stream: "budget-1", Version: 0, Hash: filled(0x33)},
		{Stream: "fund-1", Version: 2, Hash: filled(0x22)},
	}
	want, err := integrity.Root(base)
	if err != nil {
		t.Fatal(err)
	}
	changes := map[string]func(h []integrity.Head) []integrity.Head{
		"stream renamed":   func(h []integrity.Head) []integrity.Head { h[1].Stream = "fund-2"; return h },
		"version bumped":   func(h []integrity.Head) []integrity.Head { h[1].Version++; return h },
		"hash changed":     func(h []integrity.Head) []integrity.Head { h[0].Hash[31] ^= 1; return h },
		"stream removed":   func(h []integrity.Head) []integrity.Head { return h[:1] },
		"stream added":     func(h []integrity.Head) []integrity.Head { return append(h, integrity.Head{Stream: "z"}) },
		"name bytes moved": func(h []integrity.Head) []integrity.Head { h[0].Stream = "budget-"; h[0].Version = '1'; return h },
	}
	for name, change := range changes {
		t.Run(name, func(t *testing.T) {
			heads := change(append([]integrity.Head(nil), base...))
			got, err := integrity.Root(heads)
			if err != nil {
				t.Fatal(err)
			}
			if got == want {
				t.Fatalf("root unchanged: %s", got)
			}
		})
	}
}

// A leaf must not be usable as an interior node and the reverse: the root of
// one head whose leaf bytes happen to look like a node differs from a node.
func TestLeafAndNodeAreDomainSeparated(t *testing.T) {
	a := integrity.Head{Stream: "a", Hash: filled(1)}
	b := integrity.Head{Stream: "b", Hash: filled(2)}
	two, err := integrity.Root([]integrity.Head{a, b})
	if err != nil {
		t.Fatal(err)
	}
	if two == integrity.LeafHash(a) || two == integrity.LeafHash(b) {
		t.Fatal("a node equals a leaf")
	}
	// Without the 0x01 node prefix the root would be SHA-256(leaf(a) ‖ leaf(b)).
	la, lb := integrity.LeafHash(a), integrity.LeafHash(b)
	if plain := sha(append(la[:], lb[:]...)); plain == two {
		t.Fatal("node hash carries no domain prefix")
	}
}

func TestRootRejectsDuplicateStreams(t *testing.T) {
	_, err := integrity.Root([]integrity.Head{{Stream: "a"}, {Stream: "b"}, {Stream: "a", Version: 1}})
	if err == nil || !strings.Contains(err.Error(), `"a"`) {
		t.Fatalf("err = %v, want a duplicate-stream error naming \"a\"", err)
	}
}

func TestDigestText(t *testing.T) {
	d := integrity.Digest{Position: 42, Root: filled(0xab)}
	s := d.String()
	if want := "42:" + strings.Repeat("ab", 32); s != want {
		t.Fatalf("String = %q, want %q", s, want)
	}
	back, err := integrity.ParseDigest(s)
	if err != nil || back != d {
		t.Fatalf("ParseDigest(%q) = %v, %v", s, back, err)
	}
	for _, bad := range []string{"", "42", "x:" + strings.Repeat("ab", 32), "-1:" + strings.Repeat("ab", 32), "42:abcd", "42:" + strings.Repeat("zz", 32)} {
		if _, err := integrity.ParseDigest(bad); err == nil {
			t.Errorf("ParseDigest(%q) accepted", bad)
		}
	}
}
