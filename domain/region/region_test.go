package region

import (
	"encoding/json"
	"errors"
	"testing"
	"unsafe"

	"github.com/haixi-hrss/fundledger/domain"
)

func TestParseAndNames(t *testing.T) {
	want := map[string][2]string{
		"632800": {"Haixi Prefecture", "海西蒙古族藏族自治州"},
		"632801": {"Golmud", "格尔木市"},
		"632802": {"Delingha", "德令哈市"},
		"632803": {"Mangya", "茫崖市"},
		"632821": {"Ulan", "乌兰县"},
		"632822": {"Dulan", "都兰县"},
		"632823": {"Tianjun", "天峻县"},
		"632825": {"Da Qaidam", "大柴旦行委"},
	}
	for s, names := range want {
		c, err := Parse("county", s)
		if err != nil || c.NameEN() != names[0] || c.NameZH() != names[1] {
			t.Errorf("Parse(%s) = %s (%s, %s), %v; want %v", s, c, c.NameEN(), c.NameZH(), err, names)
		}
	}
	if len(All()) != len(want) || All()[0] != Haixi || !All()[0].IsPrefecture() || len(Counties()) != 7 {
		t.Fatalf("All() = %v, Counties() = %v", All(), Counties())
	}
	for _, c := range Counties() {
		if c.IsPrefecture() {
			t.Errorf("county %s reported as prefecture", c)
		}
	}
}

func TestParseRefusesOthers(t *testing.T) {
	for _, s := range []string{"", "632824", "630100", "63280", "6328011"} {
		_, err := Parse("county", s)
		var fe *domain.FieldError
		if !errors.As(err, &fe) || fe.Field != "county" || fe.Rule != "haixi-region" {
			t.Errorf("Parse(%q) error = %v, want field county rule haixi-region", s, err)
		}
	}
}

func TestJSONRefusesUnknownCode(t *testing.T) {
	var v struct{ C Code }
	if err := json.Unmarshal([]byte(`{"C":"632821"}`), &v); err != nil || v.C != Ulan {
		t.Fatalf("Unmarshal = %v, %v", v.C, err)
	}
	if err := json.Unmarshal([]byte(`{"C":"110105"}`), &v); !errors.Is(err, domain.ErrInvalid) {
		t.Fatalf("Unmarshal unknown code error = %v, want ErrInvalid", err)
	}
}

// TestDecodedCodeIsTheConstant: a decoded code is the package's constant,
// not a copy of the input, and decoding it allocates nothing, so the read
// models' many codes add no objects for the collector to mark.
func TestDecodedCodeIsTheConstant(t *testing.T) {
	for _, want := range All() {
		input := []byte(string(want))
		var got Code
		if err := got.UnmarshalText(input); err != nil {
			t.Fatalf("%s: %v", want, err)
		}
		if got != want || unsafe.StringData(string(got)) != unsafe.StringData(string(want)) {
			t.Errorf("%s decoded to %q, a copy rather than the constant", want, got)
		}
		if n := testing.AllocsPerRun(100, func() { _ = got.UnmarshalText(input) }); n != 0 {
			t.Errorf("decoding %s allocates %.0f times", want, n)
		}
	}
	var c Code
	var fe *domain.FieldError
	if err := c.UnmarshalText([]byte("632899")); !errors.As(err, &fe) || fe.Field != "region" {
		t.Errorf("unknown code: error %v, want a field error on region", err)
	}
}
