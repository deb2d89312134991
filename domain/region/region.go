// Package region names Haixi Mongol and Tibetan Autonomous Prefecture and
// its county-level units by their GB/T 2260 codes.
package region

import (
	"slices"

	"github.com/haixi-hrss/fundledger/domain"
)

// Code is a GB/T 2260 administrative division code of Haixi or one of its
// county-level units, e.g. "632801".
type Code string

// The prefecture and its seven county-level units.
const (
	Haixi    Code = "632800" // the prefecture itself
	Golmud   Code = "632801"
	Delingha Code = "632802"
	Mangya   Code = "632803"
	Ulan     Code = "632821"
	Dulan    Code = "632822"
	Tianjun  Code = "632823"
	DaQaidam Code = "632825"
)

type names struct{ en, zh string }

var table = map[Code]names{
	Haixi:    {"Haixi Prefecture", "海西蒙古族藏族自治州"},
	Golmud:   {"Golmud", "格尔木市"},
	Delingha: {"Delingha", "德令哈市"},
	Mangya:   {"Mangya", "茫崖市"},
	Ulan:     {"Ulan", "乌兰县"},
	Dulan:    {"Dulan", "都兰县"},
	Tianjun:  {"Tianjun", "天峻县"},
	DaQaidam: {"Da Qaidam", "大柴旦行委"},
}

// Parse returns the code s if it is Haixi or one of its county-level units;
// the error names field.
func Parse(field, s string) (Code, error) {
	c, ok := known(s)
	if !ok {
		return "", domain.Invalid(field, "haixi-region", "%q is not the code of Haixi (632800) or one of its county-level units", s)
	}
	return c, nil
}

// codes are the prefecture and its county-level units in code order.
var codes = [...]Code{Haixi, Golmud, Delingha, Mangya, Ulan, Dulan, Tianjun, DaQaidam}

// known returns the package's own constant for s, so that a decoded code
// shares the constant's text instead of holding a copy that every garbage
// collection marks again (the read models keep one per claim).
func known(s string) (Code, bool) {
	for _, c := range codes {
		if string(c) == s {
			return c, true
		}
	}
	return "", false
}

// All returns the prefecture followed by its county-level units in code
// order.
func All() []Code { return slices.Clone(codes[:]) }

// Counties returns the seven county-level units in code order.
func Counties() []Code { return All()[1:] }

// Valid reports whether c is a known code.
func (c Code) Valid() bool { _, ok := table[c]; return ok }

// IsPrefecture reports whether c is the prefecture itself.
func (c Code) IsPrefecture() bool { return c == Haixi }

// NameEN returns the English name, or "" for an unknown code.
func (c Code) NameEN() string { return table[c].en }

// NameZH returns the Chinese name, or "" for an unknown code.
func (c Code) NameZH() string { return table[c].zh }

// String returns the code itself.
func (c Code) String() string { return string(c) }

// UnmarshalText accepts only known codes, so a decoded command cannot carry
// an unknown region, and sets the package's own constant (see known).
func (c *Code) UnmarshalText(b []byte) error {
	if v, ok := known(string(b)); ok {
		*c = v
		return nil
	}
	_, err := Parse("region", string(b))
	return err
}
