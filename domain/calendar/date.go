// Package calendar holds civil dates as the bureau uses them: a day in
// Asia/Shanghai, with no time of day and no time-zone arithmetic at use
// sites, plus working-day arithmetic for public-disclosure periods.
package calendar

import (
	"encoding/json"
	"slices"
	"time"

	"github.com/haixi-hrss/fundledger/domain"
)

// Layout is the only text form of a Date: "YYYY-MM-DD".
const Layout = "2006-01-02"

// Date is a civil date. The zero value is "no date" (IsZero reports true);
// Dates are comparable with == and usable as map keys.
type Date struct {
	year  int
	month time.Month
	day   int
}

// shanghai is resolved once; China has kept UTC+8 without daylight saving
// since 1991, so the fixed zone is exact for every date the ledger records
// when the tz database is missing.
var shanghai = loadShanghai(time.LoadLocation)

func loadShanghai(load func(name string) (*time.Location, error)) *time.Location {
	if loc, err := load("Asia/Shanghai"); err == nil {
		return loc
	}
	return time.FixedZone("CST", 8*60*60)
}

// Shanghai returns the Asia/Shanghai location that business dates are
// taken in.
func Shanghai() *time.Location { return shanghai }

// New returns the date year-month-day, or an error naming "date" if no such
// day exists (e.g. 2025-02-29).
func New(year int, month time.Month, day int) (Date, error) {
	if year < 1 || year > 9999 {
		return Date{}, domain.Invalid("date", "year-range", "year %d is outside 0001–9999", year)
	}
	t := time.Date(year, month, day, 0, 0, 0, 0, time.UTC)
	if t.Year() != year || t.Month() != month || t.Day() != day {
		return Date{}, domain.Invalid("date", "calendar-date", "%04d-%02d-%02d is not a day in the calendar", year, int(month), day)
	}
	return Date{year, month, day}, nil
}

// MustNew is New for literals in code and tests; it panics on error.
func MustNew(year int, month time.Month, day int) Date {
	d, err := New(year, month, day)
	if err != nil {
		panic(err)
	}
	return d
}

// Parse reads "YYYY-MM-DD"; the error names field.
func Parse(field, s string) (Date, error) {
	if len(s) != len(Layout) {
		return Date{}, domain.Invalid(field, "date-format", "date %q is not in the form YYYY-MM-DD", s)
	}
	t, err := time.Parse(Layout, s)
	if err != nil || t.Year() < 1 {
		return Date{}, domain.Invalid(field, "date-format", "date %q is not a calendar day in the form YYYY-MM-DD", s)
	}
	return fromUTC(t), nil
}

// MustParse is Parse for literals in code and tests; it panics on error.
func MustParse(s string) Date {
	d, err := Parse("date", s)
	if err != nil {
		panic(err)
	}
	return d
}

// FromTime returns the civil date of the instant t in Asia/Shanghai.
func FromTime(t time.Time) Date {
	y, m, d := t.In(shanghai).Date()
	return Date{y, m, d}
}

func fromUTC(t time.Time) Date {
	y, m, d := t.Date()
	return Date{y, m, d}
}

func (d Date) utc() time.Time { return time.Date(d.year, d.month, d.day, 0, 0, 0, 0, time.UTC) }

// Start returns the first instant of the day in Asia/Shanghai.
func (d Date) Start() time.Time {
	return time.Date(d.year, d.month, d.day, 0, 0, 0, 0, shanghai)
}

// Year returns the year.
func (d Date) Year() int { return d.year }

// Month returns the month.
func (d Date) Month() time.Month { return d.month }

// Day returns the day of the month.
func (d Date) Day() int { return d.day }

// Weekday returns the day of the week.
func (d Date) Weekday() time.Weekday { return d.utc().Weekday() }

// IsZero reports whether d is the zero Date ("no date").
func (d Date) IsZero() bool { return d == Date{} }

// Compare returns -1, 0 or +1 as d is before, equal to or after e.
func (d Date) Compare(e Date) int {
	switch {
	case d.year != e.year:
		return cmpInt(d.year, e.year)
	case d.month != e.month:
		return cmpInt(int(d.month), int(e.month))
	default:
		return cmpInt(d.day, e.day)
	}
}

func cmpInt(a, b int) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

