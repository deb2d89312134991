package projections

import (
	"fmt"
	"testing"
	"time"

	"github.com/haixi-hrss/fundledger/domain/calendar"
)

// TestPeriodNames checks the month, quarter and year names of every month
// of years with short, zero-padded and four-digit numbers against fmt's,
// and that a period parsed from a name names its months the same way.
func TestPeriodNames(t *testing.T) {
	for _, y := range []int{1, 9, 10, 99, 100, 999, 1000, 2025, 2026, 9999} {
		for m := 1; m <= 12; m++ {
			d, err := calendar.New(y, time.Month(m), 1)
			if err != nil {
				t.Fatal(err)
			}
			want := [3]string{fmt.Sprintf("%04d-%02d", y, m), fmt.Sprintf("%04d-Q%d", y, (m+2)/3), fmt.Sprintf("%04d", y)}
			if got := perfPeriodsOf(d); got != want {
				t.Errorf("perfPeriodsOf(%v) = %q, want %q", d, got, want)
			}
			for _, name := range want {
				per, err := parsePerfPeriod("period", name)
				if err != nil {
					t.Fatal(err)
				}
				if got := per.month(m); per.from <= m && m <= per.to && got != want[0] {
					t.Errorf("%s: month(%d) = %q, want %q", name, m, got, want[0])
				}
			}
		}
	}
}
