// Package batch runs the ledger's bulk use cases: whole populations of
// beneficiaries evaluated and recorded in one run, such as the
// stabilization refund paid without application (免申即享).
package batch

import (
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"

	"github.com/haixi-hrss/fundledger/domain"
	"github.com/haixi-hrss/fundledger/domain/identity"
	"github.com/haixi-hrss/fundledger/domain/money"
	"github.com/haixi-hrss/fundledger/domain/programme"
	"github.com/haixi-hrss/fundledger/domain/stabilization"
	"github.com/shopspring/decimal"
)

// Columns of the stabilization CSV. The first row is the header; it must
// name every column exactly once, in any order:
//
//   - credit_code: the unit's 18-character unified social credit code;
//     its unit type (enterprise, public institution, ...) is read from
//     characters 1–2. A code failing only its check character is accepted
//     and sends the unit to manual review.
//   - unit_name: the unit's registered name (non-empty).
//   - insured_staff: insured headcount, which sets the size class (large
//     or SME) and whether the ≤ 30-staff layoff rule applies.
//   - premium_months_paid_in_full: months of UI premiums paid in full.
//   - premiums_paid_last_year: UI premiums paid last year in yuan, at most
//     two decimals ("12345.67").
//   - new_ui_claimants, average_monthly_insured: the "claimants" layoff
//     formula; the average may have decimals.
//   - insured_last_year_end, insured_this_year_end: the
//     "headcount-decline" layoff formula.
//   - seriously_dishonest, province_reserves_one_year: "true" or "false".
//
// Whole numbers are non-negative integers.
const (
	ColCreditCode       = "credit_code"
	ColUnitName         = "unit_name"
	ColInsuredStaff     = "insured_staff"
	ColPremiumMonths    = "premium_months_paid_in_full"
	ColPremiumsPaid     = "premiums_paid_last_year"
	ColNewUIClaimants   = "new_ui_claimants"
	ColAverageInsured   = "average_monthly_insured"
	ColInsuredLastYear  = "insured_last_year_end"
	ColInsuredThisYear  = "insured_this_year_end"
	ColDishonest        = "seriously_dishonest"
	ColProvinceReserves = "province_reserves_one_year"
)

// StabilizationColumns lists the CSV's columns in their documented
// order; files may order them differently.
var StabilizationColumns = []string{
	ColCreditCode, ColUnitName, ColInsuredStaff, ColPremiumMonths, ColPremiumsPaid,
	ColNewUIClaimants, ColAverageInsured, ColInsuredLastYear, ColInsuredThisYear,
	ColDishonest, ColProvinceReserves,
}

// StabilizationRow is one employer read from the CSV.
type StabilizationRow struct {
	// Line is the row's line number in the file (the header is line 1).
	Line  int
	Name  string
	Facts stabilization.Facts
}

// RowError reports a row that was skipped: its line, the column at fault
// (empty when the row as a whole is wrong) and why.
type RowError struct {
	Line   int
	Column string
	Err    error
}

func (e *RowError) Error() string {
	if e.Column == "" {
		return fmt.Sprintf("line %d: %v", e.Line, e.Err)
	}
	return fmt.Sprintf("line %d, column %s: %v", e.Line, e.Column, e.Err)
}

func (e *RowError) Unwrap() error { return e.Err }

// ReadStabilizationCSV reads the employers of refund year from r. A row
// with any bad field is reported as a *RowError and left out whole, so no
// employer is evaluated on half its facts; a credit code seen on an
// earlier row is such an error too. The error return is for a missing or
// wrong header and for unreadable input, which stop the read.
func ReadStabilizationCSV(r io.Reader, year programme.FiscalYear) ([]StabilizationRow, []RowError, error) {
	cr := csv.NewReader(r)
	cr.FieldsPerRecord = -1 // a short row is a row error, not the end of the file
	cr.ReuseRecord = true
	header, err := cr.Read()
	if err != nil {
		return nil, nil, fmt.Errorf("batch: stabilization CSV header: %w", err)
	}
	index, err := headerIndex(header)
	if err != nil {
		return nil, nil, err
	}
	var rows []StabilizationRow
	var bad []RowError
	seen := make(map[identity.CreditCode]int)
	for {
		rec, err := cr.Read()
		if errors.Is(err, io.EOF) {
			return rows, bad, nil
		}
		if err != nil {
			return rows, bad, fmt.Errorf("batch: stabilization CSV: %w", err)
		}
		line, _ := cr.FieldPos(0) // the file's line, even after quoted newlines
		if len(rec) != len(StabilizationColumns) {
			bad = append(bad, RowError{Line: line, Err: fmt.Errorf("%d fields, the header has %d", len(rec), len(StabilizationColumns))})
			continue
		}
		row, rerr := parseRow(line, rec, index, year)
		if rerr == nil {
			if first, dup := seen[row.Facts.Employer]; dup {
				rerr = &RowError{Line: line, Column: ColCreditCode, Err: fmt.Errorf("employer %s is already on line %d", row.Facts.Employer, first)}
			}
		}
		if rerr != nil {
			bad = append(bad, *rerr)
			continue
		}
		seen[row.Facts.Employer] = line
		rows = append(rows, row)
	}
}

