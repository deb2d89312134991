package identity

import (
	"errors"
	"fmt"
	"strings"

	"github.com/haixi-hrss/fundledger/domain"
)

// creditAlphabet is the GB 32100 character set; a character's value is its
// index (I, O, S, V and Z are not used).
const creditAlphabet = "0123456789ABCDEFGHJKLMNPQRTUWXY"

var creditWeights = [17]int{1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28}

// ErrNeedsReview matches every *ReviewError: the input is well formed but
// a person must judge whether to accept it.
var ErrNeedsReview = errors.New("needs manual review")

// ReviewError reports an identifier that is well formed but fails a check
// that some legal identifiers fail too.
type ReviewError struct {
	Field  string
	Rule   string
	Detail string
}

func (e *ReviewError) Error() string {
	return fmt.Sprintf("%s: %s (rule %s, needs manual review)", e.Field, e.Detail, e.Rule)
}

// Is makes errors.Is(err, ErrNeedsReview) true.
func (e *ReviewError) Is(target error) bool { return target == ErrNeedsReview }

// CreditCode is an 18-character unified social credit code in upper case.
type CreditCode string

// UnitType is the kind of registered unit, from characters 1–2.
type UnitType string

// Unit types the programmes distinguish; the rest are Other.
const (
	Enterprise         UnitType = "enterprise"          // 91 企业
	IndividualBusiness UnitType = "individual-business" // 92 个体工商户
	FarmerCooperative  UnitType = "farmer-cooperative"  // 93 农民专业合作社
	GovernmentBody     UnitType = "government-body"     // 11 机关
	PublicInstitution  UnitType = "public-institution"  // 12 事业单位
	SocialOrganization UnitType = "social-organization" // 51 社会团体, 52 民办非企业单位, 53 基金会
	OtherUnit          UnitType = "other"
)

var unitTypes = map[string]UnitType{
	"91": Enterprise, "92": IndividualBusiness, "93": FarmerCooperative,
	"11": GovernmentBody, "12": PublicInstitution,
	"51": SocialOrganization, "52": SocialOrganization, "53": SocialOrganization,
}

// CreditCheckChar returns the GB 32100 check character of the first 17
// characters; ok is false if first17 is not 17 characters of the alphabet.
func CreditCheckChar(first17 string) (c byte, ok bool) {
	if len(first17) != 17 {
		return 0, false
	}
	sum := 0
	for i := range 17 {
		v := strings.IndexByte(creditAlphabet, first17[i])
		if v < 0 {
			return 0, false
		}
		sum += v * creditWeights[i]
	}
	return creditAlphabet[(31-sum%31)%31], true
}

// ParseCreditCode checks s (lower case is accepted and upper-cased). A code
// of the wrong length or alphabet is a *domain.FieldError. A code that is
// well formed but fails only the check character is returned together with
// a *ReviewError (errors.Is(err, ErrNeedsReview)): some early pilot codes
// are legal and fail the check, so such a code is neither accepted nor
// refused silently.
func ParseCreditCode(field, s string) (CreditCode, error) {
	if len(s) != 18 {
		return "", domain.Invalid(field, "credit-code-length", "a unified social credit code has 18 characters, this one has %d", len(s))
	}
	s = strings.ToUpper(s)
	c, ok := CreditCheckChar(s[:17])
	if !ok || strings.IndexByte(creditAlphabet, s[17]) < 0 {
		return "", domain.Invalid(field, "credit-code-alphabet", "%q uses characters outside 0-9 and A-Y without I, O, S, V, Z", s)
	}
	for i := 2; i < 8; i++ {
		if s[i] < '0' || s[i] > '9' {
			return "", domain.Invalid(field, "credit-code-area", "characters 3–8 of %q are not an area code", s)
		}
	}
	if s[17] != c {
		return CreditCode(s), &ReviewError{Field: field, Rule: "credit-code-check", Detail: fmt.Sprintf("%q fails the GB 32100 check character (expected %c); early pilot codes may legally do so", s, c)}
	}
	return CreditCode(s), nil
}

// CheckCharValid reports whether the code's last character matches its
// first 17.
func (c CreditCode) CheckCharValid() bool {
	if len(c) != 18 {
		return false
	}
	want, ok := CreditCheckChar(string(c[:17]))
	return ok && want == c[17]
}

// UnitType returns the kind of unit from characters 1–2.
func (c CreditCode) UnitType() UnitType {
	if len(c) < 2 {
		return OtherUnit
	}
	if t, ok := unitTypes[string(c[:2])]; ok {
		return t
	}
	return OtherUnit
}

// AreaCode returns characters 3–8, the registering authority's area code.
func (c CreditCode) AreaCode() string {
	if len(c) < 8 {
		return ""
	}
	return string(c[2:8])
}

// String returns the code itself.
func (c CreditCode) String() string { return string(c) }
