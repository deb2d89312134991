package money

import (
	"encoding/json"
	"errors"
	"fmt"
	"regexp"
	"testing"

	"github.com/haixi-hrss/fundledger/domain"
	"github.com/shopspring/decimal"
)

// The implementation Parse and UnmarshalJSON replaced (regular
// expressions and encoding/json), kept as the oracle they must agree with.
var (
	oracleAmountPattern = regexp.MustCompile(`^-?(0|[1-9][0-9]{0,12})(\.[0-9]{1,2})?$`)
	oracleTooPrecise    = regexp.MustCompile(`^-?[0-9]+\.[0-9]{3,}$`)
)

func oracleParse(field, s string) (Amount, error) {
	if !oracleAmountPattern.MatchString(s) {
		if oracleTooPrecise.MatchString(s) {
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

func oracleUnmarshalJSON(b []byte) (Amount, error) {
	var s string
	if err := json.Unmarshal(b, &s); err != nil {
		return Amount{}, domain.Invalid("amount", "decimal-string", "amount must be a JSON string such as \"1500.00\", not %s", b)
	}
	return oracleParse("amount", s)
}

// sameResult fails unless both results are the same error (field, rule and
// sentence) or the same decimal, coefficient and exponent alike.
func sameResult(t *testing.T, what string, got Amount, gotErr error, want Amount, wantErr error) {
	t.Helper()
	if (gotErr == nil) != (wantErr == nil) {
		t.Fatalf("%s: error %v, the old implementation's %v", what, gotErr, wantErr)
	}
	if wantErr != nil {
		var g, w *domain.FieldError
		if !errors.As(gotErr, &g) || !errors.As(wantErr, &w) || *g != *w {
			t.Fatalf("%s: error %#v, the old implementation's %#v", what, gotErr, wantErr)
		}
		return
	}
	if got.d.Exponent() != want.d.Exponent() || got.d.Coefficient().Cmp(want.d.Coefficient()) != 0 {
		t.Fatalf("%s = %s (%se%d), the old implementation's %s (%se%d)", what,
			got, got.d.Coefficient(), got.d.Exponent(), want, want.d.Coefficient(), want.d.Exponent())
	}
}

// checkAgainstOracle compares Parse, UnmarshalJSON and MarshalJSON with the
// old implementation on s, on s as the body of a JSON string and on s as
// raw JSON.
func checkAgainstOracle(t *testing.T, s string) {
	t.Helper()
	got, gotErr := Parse("grant", s)
	want, wantErr := oracleParse("grant", s)
	sameResult(t, fmt.Sprintf("Parse(%q)", s), got, gotErr, want, wantErr)
	if wantErr == nil {
		b, err := got.MarshalJSON()
		old, _ := json.Marshal(want.String())
		if err != nil || string(b) != string(old) {
			t.Fatalf("MarshalJSON of %q = %s, %v; encoding/json writes %s", s, b, err, old)
		}
	}
	for _, raw := range [][]byte{[]byte(`"` + s + `"`), []byte(s)} {
		var a Amount
		gotErr := a.UnmarshalJSON(raw)
		want, wantErr := oracleUnmarshalJSON(raw)
		sameResult(t, fmt.Sprintf("UnmarshalJSON(%q)", raw), a, gotErr, want, wantErr)
	}
}

func TestParseMatchesPatterns(t *testing.T) {
	for _, s := range oracleSeeds {
		checkAgainstOracle(t, s)
	}
}

// FuzzParseMatchesPatterns runs the comparison on generated strings:
// go test -fuzz FuzzParseMatchesPatterns ./domain/money
func FuzzParseMatchesPatterns(f *testing.F) {
	for _, s := range oracleSeeds {
		f.Add(s)
	}
	f.Fuzz(checkAgainstOracle)
}

// oracleSeeds cover each branch of the scanner: signs, leading zeros,
// 12/13/14 integer digits, 0-3 places, stray characters, escapes, JSON
// values that are not strings, and bytes JSON must replace.
var oracleSeeds = []string{
	"0", "-0", "0.0", "-0.00", "00", "01", "0.", ".5", "-.5", "-", "", " ", "5.", "5..0",
	"1500", "1500.5", "1500.50", "1500.505", "-1500.505", "01.005", "000.123", "1.0000",
	"999999999999.99", "-999999999999.99", "1000000000000", "-1000000000000.00",
	"9999999999999.99", "10000000000000", "99999999999999.999", "123456789012345678901234567890",
	"1e3", "1E3", "1.5e2", "+5", "5-", "--5", "1,500.00", " 1", "1 ", "NaN", "Inf", "0x10", "１",
	`1\u0030`, `\u0031500`, `1"`, "1\x00", "1\t", "1\x7f", "\xff", "1.\xe2\x82\xac",
	"null", "true", "12.34", "[]", "{}", `"`, `""`,
}
