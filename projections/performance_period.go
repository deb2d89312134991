package projections

import (
	"regexp"
	"strconv"

	"github.com/haixi-hrss/fundledger/domain"
	"github.com/haixi-hrss/fundledger/domain/calendar"
)

// perfPeriod is a month ("2025-03"), a quarter ("2025-Q1") or a year ("2025"):
// the months from..to of year.
type perfPeriod struct {
	name     string
	year     int
	from, to int
}

var perfPeriodPattern = regexp.MustCompile(`^([0-9]{4})(?:-(0[1-9]|1[0-2])|-Q([1-4]))?$`)

// parsePerfPeriod reads a period; the error names field.
func parsePerfPeriod(field, s string) (perfPeriod, error) {
	m := perfPeriodPattern.FindStringSubmatch(s)
	if m == nil {
		return perfPeriod{}, domain.Invalid(field, "period", "%q is not a month (2025-03), a quarter (2025-Q1) or a year (2025)", s)
	}
	y, _ := strconv.Atoi(m[1])
	switch {
	case m[2] != "":
		mo, _ := strconv.Atoi(m[2])
		return perfPeriod{s, y, mo, mo}, nil
	case m[3] != "":
		q, _ := strconv.Atoi(m[3])
		return perfPeriod{s, y, 3*q - 2, 3 * q}, nil
	}
	return perfPeriod{s, y, 1, 12}, nil
}

// month names month mo of the period's year.
func (p perfPeriod) month(mo int) string { return monthName(p.year, mo) }

// end is the period's last month.
func (p perfPeriod) end() string { return p.month(p.to) }

// perfPeriodsOf returns the month, quarter and year d falls in.
func perfPeriodsOf(d calendar.Date) [3]string {
	y, m := d.Year(), int(d.Month())
	var year [4]byte
	appendYear(year[:0], y)
	return [3]string{monthName(y, m), string(append(year[:], '-', 'Q', byte('0'+(m+2)/3))), string(year[:])}
}

// monthName is "2025-03" for year 2025, month 3. The evaluator's fold
// names three periods per event and the queries a period per month, so
// these names are built without fmt.
func monthName(year, month int) string {
	var b [7]byte
	appendYear(b[:0], year)
	b[4], b[5], b[6] = '-', byte('0'+month/10), byte('0'+month%10)
	return string(b[:])
}

// appendYear appends year as four digits; calendar dates have years
// 1..9999.
func appendYear(b []byte, year int) []byte {
	return append(b, byte('0'+year/1000%10), byte('0'+year/100%10), byte('0'+year/10%10), byte('0'+year%10))
}
