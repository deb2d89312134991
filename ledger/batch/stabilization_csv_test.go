package batch_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/haixi-hrss/fundledger/domain"
	"github.com/haixi-hrss/fundledger/ledger/batch"
)

const header = "credit_code,unit_name,insured_staff,premium_months_paid_in_full,premiums_paid_last_year,new_ui_claimants,average_monthly_insured,insured_last_year_end,insured_this_year_end,seriously_dishonest,province_reserves_one_year\n"

func TestReadStabilizationCSVBadRows(t *testing.T) {
	good := code("91", 1)
	lines := []string{
		good + ",unit 1,50,12,8000.00,0,50,50,50,false,false",                        // 2: good
		"91632801MA000000,unit,50,12,8000.00,0,50,50,50,false,false",                 // 3: short code
		code("91", 3) + ",,50,12,8000.00,0,50,50,50,false,false",                     // 4: no name
		code("91", 4) + ",unit 4,-1,12,8000.00,0,50,50,50,false,false",               // 5: negative staff
		code("91", 5) + ",unit 5,50,12,8000.005,0,50,50,50,false,false",              // 6: three decimals
		code("91", 6) + ",unit 6,50,12,8000.00,0,abc,50,50,false,false",              // 7: not a number
		code("91", 7) + ",unit 7,50,12,8000.00,0,50,50,50,yes,false",                 // 8: not a boolean
		code("91", 8) + ",unit 8,50,12,8000.00,0,50,50",                              // 9: short row
		good + ",unit 1 again,50,12,8000.00,0,50,50,50,false,false",                  // 10: duplicate
		badCheckChar(code("91", 9)) + ",unit 9,50,12,-5,0,50,50,50,false,false",      // 11: negative premiums
		badCheckChar(code("91", 10)) + ",unit 10,50,12,5.00,0,50.5,50,50,TRUE,false", // 12: good, for review
	}
	rows, bad, err := batch.ReadStabilizationCSV(strings.NewReader(header+strings.Join(lines, "\n")+"\n"), refundYear)
	if err != nil {
		t.Fatal(err)
	}
	if len(rows) != 2 || rows[0].Line != 2 || rows[1].Line != 12 || !rows[1].Facts.SeriouslyDishonest || rows[1].Facts.AverageMonthlyInsured.String() != "50.5" {
		t.Errorf("good rows: %+v", rows)
	}
	want := []struct {
		line int
		col  string
	}{
		{3, batch.ColCreditCode}, {4, batch.ColUnitName}, {5, batch.ColInsuredStaff}, {6, batch.ColPremiumsPaid},
		{7, batch.ColAverageInsured}, {8, batch.ColDishonest}, {9, ""}, {10, batch.ColCreditCode}, {11, batch.ColPremiumsPaid},
	}
	if len(bad) != len(want) {
		t.Fatalf("bad rows %v, want %d", bad, len(want))
	}
	for i, w := range want {
		if bad[i].Line != w.line || bad[i].Column != w.col {
			t.Errorf("bad row %d: %v, want line %d column %q", i, &bad[i], w.line, w.col)
		}
		if w.col != "" && w.line != 10 && !errors.Is(&bad[i], domain.ErrInvalid) {
			t.Errorf("line %d: %v does not match domain.ErrInvalid", w.line, &bad[i])
		}
	}
}

func TestReadStabilizationCSVHeader(t *testing.T) {
	for name, h := range map[string]string{
		"missing column":   strings.Replace(header, ",province_reserves_one_year", "", 1),
		"unknown column":   strings.Replace(header, "province_reserves_one_year", "reserves", 1),
		"duplicate column": strings.Replace(header, "unit_name", "credit_code", 1),
		"empty":            "",
	} {
		if _, _, err := batch.ReadStabilizationCSV(strings.NewReader(h), refundYear); err == nil {
			t.Errorf("%s: header accepted", name)
		}
	}
	// Columns may come in any order, behind a spreadsheet's BOM.
	cols := strings.Split(strings.TrimSpace(header), ",")
	cols[0], cols[1] = cols[1], cols[0]
	data := "\ufeff" + strings.Join(cols, ",") + "\nunit 1," + code("91", 1) + ",50,12,8000.00,0,50,50,50,false,false\n"
	rows, bad, err := batch.ReadStabilizationCSV(strings.NewReader(data), refundYear)
	if err != nil || len(bad) != 0 || len(rows) != 1 || rows[0].Name != "unit 1" {
		t.Errorf("reordered header: %v %v %v", rows, bad, err)
	}
}
