package programme

import (
	"encoding/json"
	"errors"
	"testing"
	"unsafe"

	"github.com/haixi-hrss/fundledger/domain"
)

func TestProgrammesAndTheirFunds(t *testing.T) {
	want := map[Code]struct {
		s    string
		fund FundKind
	}{
		Stabilization:      {"stabilization", UnemploymentInsurance},
		Expansion:          {"expansion", UnemploymentInsurance},
		SkillUpgrade:       {"skill-upgrade", UnemploymentInsurance},
		Absorption:         {"absorption", EmploymentSubsidy},
		SocialInsurance:    {"social-insurance", EmploymentSubsidy},
		VocationalTraining: {"vocational-training", EmploymentSubsidy},
		StartUp:            {"start-up", EmploymentSubsidy},
	}
	if len(All()) != len(want) {
		t.Fatalf("All() has %d programmes, want %d", len(All()), len(want))
	}
	for _, c := range All() {
		w := want[c]
		got, err := Parse("programme", w.s)
		if err != nil || got != c || c.Fund() != w.fund || c.NameZH() == "" || c.NameEN() == "" {
			t.Errorf("%s: Parse = %s, %v; Fund = %s, want %s", w.s, got, err, c.Fund(), w.fund)
		}
	}
	if EmploymentSubsidy.NameZH() != "就业补助资金" || UnemploymentInsurance.NameZH() != "失业保险基金" {
		t.Error("fund kind names are wrong")
	}
}

func TestParseRefuses(t *testing.T) {
	if _, err := Parse("programme", "Expansion"); !errors.Is(err, domain.ErrInvalid) {
		t.Errorf("Parse(Expansion) error = %v, want ErrInvalid", err)
	}
	if _, err := ParseFundKind("fund", "pension"); !errors.Is(err, domain.ErrInvalid) {
		t.Errorf("ParseFundKind(pension) error = %v, want ErrInvalid", err)
	}
	var v struct{ P Code }
	if err := json.Unmarshal([]byte(`{"P":"loans"}`), &v); !errors.Is(err, domain.ErrInvalid) {
		t.Errorf("Unmarshal unknown programme error = %v, want ErrInvalid", err)
	}
}

func TestFiscalYear(t *testing.T) {
	for _, y := range []int{2020, 2025, 2100} {
		if fy, err := ParseFiscalYear("year", y); err != nil || int(fy) != y {
			t.Errorf("ParseFiscalYear(%d) = %d, %v", y, fy, err)
		}
	}
	for _, y := range []int{0, 2019, 2101, -2025} {
		_, err := ParseFiscalYear("year", y)
		var fe *domain.FieldError
		if !errors.As(err, &fe) || fe.Field != "year" || fe.Rule != "fiscal-year" {
			t.Errorf("ParseFiscalYear(%d) error = %v, want field year rule fiscal-year", y, err)
		}
	}
}

// TestDecodedCodeIsTheConstant: a decoded programme is the package's
// constant, not a copy of the input, and decoding it allocates nothing, so
// the read models' many codes add no objects for the collector to mark.
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
	if err := c.UnmarshalText([]byte("lottery")); !errors.As(err, &fe) || fe.Field != "programme" {
		t.Errorf("unknown programme: error %v, want a field error on programme", err)
	}
}
