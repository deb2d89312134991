package api_test

import (
	"bytes"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/haixi-hrss/fundledger/api"
	"github.com/haixi-hrss/fundledger/domain/identity"
	"github.com/haixi-hrss/fundledger/domain/programme"
	"github.com/haixi-hrss/fundledger/projections"
)

// TestHappyPath drives one expansion grant through its whole life over
// HTTP: fund → allocation → claim → approval by an approver other than
// the submitter → disclosure → payment → clawback, then the auditor's
// views of it.
func TestHappyPath(t *testing.T) {
	h := newHarness(t)
	h.setUp()
	line := lineOf(programme.Expansion)

	var fund projections.FundTotals
	h.must(http.StatusOK, req{method: "GET", path: "/v1/funds/" + uiFund, as: "treasurer"}).decode(t, &fund)
	if fund.Received.String() != "10000000.00" || fund.Allocated.String() != "3000000.00" || fund.Unallocated.String() != "7000000.00" {
		t.Fatalf("UI fund after setup: %+v", fund)
	}

	var sub api.CommandResponse
	h.must(http.StatusCreated, req{method: "POST", path: "/v1/claims/expansion", as: "clerk", body: expansionClaim(t, "exp-1")}).decode(t, &sub)
	if len(sub.Events) != 2 || sub.Events[0].Type != "ClaimSubmitted" || sub.Events[1].Type != "ClaimChecked" {
		t.Fatalf("submission appended %+v", sub.Events)
	}
	var row projections.ClaimRow
	h.must(http.StatusOK, req{method: "GET", path: claimPath("exp-1", ""), as: "clerk"}).decode(t, &row)
	if row.Status != "checked" || row.Approved.String() != "1500.00" || row.PolicyVersion != "expansion-2025" || row.SubmittedBy != "li" {
		t.Fatalf("claim after submission: %+v", row)
	}
	if strings.Contains(string(h.must(http.StatusOK, req{method: "GET", path: "/v1/audit/streams/claim-exp-1/events", as: "auditor"}).body), residentID) {
		t.Fatal("the claim's events hold the plaintext resident ID")
	}

	// Maker-checker: li submitted as clerk and may not approve as approver.
	p := h.must(http.StatusConflict, req{method: "POST", path: claimPath("exp-1", "/approval"), as: "li-approver", body: map[string]any{"reason": "ok"}}).problem(t)
	if p.Rule == "" {
		t.Fatalf("maker-checker problem names no rule: %+v", p)
	}
	h.must(http.StatusForbidden, req{method: "POST", path: claimPath("exp-1", "/approval"), as: "clerk", body: map[string]any{"reason": "ok"}})

	var queue api.Page[projections.ClaimRow]
	h.must(http.StatusOK, req{method: "GET", path: "/v1/queue", as: "approver"}).decode(t, &queue)
	if len(queue.Items) != 1 || queue.Items[0].ID != "exp-1" {
		t.Fatalf("approver's queue: %+v", queue)
	}
	h.must(http.StatusOK, req{method: "POST", path: claimPath("exp-1", "/approval"), as: "approver", body: map[string]any{"reason": "documents complete"}})
	var bl projections.BudgetLine
	h.must(http.StatusOK, req{method: "GET", path: "/v1/budget-lines/" + line, as: "approver"}).decode(t, &bl)
	if bl.Reserved.String() != "1500.00" || bl.Available.String() != "998500.00" {
		t.Fatalf("line after approval: %+v", bl)
	}

	h.must(http.StatusOK, req{method: "POST", path: claimPath("exp-1", "/disclosure"), as: "clerk", body: map[string]any{"on": "2025-04-01", "masked": "6328**********1230"}})
	p = h.must(http.StatusConflict, req{method: "POST", path: claimPath("exp-1", "/disclosure/completion"), as: "clerk", body: map[string]any{"on": "2025-04-02"}}).problem(t)
	if p.Rule != "disclosure-working-days" {
		t.Fatalf("early completion: %+v", p)
	}
	h.must(http.StatusOK, req{method: "POST", path: claimPath("exp-1", "/disclosure/completion"), as: "clerk", body: map[string]any{"on": "2025-04-09"}})

	h.must(http.StatusOK, req{method: "POST", path: claimPath("exp-1", "/payments"), as: "treasurer", body: map[string]any{"instalment": 1, "paymentId": "pay-1"}})
	h.must(http.StatusOK, req{method: "POST", path: claimPath("exp-1", "/payments/pay-1/result"), as: "treasurer",
		body: map[string]any{"instalment": 1, "paid": true, "bankRef": "BOC-0001", "on": "2025-04-10"}})
	h.must(http.StatusOK, req{method: "GET", path: claimPath("exp-1", ""), as: "treasurer"}).decode(t, &row)
	if row.Status != "paid" || row.Paid.String() != "1500.00" {
		t.Fatalf("claim after payment: %+v", row)
	}
	h.must(http.StatusOK, req{method: "POST", path: claimPath("exp-1", "/clawbacks"), as: "treasurer",
		body: map[string]any{"recoveryId": "rec-1", "amount": "500.00", "reason": "ineligible", "detail": "contract void", "on": "2025-05-06"}})
	h.must(http.StatusOK, req{method: "GET", path: "/v1/budget-lines/" + line, as: "auditor"}).decode(t, &bl)
	if bl.Spent.String() != "1500.00" || bl.Recovered.String() != "500.00" || bl.Reserved.String() != "0.00" || bl.Available.String() != "999000.00" {
		t.Fatalf("line after payment and clawback: %+v", bl)
	}

	auditTrail(t, h, "exp-1")
	evaluatorSeesNoPerson(t, h)
}

