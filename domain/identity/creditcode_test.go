package identity

import (
	"errors"
	"math/rand/v2"
	"testing"

	"github.com/haixi-hrss/fundledger/domain"
)

func TestParseCreditCodeValid(t *testing.T) {
	c, err := ParseCreditCode("employer", "91350100M000100Y43")
	if err != nil || c != "91350100M000100Y43" {
		t.Fatalf("ParseCreditCode = %s, %v", c, err)
	}
	if c.UnitType() != Enterprise || c.AreaCode() != "350100" || !c.CheckCharValid() {
		t.Fatalf("unit %s area %s check %v", c.UnitType(), c.AreaCode(), c.CheckCharValid())
	}
	if lower, err := ParseCreditCode("employer", "91350100m000100y43"); err != nil || lower != c {
		t.Fatalf("lower case = %s, %v", lower, err)
	}
}

func TestParseCreditCodeCheckFailureNeedsReview(t *testing.T) {
	c, err := ParseCreditCode("employer", "91350100M000100Y44")
	var re *ReviewError
	if !errors.As(err, &re) || re.Field != "employer" || re.Rule != "credit-code-check" {
		t.Fatalf("error = %v, want *ReviewError for employer", err)
	}
	if !errors.Is(err, ErrNeedsReview) || errors.Is(err, domain.ErrInvalid) || errors.Is(err, domain.ErrRejected) {
		t.Fatalf("error %v must match only ErrNeedsReview", err)
	}
	if c != "91350100M000100Y44" || c.CheckCharValid() {
		t.Fatalf("the code must be returned for review: %q, valid %v", c, c.CheckCharValid())
	}
}

func TestParseCreditCodeMalformed(t *testing.T) {
	tests := []struct{ in, rule string }{
		{"91350100M000100Y4", "credit-code-length"},
		{"91350100M000100Y433", "credit-code-length"},
		{"91350100I000100Y43", "credit-code-alphabet"}, // I is not used
		{"91350100O000100Y43", "credit-code-alphabet"}, // O is not used
		{"91350100M000100Y4Z", "credit-code-alphabet"}, // Z as check
		{"913501-0M000100Y43", "credit-code-alphabet"},
		{"91A50100M000100Y43", "credit-code-area"},
	}
	for _, tt := range tests {
		c, err := ParseCreditCode("employer", tt.in)
		var fe *domain.FieldError
		if !errors.As(err, &fe) || fe.Rule != tt.rule || fe.Field != "employer" || c != "" {
			t.Errorf("ParseCreditCode(%q) = %q, %v; want rule %s", tt.in, c, err, tt.rule)
		}
	}
}

func TestCreditCodeUnitTypes(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	tests := map[string]UnitType{
		"91": Enterprise, "92": IndividualBusiness, "93": FarmerCooperative,
		"11": GovernmentBody, "12": PublicInstitution, "51": SocialOrganization,
		"52": SocialOrganization, "53": SocialOrganization, "13": OtherUnit, "Y1": OtherUnit,
	}
	for prefix, want := range tests {
		s := genCreditCode(r, prefix)
		c, err := ParseCreditCode("employer", s)
		if err != nil || c.UnitType() != want {
			t.Errorf("%s: unit %s, %v; want %s", s, c.UnitType(), err, want)
		}
	}
}

func TestCreditCodeGenerated(t *testing.T) {
	r := rand.New(rand.NewPCG(5, 6))
	for range 2000 {
		s := genCreditCode(r, "91")
		if _, err := ParseCreditCode("employer", s); err != nil {
			t.Fatalf("generated %s: %v", s, err)
		}
		if c, ok := CreditCheckChar(s[:17]); !ok || c != s[17] {
			t.Fatalf("CreditCheckChar(%s) = %c, want %c", s[:17], c, s[17])
		}
		// Any other check character is a review case, never accepted.
		bad := []byte(s)
		bad[17] = alphabet31[(indexOf(s[17])+1+r.IntN(30))%31]
		if _, err := ParseCreditCode("employer", string(bad)); !errors.Is(err, ErrNeedsReview) {
			t.Fatalf("%s: error = %v, want ErrNeedsReview", bad, err)
		}
	}
}

func indexOf(c byte) int {
	for i := range len(alphabet31) {
		if alphabet31[i] == c {
			return i
		}
	}
	return -1
}
