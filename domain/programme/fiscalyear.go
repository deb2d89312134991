package programme

import "github.com/haixi-hrss/fundledger/domain"

// FiscalYear is a budget year; China's fiscal year is the calendar year.
type FiscalYear int

// The fiscal years the ledger accepts: from the first year of the current
// policy framework to a horizon far enough for multi-year budgets.
const (
	MinFiscalYear FiscalYear = 2020
	MaxFiscalYear FiscalYear = 2100
)

// ParseFiscalYear checks that y is within [MinFiscalYear, MaxFiscalYear];
// the error names field.
func ParseFiscalYear(field string, y int) (FiscalYear, error) {
	fy := FiscalYear(y)
	if !fy.Valid() {
		return 0, domain.Invalid(field, "fiscal-year", "fiscal year %d is outside %d–%d", y, MinFiscalYear, MaxFiscalYear)
	}
	return fy, nil
}

// Valid reports whether y is within [MinFiscalYear, MaxFiscalYear].
func (y FiscalYear) Valid() bool { return y >= MinFiscalYear && y <= MaxFiscalYear }