// Before reports whether d is earlier than e.
func (d Date) Before(e Date) bool { return d.Compare(e) < 0 }

// After reports whether d is later than e.
func (d Date) After(e Date) bool { return d.Compare(e) > 0 }

// Within reports whether from ≤ d ≤ to (both ends inclusive).
func (d Date) Within(from, to Date) bool { return !d.Before(from) && !d.After(to) }

// AddDays returns the date n days later (earlier if n < 0).
func (d Date) AddDays(n int) Date { return fromUTC(d.utc().AddDate(0, 0, n)) }

// AddMonths returns the same day n months later (earlier if n < 0). A day
// that does not exist in the target month is clamped to the month's last
// day (2024-01-31 + 1 month = 2024-02-29), because a policy period must not
// spill into the month after.
func (d Date) AddMonths(n int) Date {
	first := time.Date(d.year, d.month, 1, 0, 0, 0, 0, time.UTC).AddDate(0, n, 0)
	last := first.AddDate(0, 1, -1).Day()
	return Date{first.Year(), first.Month(), min(d.day, last)}
}

// AddYears is AddMonths(12n): 2024-02-29 + 1 year = 2025-02-28.
func (d Date) AddYears(n int) Date { return d.AddMonths(12 * n) }

// DaysUntil returns the number of days from d to e (negative if e is
// earlier).
func (d Date) DaysUntil(e Date) int {
	return int(e.utc().Sub(d.utc()).Hours() / 24)
}

// FirstOfMonth returns the first day of d's month.
func (d Date) FirstOfMonth() Date { return Date{d.year, d.month, 1} }

// MonthsUntil returns the number of whole calendar months from d's month to
// e's month, ignoring days: 2025-01-31 → 2025-02-01 is 1.
func (d Date) MonthsUntil(e Date) int {
	return (e.year-d.year)*12 + int(e.month) - int(d.month)
}

// String returns "YYYY-MM-DD", or "" for the zero Date.
func (d Date) String() string {
	if d.IsZero() {
		return ""
	}
	var b [10]byte
	return string(d.appendText(b[:0]))
}

// appendText appends "YYYY-MM-DD" (years 1..9999) without fmt: every
// event and read model writes dates, and every claim key holds one.
func (d Date) appendText(b []byte) []byte {
	y, m := d.year, int(d.month)
	return append(b, byte('0'+y/1000%10), byte('0'+y/100%10), byte('0'+y/10%10), byte('0'+y%10), '-',
		byte('0'+m/10), byte('0'+m%10), '-', byte('0'+d.day/10), byte('0'+d.day%10))
}

// MarshalText writes "YYYY-MM-DD" (empty for the zero Date).
func (d Date) MarshalText() ([]byte, error) { return []byte(d.String()), nil }

// UnmarshalText reads "YYYY-MM-DD"; empty text gives the zero Date.
func (d *Date) UnmarshalText(b []byte) error {
	if len(b) == 0 {
		*d = Date{}
		return nil
	}
	v, err := Parse("date", string(b))
	if err != nil {
		return err
	}
	*d = v
	return nil
}

// MarshalJSON writes the date as a JSON string "YYYY-MM-DD"; the zero Date
// is written as "".
func (d Date) MarshalJSON() ([]byte, error) {
	if d.IsZero() {
		return []byte(`""`), nil
	}
	b := make([]byte, 0, 12)
	b = append(d.appendText(append(b, '"')), '"')
	return b, nil
}

// UnmarshalJSON reads a JSON string "YYYY-MM-DD" ("" or null give the zero
// Date).
func (d *Date) UnmarshalJSON(b []byte) error {
	if string(b) == "null" {
		*d = Date{}
		return nil
	}
	// The form every writer produces, a quoted date with no escapes, is
	// read as it stands; anything else goes through encoding/json.
	if len(b) == len(Layout)+2 && b[0] == '"' && b[len(b)-1] == '"' && !slices.Contains(b, '\\') {
		return d.UnmarshalText(b[1 : len(b)-1])
	}
	var s string
	if err := json.Unmarshal(b, &s); err != nil {
		return domain.Invalid("date", "date-format", "date must be a JSON string such as \"2025-03-31\", not %s", b)
	}
	return d.UnmarshalText([]byte(s))
}
