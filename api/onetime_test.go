package api_test

import (
	"net/http"
	"strings"
	"testing"

	"github.com/haixi-hrss/fundledger/api"
	"github.com/haixi-hrss/fundledger/projections"
)

// TestOneTimeAbsorptionLifecycle files a one-time absorption subsidy
// claim over HTTP and takes it to payment: one instalment of the
// version's fixed 1,000.00 to the employer.
func TestOneTimeAbsorptionLifecycle(t *testing.T) {
	h := newHarness(t)
	h.setUp()
	var sub api.CommandResponse
	res := h.must(http.StatusCreated, req{method: "POST", path: "/v1/claims/one-time-absorption", as: "clerk", body: oneTimeClaim(t, "ota-1", residentID)})
	res.decode(t, &sub)
	if len(sub.Events) != 2 || sub.Events[0].Type != "ClaimSubmitted" || sub.Events[1].Type != "ClaimChecked" {
		t.Fatalf("submission appended %+v", sub.Events)
	}
	if loc := res.header.Get("Location"); loc != "/v1/claims/ota-1" {
		t.Fatalf("Location %q", loc)
	}
	var row projections.ClaimRow
	h.must(http.StatusOK, req{method: "GET", path: claimPath("ota-1", ""), as: "clerk"}).decode(t, &row)
	if row.Programme != "absorption" || row.Status != "checked" || row.Approved.String() != "1000.00" ||
		row.Beneficiary.Ref != employerCode(t) || len(row.Instalments) != 1 || row.Instalments[0].Label != "2025-03" {
		t.Fatalf("one-time claim after submission: %+v", row)
	}
	h.must(http.StatusOK, req{method: "POST", path: claimPath("ota-1", "/approval"), as: "approver", body: map[string]any{"reason": "contract and premiums verified"}})
	h.disclosed(t, "ota-1")
	h.must(http.StatusOK, req{method: "POST", path: claimPath("ota-1", "/payments"), as: "treasurer", body: map[string]any{"instalment": 1, "paymentId": "ota-pay-1"}})
	h.must(http.StatusOK, req{method: "POST", path: claimPath("ota-1", "/payments/ota-pay-1/result"), as: "treasurer",
		body: map[string]any{"instalment": 1, "paid": true, "bankRef": "BOC-0002", "on": "2025-04-10"}})
	h.must(http.StatusOK, req{method: "GET", path: claimPath("ota-1", ""), as: "treasurer"}).decode(t, &row)
	if row.Status != "paid" || row.Paid.String() != "1000.00" {
		t.Fatalf("one-time claim after payment: %+v", row)
	}
}

// TestOneTimeAbsorptionExcludesExpansionGrant: the one-time absorption
// subsidy and the one-time expansion grant are never both held for one
// person, whichever comes first and whoever the employers are; the
// refused claim leaves no claim behind and the problem names the
// entitlement and its holder. A rejected claim gives the person back.
func TestOneTimeAbsorptionExcludesExpansionGrant(t *testing.T) {
	h := newHarness(t)
	h.setUp()

	refused := func(path string, body map[string]any, holder string) {
		t.Helper()
		p := h.must(http.StatusConflict, req{method: "POST", path: path, as: "clerk", body: body}).problem(t)
		if p.Type != api.ProblemBase+"duplicate" || p.Rule != "unique" ||
			!strings.Contains(p.Detail, "hire-one-time-subsidy") || !strings.Contains(p.Detail, "claim-"+holder) {
			t.Fatalf("refusal of %s: %+v", path, p)
		}
		// An expansion claim takes its own person key before the shared
		// one and gives it back when refused; the claim itself is never
		// recorded.
		id := body["claimId"].(string)
		h.must(http.StatusNotFound, req{method: "GET", path: claimPath(id, ""), as: "clerk"})
		h.must(http.StatusNotFound, req{method: "GET", path: "/v1/audit/streams/claim-" + id + "/events", as: "auditor"})
	}

	// One-time subsidy first: the grant for the same person is refused,
	// and so is a second one-time subsidy for that person.
	h.must(http.StatusCreated, req{method: "POST", path: "/v1/claims/one-time-absorption", as: "clerk", body: oneTimeClaim(t, "ota-a", residentID)})
	refused("/v1/claims/expansion", expansionClaim(t, "exp-a"), "ota-a")
	other := withFact(oneTimeClaim(t, "ota-a2", residentID), "employer", creditCode(t, "91632802MA0000004"))
	refused("/v1/claims/one-time-absorption", other, "ota-a")

	// The grant first: the one-time subsidy for the same person is refused.
	youth := resident(t, 41)
	h.must(http.StatusCreated, req{method: "POST", path: "/v1/claims/expansion", as: "clerk", body: with(expansionClaim(t, "exp-b"), "residentId", youth)})
	refused("/v1/claims/one-time-absorption", oneTimeClaim(t, "ota-b", youth), "exp-b")

	// A rejected one-time claim frees the person for the grant.
	h.must(http.StatusOK, req{method: "POST", path: claimPath("ota-a", "/rejection"), as: "approver", body: map[string]any{"reason": "contract not on file"}})
	h.must(http.StatusCreated, req{method: "POST", path: "/v1/claims/expansion", as: "clerk", body: expansionClaim(t, "exp-a")})
}

// TestOneTimeAbsorptionIneligible: a claim the rules refuse (a large
// enterprise, where the version pays small and medium ones only) is
// recorded as rejected with the failed rule, and holds no one.
func TestOneTimeAbsorptionIneligible(t *testing.T) {
	h := newHarness(t)
	h.setUp()
	h.must(http.StatusCreated, req{method: "POST", path: "/v1/claims/one-time-absorption", as: "clerk",
		body: withFact(oneTimeClaim(t, "ota-big", residentID), "smallOrMedium", false)})
	var row projections.ClaimRow
	h.must(http.StatusOK, req{method: "GET", path: claimPath("ota-big", ""), as: "clerk"}).decode(t, &row)
	if row.Status != "rejected" || !row.Approved.IsZero() {
		t.Fatalf("ineligible one-time claim: %+v", row)
	}
	body := string(h.must(http.StatusOK, req{method: "GET", path: "/v1/audit/streams/claim-ota-big/events", as: "auditor"}).body)
	if !strings.Contains(body, "small-or-medium-enterprise") {
		t.Fatalf("the rejection does not name the failed rule: %s", body)
	}
	h.must(http.StatusCreated, req{method: "POST", path: "/v1/claims/expansion", as: "clerk", body: expansionClaim(t, "exp-after")})
}
