package calendar

import "time"

// WorkCalendar says which days are working days: Monday to Friday, except
// public holidays, plus the weekend days the State Council declares working
// days in exchange (调休上班). Holidays are data passed in, never built in,
// because they are announced year by year. The zero value knows only
// weekends.
type WorkCalendar struct {
	holidays map[Date]bool
	workdays map[Date]bool
}

// NewWorkCalendar returns a calendar with the given public holidays and
// extra (weekend) working days. The slices are copied.
func NewWorkCalendar(holidays, extraWorkdays []Date) WorkCalendar {
	c := WorkCalendar{holidays: make(map[Date]bool, len(holidays)), workdays: make(map[Date]bool, len(extraWorkdays))}
	for _, d := range holidays {
		c.holidays[d] = true
	}
	for _, d := range extraWorkdays {
		c.workdays[d] = true
	}
	return c
}

// IsWorkingDay reports whether d is a working day.
func (c WorkCalendar) IsWorkingDay(d Date) bool {
	if c.workdays[d] {
		return true
	}
	if c.holidays[d] {
		return false
	}
	wd := d.Weekday()
	return wd != time.Saturday && wd != time.Sunday
}

// AddWorkingDays returns the n-th working day after d, not counting d
// itself (before d if n < 0; d itself if n == 0). A disclosure that starts
// on d and must last n working days counting d ends on
// AddWorkingDays(d, n-1) when d is a working day.
func (c WorkCalendar) AddWorkingDays(d Date, n int) Date {
	step := 1
	if n < 0 {
		step, n = -1, -n
	}
	for n > 0 {
		d = d.AddDays(step)
		if c.IsWorkingDay(d) {
			n--
		}
	}
	return d
}

// WorkingDaysBetween counts the working days in the inclusive range
// [from, to]; zero if to is before from.
func (c WorkCalendar) WorkingDaysBetween(from, to Date) int {
	n := 0
	for d := from; !d.After(to); d = d.AddDays(1) {
		if c.IsWorkingDay(d) {
			n++
		}
	}
	return n
}
