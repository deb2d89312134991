package calendar

import "testing"

func TestAddWorkingDaysWeekendsOnly(t *testing.T) {
	var c WorkCalendar
	tests := []struct {
		from string
		n    int
		want string
	}{
		{"2025-03-03", 0, "2025-03-03"},  // Monday, n = 0
		{"2025-03-03", 4, "2025-03-07"},  // Mon + 4 = Fri
		{"2025-03-03", 5, "2025-03-10"},  // skips Sat, Sun
		{"2025-03-07", 1, "2025-03-10"},  // Fri + 1 = Mon
		{"2025-03-08", 1, "2025-03-10"},  // Sat + 1 = Mon
		{"2025-03-10", -1, "2025-03-07"}, // Mon − 1 = Fri
	}
	for _, tt := range tests {
		if got := c.AddWorkingDays(MustParse(tt.from), tt.n); got.String() != tt.want {
			t.Errorf("AddWorkingDays(%s, %d) = %s, want %s", tt.from, tt.n, got, tt.want)
		}
	}
}

func TestAddWorkingDaysWithHolidaysAndMakeUpDays(t *testing.T) {
	// National Day 2025: 1–8 October off; Sunday 28 September and Saturday
	// 11 October are make-up working days.
	var holidays []Date
	for d := MustParse("2025-10-01"); !d.After(MustParse("2025-10-08")); d = d.AddDays(1) {
		holidays = append(holidays, d)
	}
	c := NewWorkCalendar(holidays, []Date{MustParse("2025-09-28"), MustParse("2025-10-11")})
	if !c.IsWorkingDay(MustParse("2025-09-28")) || c.IsWorkingDay(MustParse("2025-10-06")) {
		t.Fatal("make-up Sunday must work; holiday Monday must not")
	}
	// Disclosure from Fri 26 Sep for 5 working days: 26, 28 (Sun), 29, 30, then 9 Oct.
	if got := c.AddWorkingDays(MustParse("2025-09-26"), 4); got.String() != "2025-10-09" {
		t.Errorf("AddWorkingDays = %s, want 2025-10-09", got)
	}
	if n := c.WorkingDaysBetween(MustParse("2025-09-26"), MustParse("2025-10-11")); n != 7 {
		t.Errorf("WorkingDaysBetween = %d, want 7 (26, 28, 29, 30 Sep, 9, 10, 11 Oct)", n)
	}
	if n := c.WorkingDaysBetween(MustParse("2025-10-02"), MustParse("2025-10-01")); n != 0 {
		t.Errorf("reversed range = %d, want 0", n)
	}
}
