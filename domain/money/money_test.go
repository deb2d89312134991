package money

import (
	"encoding/json"
	"errors"
	"testing"

	"github.com/haixi-hrss/fundledger/domain"
	"github.com/shopspring/decimal"
)

func TestParse(t *testing.T) {
	tests := []struct {
		in   string
		want string
		rule string
	}{
		{"1500", "1500.00", ""},
		{"1500.5", "1500.50", ""},
		{"0.01", "0.01", ""},
		{"-20.00", "-20.00", ""},
		{"999999999999.99", "999999999999.99", ""},
		{"1000000000000", "", "magnitude"},
		{"1.005", "", "max-2-decimals"},
		{"1e3", "", "decimal-string"},
		{"NaN", "", "decimal-string"},
		{"", "", "decimal-string"},
		{"+5", "", "decimal-string"},
		{"1,500.00", "", "decimal-string"},
		{"01.00", "", "decimal-string"},
		{" 1", "", "decimal-string"},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			got, err := Parse("amount", tt.in)
			if tt.rule != "" {
				var fe *domain.FieldError
				if !errors.As(err, &fe) || fe.Rule != tt.rule || fe.Field != "amount" {
					t.Fatalf("Parse(%q) error = %v, want field amount rule %s", tt.in, err, tt.rule)
				}
				return
			}
			if err != nil || got.String() != tt.want {
				t.Fatalf("Parse(%q) = %s, %v; want %s", tt.in, got, err, tt.want)
			}
		})
	}
}

func TestParsePositive(t *testing.T) {
	for _, s := range []string{"0", "0.00", "-1"} {
		if _, err := ParsePositive("grant", s); !errors.Is(err, domain.ErrInvalid) {
			t.Errorf("ParsePositive(%q) error = %v, want ErrInvalid", s, err)
		}
	}
}

func TestMulRateRoundsHalfUpOnce(t *testing.T) {
	tests := []struct{ amount, rate, want string }{
		{"100.01", "0.6", "60.01"}, // 60.006 → 60.01
		{"100.05", "0.3", "30.02"}, // 30.015 → 30.02 (half-up)
		{"100.00", "0.9", "90.00"},
		{"33.33", "0.333333", "11.11"},
	}
	for _, tt := range tests {
		got := MustParse(tt.amount).MulRate(decimal.RequireFromString(tt.rate))
		if got.String() != tt.want {
			t.Errorf("%s × %s = %s, want %s", tt.amount, tt.rate, got, tt.want)
		}
	}
}

func TestJSON(t *testing.T) {
	b, err := json.Marshal(MustParse("1500"))
	if err != nil || string(b) != `"1500.00"` {
		t.Fatalf("Marshal = %s, %v", b, err)
	}
	var a Amount
	if err := json.Unmarshal([]byte(`"12.34"`), &a); err != nil || a.String() != "12.34" {
		t.Fatalf("Unmarshal string = %s, %v", a, err)
	}
	for _, in := range []string{`12.34`, `"12.345"`, `null`, `true`} {
		if err := json.Unmarshal([]byte(in), &a); !errors.Is(err, domain.ErrInvalid) {
			t.Errorf("Unmarshal(%s) error = %v, want ErrInvalid", in, err)
		}
	}
}

func TestArithmeticIsExact(t *testing.T) {
	sum := Amount{}
	for range 10 {
		sum = sum.Add(MustParse("0.10"))
	}
	if !sum.Equal(Yuan(1)) {
		t.Fatalf("ten times 0.10 = %s, want 1.00", sum)
	}
}
