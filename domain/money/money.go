// Package money holds amounts of yuan: exact decimals with at most two
// places (fen), parsed and printed as strings, never as floats.
package money

import (
	"encoding/json"
	"regexp"

	"github.com/haixi-hrss/fundledger/domain"
	"github.com/shopspring/decimal"
)

// Amount is a sum of yuan with at most two decimal places. The zero value is
// 0.00 yuan.
type Amount struct{ d decimal.Decimal }

// Limit is the largest magnitude accepted from input: a trillion yuan is far
// beyond any prefecture's fund, so a larger figure is a typing error.
var Limit = decimal.New(1, 12)

var (
	amountPattern = regexp.MustCompile(`^-?(0|[1-9][0-9]{0,12})(\.[0-9]{1,2})?$`)
	tooPrecise    = regexp.MustCompile(`^-?[0-9]+\.[0-9]{3,}$`)
)

// Parse reads an amount such as "1500", "1500.5" or "1500.00". It rejects
// exponents, more than two decimals, signs other than a leading minus,
// separators, and magnitudes of a trillion yuan or more; the error names
// field.
func Parse(field, s string) (Amount, error) {
	if !amountPattern.MatchString(s) {
		if tooPrecise.MatchString(s) {
			return Amount{}, domain.Invalid(field, "max-2-decimals", "amount %q has more than two decimal places", s)
		}
		return Amount{}, domain.Invalid(field, "decimal-string", "amount %q is not a plain decimal such as \"1500.00\"", s)
	}
	d, err := decimal.NewFromString(s)
	if err != nil {
		return Amount{}, domain.Invalid(field, "decimal-string", "amount %q is not a plain decimal such as \"1500.00\"", s)
	}
	if d.Abs().Cmp(Limit) >= 0 {
		return Amount{}, domain.Invalid(field, "magnitude", "amount %q is a trillion yuan or more", s)
	}
	return Amount{d}, nil
}

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

// MarshalJSON writes the amount as a JSON string with two decimals.
func (a Amount) MarshalJSON() ([]byte, error) { return json.Marshal(a.String()) }

// UnmarshalJSON accepts only a JSON string holding a valid amount; a JSON
// number is refused because it may have passed through a float.
func (a *Amount) UnmarshalJSON(b []byte) error {
	var s string
	if err := json.Unmarshal(b, &s); err != nil {
		return domain.Invalid("amount", "decimal-string", "amount must be a JSON string such as \"1500.00\", not %s", b)
	}
	v, err := Parse("amount", s)
	if err != nil {
		return err
	}
	*a = v
	return nil
}
