package api_test

import (
	"net/http"
	"strings"
	"testing"

	"github.com/haixi-hrss/fundledger/api"
	"github.com/haixi-hrss/fundledger/domain/employer"
	"github.com/haixi-hrss/fundledger/domain/outcome/hire"
	"github.com/haixi-hrss/fundledger/domain/outcome/target"
	"github.com/haixi-hrss/fundledger/domain/outcome/trainee"
)

// pilotCode is a credit code whose check character is wrong: legal for
// early pilot codes, so it is registered for an approver's review.
func pilotCode(t *testing.T) string {
	c := creditCode(t, "91632802MA0000009")
	last := c[17]
	repl := byte('0')
	if last == '0' {
		repl = '1'
	}
	return c[:17] + string(repl)
}

func TestEmployerRecord(t *testing.T) {
	h := newHarness(t)
	code := employerCode(t)
	h.must(http.StatusCreated, req{method: "POST", path: "/v1/employers", as: "clerk", body: map[string]any{
		"creditCode": code, "name": "格尔木盐湖化工 (TEST)", "sizeClass": "medium", "region": "632801"}})
	h.must(http.StatusCreated, req{method: "POST", path: "/v1/employers/" + code + "/months", as: "clerk", body: map[string]any{
		"month": "2025-03", "insuredHeadcount": 120, "premiumsPaid": "9600.00"}})
	p := h.must(http.StatusConflict, req{method: "POST", path: "/v1/employers/" + code + "/months", as: "clerk", body: map[string]any{
		"month": "2025-03", "insuredHeadcount": 121, "premiumsPaid": "9680.00"}}).problem(t)
	if p.Rule == "" {
		t.Fatalf("a second report without a correction: %+v", p)
	}
	h.must(http.StatusCreated, req{method: "POST", path: "/v1/employers/" + code + "/layoffs", as: "clerk", body: map[string]any{
		"on": "2025-03-20", "count": 2, "reason": "contract ended"}})
	h.must(http.StatusCreated, req{method: "POST", path: "/v1/employers/" + code + "/dishonesty", as: "clerk", body: map[string]any{
		"on": "2025-03-21", "reason": "listed by the credit bureau"}})
	h.must(http.StatusCreated, req{method: "POST", path: "/v1/employers/" + code + "/dishonesty/clearance", as: "clerk", body: map[string]any{
		"on": "2025-03-28", "reason": "delisted after appeal"}})
	var st employer.State
	h.must(http.StatusOK, req{method: "GET", path: "/v1/employers/" + code, as: "approver"}).decode(t, &st)
	if !st.Registered || st.Dishonest || st.Months["2025-03"].InsuredHeadcount != 120 || len(st.Layoffs) != 1 {
		t.Fatalf("employer: %+v", st)
	}
	// A code failing its check character awaits an approver's judgement.
	h.must(http.StatusConflict, req{method: "POST", path: "/v1/employers/" + code + "/credit-code-confirmation", as: "approver", body: map[string]any{"reason": "checked"}})
	pilot := pilotCode(t)
	h.must(http.StatusCreated, req{method: "POST", path: "/v1/employers", as: "clerk", body: map[string]any{
		"creditCode": pilot, "name": "pilot unit", "sizeClass": "small", "region": "632802"}})
	h.must(http.StatusCreated, req{method: "POST", path: "/v1/employers/" + pilot + "/credit-code-confirmation", as: "approver", body: map[string]any{"reason": "pilot code on the 2015 register"}})
	h.must(http.StatusNotFound, req{method: "GET", path: "/v1/employers/91632801MA0000000X", as: "clerk"})
}

func TestHireAndTraineeOutcomes(t *testing.T) {
	h := newHarness(t)
	h.must(http.StatusCreated, req{method: "POST", path: "/v1/hires", as: "clerk", body: map[string]any{
		"hireId": "hire-1", "residentId": residentID, "employer": employerCode(t), "hiredOn": "2025-01-15", "insured": true}})
	h.must(http.StatusCreated, req{method: "POST", path: "/v1/hires/hire-1/checkpoints", as: "clerk", body: map[string]any{
		"months": 3, "asOf": "2025-04-20", "insured": true}})
	var hs hire.State
	h.must(http.StatusOK, req{method: "GET", path: "/v1/hires/hire-1", as: "clerk"}).decode(t, &hs)
	if len(hs.Person) != 64 || hs.Person == residentID || !hs.Checkpoints[3].Insured {
		t.Fatalf("hire: %+v", hs)
	}
	h.must(http.StatusUnprocessableEntity, req{method: "POST", path: "/v1/hires", as: "clerk", body: map[string]any{
		"hireId": "hire-2", "residentId": residentID, "person": hs.Person, "employer": employerCode(t), "hiredOn": "2025-01-15"}})

	h.must(http.StatusCreated, req{method: "POST", path: "/v1/trainees", as: "clerk", body: map[string]any{
		"traineeId": "tr-1", "person": hs.Person, "occupation": "4-10-01-02", "level": "intermediate",
		"county": "632801", "programme": "vocational-training", "on": "2025-02-10"}})
	h.must(http.StatusCreated, req{method: "POST", path: "/v1/trainees/tr-1/placement", as: "clerk", body: map[string]any{
		"employer": employerCode(t), "on": "2025-04-01", "windowMonths": 6}})
	var ts trainee.State
	h.must(http.StatusOK, req{method: "GET", path: "/v1/trainees/tr-1", as: "auditor"}).decode(t, &ts)
	if !ts.Placed || !ts.WithinWindow || ts.Person != hs.Person {
		t.Fatalf("trainee: %+v", ts)
	}
	if strings.Contains(h.logs.String(), residentID[:17]) {
		t.Fatal("the log holds the resident ID")
	}
}

// TestTargetsAndIndicators records the source document's two figures for
// Haixi to the end of March and reads them back as an evaluator.
func TestTargetsAndIndicators(t *testing.T) {
	h := newHarness(t)
	for _, tg := range []struct {
		ind   string
		value int64
	}{{"new-urban-jobs", 11300}, {"labour-transfer", 80000}} {
		h.must(http.StatusCreated, req{method: "POST", path: "/v1/targets", as: "admin", body: map[string]any{
			"region": "632800", "year": 2025, "indicator": tg.ind, "value": tg.value}})
	}
	for _, m := range []struct {
		ind, month string
		value      int64
	}{{"new-urban-jobs", "2025-01", 1000}, {"new-urban-jobs", "2025-02", 1100}, {"new-urban-jobs", "2025-03", 1089}, {"labour-transfer", "2025-03", 31091}} {
		h.must(http.StatusCreated, req{method: "POST", path: "/v1/indicators", as: "clerk", body: map[string]any{
			"region": "632800", "year": 2025, "indicator": m.ind, "month": m.month, "value": m.value}})
	}
	var tg target.State
	h.must(http.StatusOK, req{method: "GET", path: "/v1/targets/632800/2025", as: "evaluator"}).decode(t, &tg)
	if tg.Targets["new-urban-jobs"] != 11300 || tg.Targets["labour-transfer"] != 80000 {
		t.Fatalf("targets: %+v", tg)
	}
	var ind api.IndicatorTotals
	h.must(http.StatusOK, req{method: "GET", path: "/v1/indicators/632800/2025", as: "evaluator"}).decode(t, &ind)
	if ind.Totals["new-urban-jobs"] != 3189 || ind.Totals["labour-transfer"] != 31091 {
		t.Fatalf("indicator totals: %+v", ind.Totals)
	}
	h.must(http.StatusNotFound, req{method: "GET", path: "/v1/indicators/632801/2025", as: "evaluator"})
}