func headerIndex(header []string) (map[string]int, error) {
	index := make(map[string]int, len(header))
	for i, h := range header {
		h = strings.TrimSpace(strings.TrimPrefix(h, "\ufeff")) // spreadsheets prepend a BOM
		if _, dup := index[h]; dup {
			return nil, domain.Invalid(h, "csv-header", "column %q appears twice in the header", h)
		}
		index[h] = i
	}
	for _, c := range StabilizationColumns {
		if _, ok := index[c]; !ok {
			return nil, domain.Invalid(c, "csv-header", "the header has no column %q", c)
		}
	}
	if len(index) != len(StabilizationColumns) {
		return nil, domain.Invalid("header", "csv-header", "the header has %d columns, expected exactly %s", len(index), strings.Join(StabilizationColumns, ","))
	}
	return index, nil
}

// fieldReader parses the fields of one row and keeps the first error.
type fieldReader struct {
	rec   []string
	index map[string]int
	line  int
	err   *RowError
}

func (f *fieldReader) text(col string) string { return strings.TrimSpace(f.rec[f.index[col]]) }

func (f *fieldReader) fail(col string, err error) {
	if f.err == nil {
		f.err = &RowError{Line: f.line, Column: col, Err: err}
	}
}

func (f *fieldReader) count(col string) int {
	n, err := strconv.Atoi(f.text(col))
	if err != nil || n < 0 {
		f.fail(col, domain.Invalid(col, "non-negative-integer", "%q is not a whole number ≥ 0", f.text(col)))
	}
	return n
}

func (f *fieldReader) flag(col string) bool {
	switch strings.ToLower(f.text(col)) {
	case "true":
		return true
	case "false":
		return false
	}
	f.fail(col, domain.Invalid(col, "boolean", "%q is not true or false", f.text(col)))
	return false
}

func parseRow(line int, rec []string, index map[string]int, year programme.FiscalYear) (StabilizationRow, *RowError) {
	f := &fieldReader{rec: rec, index: index, line: line}
	code, err := identity.ParseCreditCode(ColCreditCode, f.text(ColCreditCode))
	if err != nil && !errors.Is(err, identity.ErrNeedsReview) {
		f.fail(ColCreditCode, err)
	}
	name := f.text(ColUnitName)
	if name == "" {
		f.fail(ColUnitName, domain.Invalid(ColUnitName, "required", "the unit name is required"))
	}
	facts := stabilization.Facts{
		Employer:                code,
		Year:                    year,
		InsuredStaff:            f.count(ColInsuredStaff),
		PremiumMonthsPaidInFull: f.count(ColPremiumMonths),
		NewUIClaimants:          f.count(ColNewUIClaimants),
		InsuredLastYearEnd:      f.count(ColInsuredLastYear),
		InsuredThisYearEnd:      f.count(ColInsuredThisYear),
		SeriouslyDishonest:      f.flag(ColDishonest),
		ProvinceReservesOneYear: f.flag(ColProvinceReserves),
	}
	if facts.PremiumsPaidLastYear, err = money.Parse(ColPremiumsPaid, f.text(ColPremiumsPaid)); err != nil {
		f.fail(ColPremiumsPaid, err)
	} else if facts.PremiumsPaidLastYear.IsNegative() {
		f.fail(ColPremiumsPaid, domain.Invalid(ColPremiumsPaid, "non-negative", "premiums paid %s must not be negative", facts.PremiumsPaidLastYear))
	}
	avg, err := decimal.NewFromString(f.text(ColAverageInsured))
	switch {
	case err != nil:
		f.fail(ColAverageInsured, domain.Invalid(ColAverageInsured, "decimal", "%q is not a number", f.text(ColAverageInsured)))
	case avg.IsNegative():
		f.fail(ColAverageInsured, domain.Invalid(ColAverageInsured, "non-negative", "%s must not be negative", avg))
	}
	facts.AverageMonthlyInsured = avg
	if f.err != nil {
		return StabilizationRow{}, f.err
	}
	return StabilizationRow{Line: line, Name: name, Facts: facts}, nil
}
