package api_test

import (
	"net/http"
	"strings"
	"testing"

	"github.com/haixi-hrss/fundledger/api"
	"github.com/haixi-hrss/fundledger/domain/factor"
	"github.com/haixi-hrss/fundledger/domain/money"
	"github.com/haixi-hrss/fundledger/domain/programme"
	"github.com/haixi-hrss/fundledger/domain/region"
	"github.com/haixi-hrss/fundledger/projections"
)

// TestEvaluation pays one expansion grant, records the source document's
// indicators and the factor weights, and reads them as an evaluator: the
// performance row, the indicator report against targets and the factor
// method's suggestion; none of it names a person or an employer.
func TestEvaluation(t *testing.T) {
	h := newHarness(t)
	h.setUp()
	h.approved(t, "exp-e", 41)
	h.disclosed(t, "exp-e")
	h.must(http.StatusOK, req{method: "POST", path: claimPath("exp-e", "/payments"), as: "treasurer", body: map[string]any{"instalment": 1, "paymentId": "pay-e"}})
	h.must(http.StatusOK, req{method: "POST", path: claimPath("exp-e", "/payments/pay-e/result"), as: "treasurer",
		body: map[string]any{"instalment": 1, "paid": true, "bankRef": "B-e", "on": "2025-04-10"}})

	res := h.must(http.StatusOK, req{method: "GET", path: "/v1/evaluation/performance?period=2025-Q2&programme=expansion&county=632801", as: "evaluator"})
	var rows api.Page[projections.PerformanceRow]
	res.decode(t, &rows)
	if len(rows.Items) != 1 {
		t.Fatalf("performance rows: %s", res.body)
	}
	row := rows.Items[0]
	if row.NetSpent.String() != "1500.00" || row.EmployersPaid != 1 || row.AllocatedToDate.String() != "1000000.00" {
		t.Fatalf("expansion in Golmud, 2025-Q2: %+v", row)
	}
	for _, leak := range []string{employerCode(t), resident(t, 41)[:17]} {
		if strings.Contains(string(res.body), leak) {
			t.Errorf("the evaluator's rows hold %s", leak)
		}
	}
	var all api.Page[projections.PerformanceRow]
	h.must(http.StatusOK, req{method: "GET", path: "/v1/evaluation/performance?period=2025&limit=500", as: "evaluator"}).decode(t, &all)
	var paged []projections.PerformanceRow
	for _, p := range pages[projections.PerformanceRow](t, h, "evaluator", "/v1/evaluation/performance?period=2025", 5) {
		paged = append(paged, p...)
	}
	if len(all.Items) == 0 || len(paged) != len(all.Items) {
		t.Fatalf("%d rows paged by 5, %d at once", len(paged), len(all.Items))
	}
	p := h.must(http.StatusBadRequest, req{method: "GET", path: "/v1/evaluation/performance?period=someday", as: "evaluator"}).problem(t)
	if p.Field != "period" {
		t.Fatalf("bad period: %+v", p)
	}

	for _, tg := range []struct {
		ind   string
		value int64
	}{{"new-urban-jobs", 11300}, {"labour-transfer", 80000}} {
		h.must(http.StatusCreated, req{method: "POST", path: "/v1/targets", as: "admin", body: map[string]any{
			"region": "632800", "year": 2025, "indicator": tg.ind, "value": tg.value}})
	}
	for _, m := range []struct {
		ind   string
		value int64
	}{{"new-urban-jobs", 3189}, {"labour-transfer", 31091}} {
		h.must(http.StatusCreated, req{method: "POST", path: "/v1/indicators", as: "clerk", body: map[string]any{
			"region": "632800", "year": 2025, "indicator": m.ind, "month": "2025-03", "value": m.value}})
	}
	var report struct {
		Items []projections.IndicatorRow `json:"items"`
	}
	h.must(http.StatusOK, req{method: "GET", path: "/v1/evaluation/indicators/632800?period=2025-03", as: "evaluator"}).decode(t, &report)
	completion := map[string]string{}
	for _, r := range report.Items {
		completion[string(r.Indicator)] = r.Completion
	}
	if completion["new-urban-jobs"] != "28.22" || completion["labour-transfer"] != "38.86" {
		t.Fatalf("the source document's figures: %+v", report.Items)
	}

	weights := map[string]any{"tasks": "0.3", "population": "0.2", "coFunding": "0.1", "fiscalDifficulty": "0.1", "execution": "0.2", "outcomes": "0.1",
		"slowSpendingBelow": "0", "slowSpendingDeduction": "0"}
	h.must(http.StatusCreated, req{method: "POST", path: "/v1/factor-weights", as: "admin", body: map[string]any{"year": 2026, "weights": weights, "document": "海人社〔2025〕9号"}})
	var st factor.State
	h.must(http.StatusOK, req{method: "GET", path: "/v1/factor-weights/2026", as: "evaluator"}).decode(t, &st)
	if st.Version != 1 || st.Weights.Tasks.String() != "0.3" {
		t.Fatalf("weights: %+v", st)
	}
	var inputs []map[string]any
	for i, c := range region.Counties() {
		inputs = append(inputs, map[string]any{"county": c, "tasks": "1000", "population": "5000", "coFunding": "100", "fiscalDifficulty": "1", "executionRate": "0", "outcomes": "0"})
		inputs[i]["tasks"] = []string{"4000", "2500", "1200", "1300", "1500", "800", "700"}[i]
	}
	var sug factor.Suggestion
	h.must(http.StatusOK, req{method: "POST", path: "/v1/evaluation/factor-suggestion", as: "evaluator", body: map[string]any{
		"year": 2026, "basis": "2025", "total": "7000000.00", "programmes": []programme.Code{programme.Expansion}, "inputs": inputs}}).decode(t, &sug)
	sum := money.Amount{}
	for _, l := range sug.Lines {
		sum = sum.Add(l.Amount)
	}
	if len(sug.Lines) != 7 || !sum.Equal(money.MustParse("7000000.00")) {
		t.Fatalf("suggestion: %d lines summing to %s", len(sug.Lines), sum)
	}
	for _, l := range sug.Lines {
		if l.Input.County == region.Golmud && l.Input.ExecutionRate.IsZero() {
			t.Errorf("Golmud's execution rate was not taken from the ledger: %+v", l.Input)
		}
	}
	h.must(http.StatusNotFound, req{method: "POST", path: "/v1/evaluation/factor-suggestion", as: "evaluator", body: map[string]any{
		"year": 2027, "basis": "2025", "total": "1.00", "inputs": inputs}})
}
