// Package money holds amounts of yuan: exact decimals with at most two
// places (fen), parsed and printed as strings, never as floats.
package money

import (
	"encoding/json"
	"strings"

	"github.com/haixi-hrss/fundledger/domain"
	"github.com/shopspring/decimal"
)

// Amount is a sum of yuan with at most two decimal places. The zero value is
// 0.00 yuan.
type Amount struct{ d decimal.Decimal }

// Limit is the largest magnitude accepted from input: a trillion yuan is far
// beyond any prefecture's fund, so a larger figure is a typing error.
var Limit = decimal.New(1, 12)

// maxIntDigits is the most integer digits the syntax admits; a figure with
// that many is already a trillion yuan or more.
const maxIntDigits = 13

// Parse reads an amount such as "1500", "1500.5" or "1500.00". It rejects
// exponents, more than two decimals, signs other than a leading minus,
// separators, and magnitudes of a trillion yuan or more; the error names
// field.
//
// It is a hand-written scanner rather than regular expressions because
// replaying the ledger parses every amount of every event:
// TestParseMatchesPatterns holds it to the patterns it replaced.
func Parse(field, s string) (Amount, error) {
	coef, intDigits, fracDigits, ok := scan(s)
	if !ok {
		if tooPrecise(s) {
			return Amount{}, domain.Invalid(field, "max-2-decimals", "amount %q has more than two decimal places", s)
		}
		return Amount{}, domain.Invalid(field, "decimal-string", "amount %q is not a plain decimal such as \"1500.00\"", s)
	}
	if intDigits == maxIntDigits {
		return Amount{}, domain.Invalid(field, "magnitude", "amount %q is a trillion yuan or more", s)
	}
	return Amount{decimal.New(coef, -int32(fracDigits))}, nil
}

// scan matches s against -?(0|[1-9][0-9]{0,12})(\.[0-9]{1,2})? as a whole
// and returns its digits as one integer (at most 15 digits, so no
// overflow) with the count of integer and fraction digits.
func scan(s string) (coef int64, intDigits, fracDigits int, ok bool) {
	i := 0
	neg := len(s) > 0 && s[0] == '-'
	if neg {
		i++
	}
	start := i
	for i < len(s) && isDigit(s[i]) {
		if i-start == maxIntDigits {
			return 0, 0, 0, false
		}
		coef = 10*coef + int64(s[i]-'0')
		i++
	}
	intDigits = i - start
	if intDigits == 0 || (intDigits > 1 && s[start] == '0') {
		return 0, 0, 0, false
	}
	if i < len(s) {
		if s[i] != '.' {
			return 0, 0, 0, false
		}
		i++
		for i < len(s) && isDigit(s[i]) {
			if fracDigits == 2 {
				return 0, 0, 0, false
			}
			coef = 10*coef + int64(s[i]-'0')
			fracDigits++
			i++
		}
		if fracDigits == 0 || i < len(s) {
			return 0, 0, 0, false
		}
	}
	if neg {
		coef = -coef
	}
	return coef, intDigits, fracDigits, true
}

// tooPrecise reports whether s is -?[0-9]+\.[0-9]{3,}: a plain decimal
// whose only fault may be its places, named as such in the error.
func tooPrecise(s string) bool {
	s = strings.TrimPrefix(s, "-")
	whole, frac, found := strings.Cut(s, ".")
	return found && len(whole) > 0 && len(frac) >= 3 && allDigits(whole) && allDigits(frac)
}

func allDigits(s string) bool {
	for i := range len(s) {
		if !isDigit(s[i]) {
			return false
		}
	}
	return true
}

func isDigit(c byte) bool { return '0' <= c && c <= '9' }

// ParsePositive is Parse plus the rule that the amount is greater than zero,
// as every paid, allocated or reserved amount must be.
func ParsePositive(field, s string) (Amount, error) {
	a, err := Parse(field, s)
	if err != nil {
		return a, err
	}
	if !a.IsPositive() {
		return Amount{}, domain.Invalid(field, "positive", "amount %q must be greater than zero", s)
	}
	return a, nil
}