// evaluatorSeesNoPerson: every list an evaluator may read is free of the
// resident ID and of the person reference derived from it (design
// invariant 12), while an auditor's view of the same ledger holds the
// reference, so the search would find it.
func evaluatorSeesNoPerson(t *testing.T, h *harness) {
	hasher, err := identity.NewHasher(bytes.Repeat([]byte("k"), identity.MinSecretLen))
	if err != nil {
		t.Fatal(err)
	}
	id, err := identity.ParseResidentID("id", residentID)
	if err != nil {
		t.Fatal(err)
	}
	ref := string(hasher.Ref(id))
	if !strings.Contains(string(h.must(http.StatusOK, req{method: "GET", path: "/v1/audit/events?limit=500", as: "auditor"}).body), ref) {
		t.Fatal("the log does not hold the person reference; the check below would prove nothing")
	}
	for _, path := range []string{"/v1/budget-lines?limit=500", "/v1/budget-lines/" + lineOf(programme.Expansion), "/v1/policies?limit=500"} {
		body := string(h.must(http.StatusOK, req{method: "GET", path: path, as: "evaluator"}).body)
		if strings.Contains(body, ref) || strings.Contains(body, residentID[:17]) {
			t.Errorf("evaluator's %s holds a personal identifier", path)
		}
	}
}

// auditTrail checks the auditor's views of a paid claim.
func auditTrail(t *testing.T, h *harness, id string) {
	var trail api.Page[projections.TrailEntry]
	h.must(http.StatusOK, req{method: "GET", path: "/v1/audit/claims/" + id + "/trail", as: "auditor"}).decode(t, &trail)
	types := map[string]bool{}
	for _, e := range trail.Items {
		types[e.Type] = true
	}
	for _, want := range []string{"ClaimSubmitted", "ClaimApproved", "FundsReserved", "ClaimInstalmentPaid", "FundsSpent", "ClaimClawedBack"} {
		if !types[want] {
			t.Errorf("trail lacks %s: %v", want, types)
		}
	}
	var trace projections.PaymentTrace
	h.must(http.StatusOK, req{method: "GET", path: "/v1/audit/claims/" + id + "/payment-trace", as: "auditor"}).decode(t, &trace)
	if len(trace.Approvals) != 1 || trace.Approvals[0].Actor != "wang.approver" || len(trace.Allocations) != 1 || trace.CheckPolicy != "expansion-2025" {
		t.Errorf("payment trace: %+v", trace)
	}
	var actions api.Page[projections.Action]
	h.must(http.StatusOK, req{method: "GET", path: "/v1/audit/actors/wang.approver/actions", as: "auditor"}).decode(t, &actions)
	if len(actions.Items) == 0 {
		t.Error("the approver's actions are empty")
	}
	var v api.Verification
	h.must(http.StatusOK, req{method: "GET", path: "/v1/audit/verify", as: "auditor"}).decode(t, &v)
	if !v.OK || v.Digest == "" || v.LastPosition != h.head() {
		t.Fatalf("verify: %+v (head %d)", v, h.head())
	}
	h.must(http.StatusOK, req{method: "GET", path: "/v1/audit/verify?expect=" + url.QueryEscape(v.Digest), as: "auditor"}).decode(t, &v)
	if !v.OK || v.ExpectMatched == nil || !*v.ExpectMatched {
		t.Fatalf("verify against its own digest: %+v", v)
	}

	// As of a time before the ledger existed, nothing; as of now, the
	// claim as it stands.
	before := time.Now().Add(-24 * time.Hour).UTC().Format(time.RFC3339)
	h.must(http.StatusNotFound, req{method: "GET", path: "/v1/audit/as-of/claims/" + id + "?at=" + before, as: "auditor"})
	var asOf api.AsOfClaim
	now := time.Now().Add(time.Minute).UTC().Format(time.RFC3339)
	h.must(http.StatusOK, req{method: "GET", path: "/v1/audit/as-of/claims/" + id + "?at=" + now, as: "auditor"}).decode(t, &asOf)
	if asOf.Claim.Status != "paid" || asOf.Position != h.head() {
		t.Fatalf("as of now: %+v", asOf)
	}
	var lines api.AsOfPage[projections.BudgetLine]
	h.must(http.StatusOK, req{method: "GET", path: "/v1/audit/as-of/budget-lines?at=" + before, as: "auditor"}).decode(t, &lines)
	if len(lines.Items) != 0 || lines.Position != 0 {
		t.Fatalf("budget lines before the ledger: %+v", lines)
	}
}

// TestRejectionReleasesEntitlement: a rejected claim gives the person's
// once-ever expansion grant back, so a corrected claim can be filed.
func TestRejectionReleasesEntitlement(t *testing.T) {
	h := newHarness(t)
	h.setUp()
	h.must(http.StatusCreated, req{method: "POST", path: "/v1/claims/expansion", as: "clerk", body: expansionClaim(t, "exp-a")})
	p := h.must(http.StatusConflict, req{method: "POST", path: "/v1/claims/expansion", as: "clerk", body: expansionClaim(t, "exp-b")}).problem(t)
	if p.Type != api.ProblemBase+"duplicate" {
		t.Fatalf("second grant for the same person: %+v", p)
	}
	h.must(http.StatusOK, req{method: "POST", path: claimPath("exp-a", "/rejection"), as: "approver", body: map[string]any{"reason": "contract not signed"}})
	h.must(http.StatusCreated, req{method: "POST", path: "/v1/claims/expansion", as: "clerk", body: expansionClaim(t, "exp-b")})
}
