package api_test

import (
	"net/http"
	"testing"

	"github.com/haixi-hrss/fundledger/api"
	"github.com/haixi-hrss/fundledger/domain/paymentbatch"
	"github.com/haixi-hrss/fundledger/domain/programme"
	"github.com/haixi-hrss/fundledger/projections"
)

// approved submits an expansion claim for resident n and has it approved.
func (h *harness) approved(t *testing.T, id string, n int) {
	t.Helper()
	h.must(http.StatusCreated, req{method: "POST", path: "/v1/claims/expansion", as: "clerk", body: with(expansionClaim(t, id), "residentId", resident(t, n))})
	h.must(http.StatusOK, req{method: "POST", path: claimPath(id, "/approval"), as: "approver", body: map[string]any{"reason": "complete"}})
}

// disclosed takes an approved claim through its disclosure.
func (h *harness) disclosed(t *testing.T, id string) {
	t.Helper()
	h.must(http.StatusOK, req{method: "POST", path: claimPath(id, "/disclosure"), as: "clerk", body: map[string]any{"on": "2025-04-01", "masked": "6328**********0011"}})
	h.must(http.StatusOK, req{method: "POST", path: claimPath(id, "/disclosure/completion"), as: "clerk", body: map[string]any{"on": "2025-04-09"}})
}

func (h *harness) line(t *testing.T, id string) projections.BudgetLine {
	t.Helper()
	var bl projections.BudgetLine
	h.must(http.StatusOK, req{method: "GET", path: "/v1/budget-lines/" + id, as: "auditor"}).decode(t, &bl)
	return bl
}

// TestObjectionAndCancellation: an objection sends a claim back to review
// and releases its reservation; a cancellation releases it for good.
func TestObjectionAndCancellation(t *testing.T) {
	h := newHarness(t)
	h.setUp()
	line := lineOf(programme.Expansion)
	h.approved(t, "exp-o", 1)
	h.must(http.StatusOK, req{method: "POST", path: claimPath("exp-o", "/disclosure"), as: "clerk", body: map[string]any{"on": "2025-04-01", "masked": "6328**********0011"}})
	h.must(http.StatusOK, req{method: "POST", path: claimPath("exp-o", "/objections"), as: "approver2", body: map[string]any{"reason": "a neighbour says the hire is fictitious"}})
	var row projections.ClaimRow
	h.must(http.StatusOK, req{method: "GET", path: claimPath("exp-o", ""), as: "approver"}).decode(t, &row)
	if row.Status != "checked" || h.line(t, line).Reserved.String() != "0.00" {
		t.Fatalf("after the objection: claim %s, line %+v", row.Status, h.line(t, line))
	}

	h.approved(t, "exp-c", 2)
	if got := h.line(t, line).Reserved.String(); got != "1500.00" {
		t.Fatalf("reserved %s after the second approval", got)
	}
	h.must(http.StatusOK, req{method: "POST", path: claimPath("exp-c", "/cancellation"), as: "treasurer", body: map[string]any{"reason": "employer withdrew the application"}})
	bl := h.line(t, line)
	if bl.Reserved.String() != "0.00" || bl.Released.String() != "3000.00" {
		t.Fatalf("after the cancellation: %+v", bl)
	}
}

// TestPaymentBatch pays two disclosed claims through one batch: one paid,
// one refused by the bank.
func TestPaymentBatch(t *testing.T) {
	h := newHarness(t)
	h.setUp()
	line := lineOf(programme.Expansion)
	for i, id := range []string{"exp-1", "exp-2"} {
		h.approved(t, id, 21+i)
		h.disclosed(t, id)
	}
	h.must(http.StatusCreated, req{method: "POST", path: "/v1/payment-batches", as: "treasurer", body: map[string]any{
		"batchId": "pb-1", "scope": map[string]any{"kind": "budget-line", "id": line}}})
	for _, id := range []string{"exp-1", "exp-2"} {
		h.must(http.StatusCreated, req{method: "POST", path: "/v1/payment-batches/pb-1/items", as: "treasurer", body: map[string]any{
			"claimId": id, "instalment": 1, "paymentId": "pb-1-" + id, "amount": "1500.00", "budgetLineId": line, "beneficiaryRef": employerCode(t)}})
	}
	h.must(http.StatusCreated, req{method: "POST", path: "/v1/payment-batches/pb-1/closure", as: "treasurer"})
	var st paymentbatch.State
	h.must(http.StatusOK, req{method: "POST", path: "/v1/payment-batches/pb-1/sending", as: "treasurer", body: map[string]any{}}).decode(t, &st)
	if st.Count(paymentbatch.Released) != 2 {
		t.Fatalf("after sending: %+v", st)
	}
	h.must(http.StatusOK, req{method: "POST", path: "/v1/payment-batches/pb-1/results", as: "treasurer", body: map[string]any{"results": []map[string]any{
		{"claimId": "exp-1", "instalment": 1, "paymentId": "pb-1-exp-1", "paid": true, "bankRef": "B-1", "on": "2025-04-11"},
		{"claimId": "exp-2", "instalment": 1, "paymentId": "pb-1-exp-2", "paid": false, "reason": "account closed", "on": "2025-04-11"},
	}}}).decode(t, &st)
	if st.Count(paymentbatch.Paid) != 1 || st.Count(paymentbatch.Failed) != 1 {
		t.Fatalf("after the results: %+v", st)
	}
	h.must(http.StatusOK, req{method: "GET", path: "/v1/payment-batches/pb-1", as: "auditor"}).decode(t, &st)
	if st.Status != paymentbatch.StatusSettled {
		t.Fatalf("batch status %s", st.Status)
	}
	bl := h.line(t, line)
	if bl.Spent.String() != "1500.00" || bl.Reserved.String() != "1500.00" {
		t.Fatalf("line after the batch: %+v", bl)
	}
	var list api.Page[projections.PaymentBatch]
	h.must(http.StatusOK, req{method: "GET", path: "/v1/payment-batches?status=settled", as: "treasurer"}).decode(t, &list)
	if len(list.Items) != 1 || list.Items[0].ID != "pb-1" || list.Items[0].PaidCount != 1 || list.Items[0].FailedCount != 1 {
		t.Fatalf("settled batches: %+v", list.Items)
	}
	h.must(http.StatusOK, req{method: "GET", path: "/v1/payment-batches?status=open", as: "auditor"}).decode(t, &list)
	if len(list.Items) != 0 {
		t.Fatalf("open batches: %+v", list.Items)
	}
}

