// Package identity parses the identifiers the bureau works with: the
// resident ID (公民身份号码, GB 11643) of a person and the unified social
// credit code (统一社会信用代码, GB 32100) of a unit. A person enters events
// only as a keyed hash (PersonRef) plus the facts derived from the ID.
package identity

import (
	"encoding/json"
	"errors"
	"strings"

	"github.com/haixi-hrss/fundledger/domain"
	"github.com/haixi-hrss/fundledger/domain/calendar"
)

// residentWeights are the GB 11643 weights of the first 17 digits, 2^(17-i)
// mod 11.
var residentWeights = [17]int{7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2}

const residentChecks = "10X98765432"

// ErrPlaintextID is returned when a ResidentID would be written to JSON:
// the plaintext ID is personal information and leaves the process only
// deliberately, through Plain.
var ErrPlaintextID = errors.New("resident ID must not be encoded; use Plain() deliberately or a PersonRef")

// ResidentID is a valid 18-character resident ID. String and fmt print it
// masked; Plain returns the full value.
type ResidentID struct{ s string }

// Sex is derived from the sequence digits (odd = male).
type Sex string

// The sexes GB 11643 encodes.
const (
	Male   Sex = "male"
	Female Sex = "female"
)

// ResidentCheckChar returns the GB 11643 check character of the first 17
// digits; ok is false if first17 is not 17 ASCII digits.
func ResidentCheckChar(first17 string) (c byte, ok bool) {
	if len(first17) != 17 {
		return 0, false
	}
	sum := 0
	for i := range 17 {
		ch := first17[i]
		if ch < '0' || ch > '9' {
			return 0, false
		}
		sum += int(ch-'0') * residentWeights[i]
	}
	return residentChecks[sum%11], true
}

// ParseResidentID checks length, digits, the birth date and the check
// character of s (a lower-case "x" is accepted as "X"); the error names
// field and never echoes the full ID.
func ParseResidentID(field, s string) (ResidentID, error) {
	if len(s) != 18 {
		return ResidentID{}, domain.Invalid(field, "resident-id-length", "a resident ID has 18 characters, this one has %d", len(s))
	}
	s = strings.ToUpper(s)
	c, ok := ResidentCheckChar(s[:17])
	if !ok {
		return ResidentID{}, domain.Invalid(field, "resident-id-digits", "the first 17 characters of a resident ID are digits")
	}
	if last := s[17]; (last < '0' || last > '9') && last != 'X' {
		return ResidentID{}, domain.Invalid(field, "resident-id-digits", "the last character of a resident ID is a digit or X")
	}
	if _, err := calendar.Parse(field, s[6:10]+"-"+s[10:12]+"-"+s[12:14]); err != nil {
		return ResidentID{}, domain.Invalid(field, "resident-id-birth-date", "characters 7–14 of the resident ID are not a calendar date")
	}
	if s[17] != c {
		return ResidentID{}, domain.Invalid(field, "resident-id-check", "the check character does not match; the ID is mistyped")
	}
	return ResidentID{s}, nil
}

// IsZero reports whether id is the zero value (no ID).
func (id ResidentID) IsZero() bool { return id.s == "" }

// Plain returns the full ID. Call it only where a role needs the value.
func (id ResidentID) Plain() string { return id.s }

// AreaCode returns the 6-digit GB/T 2260 code of the place of first
// registration.
func (id ResidentID) AreaCode() string { return id.s[:6] }

// BirthDate returns the date of birth in characters 7–14.
func (id ResidentID) BirthDate() calendar.Date {
	return calendar.MustParse(id.s[6:10] + "-" + id.s[10:12] + "-" + id.s[12:14])
}

// Sex returns the sex encoded by the parity of the 17th digit.
func (id ResidentID) Sex() Sex {
	if (id.s[16]-'0')%2 == 1 {
		return Male
	}
	return Female
}

// Masked returns the ID with characters 5–14 hidden, e.g.
// "6328**********1230", as public disclosure requires.
func (id ResidentID) Masked() string {
	if id.s == "" {
		return ""
	}
	return id.s[:4] + strings.Repeat("*", 10) + id.s[14:]
}

// String returns Masked, so that logging an ID never leaks it.
func (id ResidentID) String() string { return id.Masked() }

// MarshalJSON refuses with ErrPlaintextID.
func (id ResidentID) MarshalJSON() ([]byte, error) { return nil, ErrPlaintextID }

// UnmarshalJSON parses a JSON string, as an API request carries it.
func (id *ResidentID) UnmarshalJSON(b []byte) error {
	var s string
	if err := json.Unmarshal(b, &s); err != nil {
		return domain.Invalid("residentId", "resident-id-string", "a resident ID is a JSON string")
	}
	v, err := ParseResidentID("residentId", s)
	if err != nil {
		return err
	}
	*id = v
	return nil
}

// Facts are what the rules may know about a person without the ID: they
// travel in events beside the PersonRef, and stay when the plaintext ID is
// erased.
type Facts struct {
	BirthDate calendar.Date `json:"birthDate"`
	Sex       Sex           `json:"sex"`
	AreaCode  string        `json:"areaCode"`
}

// Facts returns the facts derived from id.
func (id ResidentID) Facts() Facts {
	return Facts{BirthDate: id.BirthDate(), Sex: id.Sex(), AreaCode: id.AreaCode()}
}

// MinIDNumberDigits is the shortest run of digits free text may not hold,
// as it could be an identity number: first-generation resident IDs have
// 15 digits, current ones 17 and a check character.
const MinIDNumberDigits = 15

// MayHoldIDNumber reports whether s holds MinIDNumberDigits or more ASCII
// digits in a row. Texts recorded in the log (reasons, notes, document
// numbers) are refused when it does, so identity numbers stay out of it.
func MayHoldIDNumber(s string) bool {
	run := 0
	for _, r := range s {
		if r < '0' || r > '9' {
			run = 0
			continue
		}
		if run++; run >= MinIDNumberDigits {
			return true
		}
	}
	return false
}