// MustParse is Parse for literals in code and tests; it panics on error.
func MustParse(s string) Amount {
	a, err := Parse("amount", s)
	if err != nil {
		panic(err)
	}
	return a
}

// Yuan returns a whole number of yuan.
func Yuan(n int64) Amount { return Amount{decimal.NewFromInt(n)} }

// FromDecimal rounds d half-up to the fen.
func FromDecimal(d decimal.Decimal) Amount { return Amount{d.Round(2)} }

// Decimal returns the amount as a decimal.
func (a Amount) Decimal() decimal.Decimal { return a.d }

// Add returns a + b.
func (a Amount) Add(b Amount) Amount { return Amount{a.d.Add(b.d)} }

// Sub returns a − b.
func (a Amount) Sub(b Amount) Amount { return Amount{a.d.Sub(b.d)} }

// MulRate returns a × rate rounded half-up to the fen: rates multiply, then
// round once, at the end of each computed amount.
func (a Amount) MulRate(rate decimal.Decimal) Amount { return Amount{a.d.Mul(rate).Round(2)} }

// Cmp returns -1, 0 or +1 as a is less than, equal to or greater than b.
func (a Amount) Cmp(b Amount) int { return a.d.Cmp(b.d) }

// Equal reports whether a and b are the same sum.
func (a Amount) Equal(b Amount) bool { return a.d.Equal(b.d) }

// LessThan reports whether a < b.
func (a Amount) LessThan(b Amount) bool { return a.d.LessThan(b.d) }

// GreaterThan reports whether a > b.
func (a Amount) GreaterThan(b Amount) bool { return a.d.GreaterThan(b.d) }

// IsZero reports whether a is 0.00.
func (a Amount) IsZero() bool { return a.d.IsZero() }

// IsPositive reports whether a > 0.
func (a Amount) IsPositive() bool { return a.d.IsPositive() }

// IsNegative reports whether a < 0.
func (a Amount) IsNegative() bool { return a.d.IsNegative() }

// Min returns the smaller of a and b.
func Min(a, b Amount) Amount {
	if a.LessThan(b) {
		return a
	}
	return b
}

// String prints the amount with exactly two decimals, e.g. "1500.00".
func (a Amount) String() string { return a.d.StringFixed(2) }

// MarshalJSON writes the amount as a JSON string with two decimals. The
// text is digits, a point and perhaps a minus, so it needs no escaping.
func (a Amount) MarshalJSON() ([]byte, error) {
	text := a.String()
	b := make([]byte, 0, len(text)+2)
	b = append(b, '"')
	b = append(b, text...)
	return append(b, '"'), nil
}

// UnmarshalJSON accepts only a JSON string holding a valid amount; a JSON
// number is refused because it may have passed through a float. A string
// of printable ASCII without escapes, as every amount this package writes,
// is read in place; anything else goes through encoding/json.
func (a *Amount) UnmarshalJSON(b []byte) error {
	s, ok := plainJSONString(b)
	if !ok {
		if err := json.Unmarshal(b, &s); err != nil {
			return domain.Invalid("amount", "decimal-string", "amount must be a JSON string such as \"1500.00\", not %s", b)
		}
	}
	v, err := Parse("amount", s)
	if err != nil {
		return err
	}
	*a = v
	return nil
}

// plainJSONString returns the text of b when b is a JSON string of
// printable ASCII with no escapes: then its text is exactly its bytes.
func plainJSONString(b []byte) (string, bool) {
	if len(b) < 2 || b[0] != '"' || b[len(b)-1] != '"' {
		return "", false
	}
	in := b[1 : len(b)-1]
	for _, c := range in {
		if c < 0x20 || c >= 0x7f || c == '"' || c == '\\' {
			return "", false
		}
	}
	return string(in), true
}
