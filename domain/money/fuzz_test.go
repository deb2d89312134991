package money

import (
	"encoding/json"
	"errors"
	"testing"

	"github.com/haixi-hrss/fundledger/domain"
	"github.com/shopspring/decimal"
)

func FuzzParse(f *testing.F) {
	for _, s := range []string{"1500", "1500.5", "0.01", "-20.00", "999999999999.99", "1000000000000", "1.005", "1e3", "NaN", "", "+5", "01.00", "0.005"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		a, err := Parse("amount", s)
		if err != nil {
			if !errors.Is(err, domain.ErrInvalid) {
				t.Fatalf("Parse(%q) error %v is not ErrInvalid", s, err)
			}
			return
		}
		// An accepted amount is exactly the decimal written, has at most two
		// places, survives printing and JSON unchanged, and is in range.
		d, derr := decimal.NewFromString(s)
		if derr != nil || !a.Decimal().Equal(d) || a.Decimal().Exponent() < -2 || a.Decimal().Abs().Cmp(Limit) >= 0 {
			t.Fatalf("Parse(%q) = %s", s, a)
		}
		back, err := Parse("amount", a.String())
		if err != nil || !back.Equal(a) {
			t.Fatalf("re-parse of %s = %s, %v", a, back, err)
		}
		b, _ := json.Marshal(a)
		var j Amount
		if err := json.Unmarshal(b, &j); err != nil || !j.Equal(a) {
			t.Fatalf("JSON round trip of %s = %s, %v", a, j, err)
		}
	})
}