// TestStabilizationImport runs the refund batch from a CSV twice: the
// second run replays the first and appends nothing.
func TestStabilizationImport(t *testing.T) {
	h := newHarness(t)
	h.setUp()
	csv := "credit_code,unit_name,insured_staff,premium_months_paid_in_full,premiums_paid_last_year,new_ui_claimants,average_monthly_insured,insured_last_year_end,insured_this_year_end,seriously_dishonest,province_reserves_one_year\n" +
		creditCode(t, "91632801MA0000011") + ",unit a,50,12,80000.00,1,50,50,50,false,false\n" +
		creditCode(t, "91632801MA0000012") + ",unit b,50,12,80000.00,1,50,50,50,true,false\n"
	path := "/v1/batches/stabilization?year=2024&effectiveDate=2025-03-31&region=632801&budgetLineId=" + lineOf(programme.Stabilization)
	first := h.must(http.StatusOK, req{method: "POST", path: path, as: "clerk", contentType: "text/csv", body: csv})
	var rep struct {
		PolicyVersion string `json:"policyVersion"`
		Eligible      int    `json:"eligible"`
		Ineligible    int    `json:"ineligible"`
		Total         string `json:"total"`
	}
	first.decode(t, &rep)
	if rep.PolicyVersion != "stabilization-2025" || rep.Eligible != 1 || rep.Ineligible != 1 || rep.Total != "48000.00" {
		t.Fatalf("report: %s", first.body)
	}
	head := h.head()
	h.must(http.StatusOK, req{method: "POST", path: path, as: "clerk", contentType: "text/csv", body: csv})
	if h.head() != head {
		t.Fatal("a second run of the same file appended")
	}
}

// TestAnomalyReport pays an expansion grant to a unit listed as seriously
// dishonest, which the grant's rules do not check, and finds it in the
// auditors' anomaly report.
func TestAnomalyReport(t *testing.T) {
	h := newHarness(t)
	h.setUp()
	code := employerCode(t)
	h.must(http.StatusCreated, req{method: "POST", path: "/v1/employers", as: "clerk", body: map[string]any{
		"creditCode": code, "name": "unit", "sizeClass": "small", "region": "632801"}})
	h.must(http.StatusCreated, req{method: "POST", path: "/v1/employers/" + code + "/dishonesty", as: "clerk", body: map[string]any{
		"on": "2025-03-01", "reason": "listed by the credit bureau"}})
	h.approved(t, "exp-d", 51)
	h.disclosed(t, "exp-d")
	h.must(http.StatusOK, req{method: "POST", path: claimPath("exp-d", "/payments"), as: "treasurer", body: map[string]any{"instalment": 1, "paymentId": "pay-d"}})
	var list api.Page[projections.Anomaly]
	h.must(http.StatusOK, req{method: "GET", path: "/v1/audit/anomalies", as: "auditor"}).decode(t, &list)
	if len(list.Items) == 0 || list.Items[0].Kind != projections.PaymentToDishonestEmployer || list.Items[0].Claims[len(list.Items[0].Claims)-1] != "exp-d" {
		t.Fatalf("anomalies: %+v", list.Items)
	}
	h.must(http.StatusOK, req{method: "GET", path: "/v1/audit/anomalies?kind=self-approval", as: "auditor"}).decode(t, &list)
	if len(list.Items) != 0 {
		t.Fatalf("self-approvals: %+v", list.Items)
	}
	if p := h.must(http.StatusBadRequest, req{method: "GET", path: "/v1/audit/anomalies?kind=bogus", as: "auditor"}).problem(t); p.Field != "kind" {
		t.Fatalf("bad kind: %+v", p)
	}
}
