package api_test

import (
	"encoding/json"
	"fmt"
	"maps"
	"net/http"
	"testing"

	"github.com/haixi-hrss/fundledger/domain/budget"
	"github.com/haixi-hrss/fundledger/domain/identity"
	"github.com/haixi-hrss/fundledger/domain/policy"
	"github.com/haixi-hrss/fundledger/domain/programme"
	"github.com/haixi-hrss/fundledger/domain/region"
)

// Fixture identifiers.
const (
	esfFund     = "esf-2025"
	uiFund      = "ui-2025"
	year        = programme.FiscalYear(2025)
	county      = region.Golmud
	residentID  = "632801199903151230"
	residentID2 = "440524188001010014"
)

// creditCode completes a 17-character prefix with its check character.
func creditCode(t testing.TB, first17 string) string {
	t.Helper()
	c, ok := identity.CreditCheckChar(first17)
	if !ok {
		t.Fatalf("no check character for %q", first17)
	}
	return first17 + string(c)
}

// resident returns a valid resident ID of a man born 1 January 1990 in
// Golmud with sequence number n.
func resident(t testing.TB, n int) string {
	t.Helper()
	first17 := fmt.Sprintf("63280119900101%03d", n)
	c, ok := identity.ResidentCheckChar(first17)
	if !ok {
		t.Fatalf("no check character for %q", first17)
	}
	return first17 + string(c)
}

// fundOf is the fund that pays programme p in the fixtures.
func fundOf(p programme.Code) string {
	if p.Fund() == programme.UnemploymentInsurance {
		return uiFund
	}
	return esfFund
}

// lineOf is the fixture budget line of programme p in Golmud.
func lineOf(p programme.Code) string {
	return budget.LineID(fundOf(p), p, county, year)
}

// setUp publishes the 2025 policy versions, opens both funds with
// 10,000,000.00 each and allocates 1,000,000.00 to every programme's
// Golmud line.
func (h *harness) setUp() {
	h.t.Helper()
	versions, err := policy.Seed()
	if err != nil {
		h.t.Fatal(err)
	}
	for _, v := range versions {
		if v.EffectiveFrom.Year() != 2025 {
			continue
		}
		b, err := json.Marshal(v)
		if err != nil {
			h.t.Fatal(err)
		}
		h.must(http.StatusCreated, req{method: "POST", path: "/v1/policies", as: "admin", body: b})
	}
	for _, f := range []struct{ id, kind string }{{esfFund, "employment-subsidy"}, {uiFund, "unemployment-insurance"}} {
		h.must(http.StatusCreated, req{method: "POST", path: "/v1/funds", as: "admin", body: map[string]any{
			"fundId": f.id, "name": "海西州 " + f.kind + " 2025", "fiscalYear": 2025, "kind": f.kind, "level": "prefecture", "region": "632800"}})
		h.must(http.StatusCreated, req{method: "POST", path: "/v1/funds/" + f.id + "/transfers", as: "admin", body: map[string]any{
			"document": "青财社〔2025〕1号", "amount": "10000000.00", "source": "青海省财政厅", "receivedOn": "2025-02-01"}})
	}
	for _, p := range programme.All() {
		h.must(http.StatusCreated, req{method: "POST", path: "/v1/funds/" + fundOf(p) + "/allocations", as: "admin", body: map[string]any{
			"allocationId": "alloc-" + string(p), "programme": p, "region": county, "amount": "1000000.00"}})
	}
}

// employerCode is a valid enterprise credit code registered in Golmud.
func employerCode(t testing.TB) string { return creditCode(t, "91632801MA0000001") }

// expansionClaim is an eligible expansion claim for a 2024 graduate hired
// in January 2025: 1,500.00 yuan.
func expansionClaim(t testing.TB, id string) map[string]any {
	return map[string]any{
		"claimId": id, "budgetLineId": lineOf(programme.Expansion), "region": county, "effectiveDate": "2025-03-15",
		"residentId": residentID,
		"facts": map[string]any{
			"employer": employerCode(t), "group": "graduate", "graduationDate": "2024-06-30", "regularDegreeCourse": true,
			"contractDate": "2025-01-15", "insuredMonthsUnemployment": 3, "insuredMonthsWorkInjury": 3,
			"insuredMonthsPension": 3, "insuredAtCheck": true,
		},
	}
}

// oneTimeFacts are the facts of a 2024 graduate hired on a two-year
// contract in March 2025 by a small enterprise: eligible for the one-time
// absorption subsidy, 1,000.00 yuan.
func oneTimeFacts(t testing.TB) map[string]any {
	return map[string]any{
		"employer": employerCode(t), "graduationDate": "2024-06-30", "contractDate": "2025-03-01", "contractEnd": "2027-02-28",
		"insuredMonths": 3, "smallOrMedium": true,
	}
}

// oneTimeClaim is an eligible one-time absorption claim for the person of
// resident ID rid.
func oneTimeClaim(t testing.TB, id, rid string) map[string]any {
	return map[string]any{"claimId": id, "budgetLineId": lineOf(programme.Absorption), "region": county, "effectiveDate": "2025-03-15",
		"residentId": rid, "facts": oneTimeFacts(t)}
}

// claimBodies are well-formed claims of every kind; path → body.
func claimBodies(t testing.TB) map[string]map[string]any {
	base := func(id string, p programme.Code, facts map[string]any) map[string]any {
		return map[string]any{"claimId": id, "budgetLineId": lineOf(p), "region": county, "effectiveDate": "2025-03-15", "facts": facts}
	}
	return map[string]map[string]any{
		"/v1/claims/stabilization": base("k-stab", programme.Stabilization, map[string]any{
			"employer": employerCode(t), "year": 2025, "insuredStaff": 50, "premiumMonthsPaidInFull": 12,
			"premiumsPaidLastYear": "80000.00", "newUIClaimants": 1, "averageMonthlyInsured": "50",
			"insuredLastYearEnd": 50, "insuredThisYearEnd": 50}),
		"/v1/claims/expansion": expansionClaim(t, "k-exp"),
		"/v1/claims/absorption": with(base("k-abs", programme.Absorption, map[string]any{
			"employer": employerCode(t), "category": "zero-employment-family", "firstApproval": "2025-03-01",
			"retirementDate": "2045-01-01", "month": "2025-03-01", "pensionPremium": "800.00", "medicalPremium": "300.00",
			"unemploymentPremium": "40.00"}), "residentId", resident(t, 11)),
		"/v1/claims/one-time-absorption": oneTimeClaim(t, "k-ota", resident(t, 21)),
		"/v1/claims/social-insurance": with(base("k-si", programme.SocialInsurance, map[string]any{
			"group": "hardship", "category": "low-income", "registered": true, "firstApproval": "2025-03-01",
			"retirementDate": "2045-01-01", "month": "2025-03-01", "premiumsPaid": "900.00"}), "residentId", resident(t, 13)),
		"/v1/claims/skill-upgrade": with(base("k-skill", programme.SkillUpgrade, map[string]any{
			"insuredMonths": 24, "occupation": "6-30-99-00", "level": "intermediate", "certificateDate": "2025-02-01"}), "residentId", resident(t, 15)),
		"/v1/claims/vocational-training": with(with(base("k-train", programme.VocationalTraining, map[string]any{
			"stage": "advance", "occupation": "4-10-01-02", "level": "initial", "standard": "1200.00"}), "residentId", resident(t, 17)),
			"provider", creditCode(t, "52632801MJ0000002")),
		"/v1/claims/start-up": with(base("k-start", programme.StartUp, map[string]any{
			"group": "graduate", "graduationDate": "2023-06-30", "firstTimeFounder": true,
			"business": creditCode(t, "92632801MA0000003"), "registered": "2023-09-01", "operating": true}), "residentId", resident(t, 19)),
	}
}

// with returns a copy of m with key set to v.
func with(m map[string]any, key string, v any) map[string]any {
	out := maps.Clone(m)
	out[key] = v
	return out
}

// withFact returns a copy of a claim body with one fact replaced.
func withFact(m map[string]any, key string, v any) map[string]any {
	facts := maps.Clone(m["facts"].(map[string]any))
	facts[key] = v
	return with(m, "facts", facts)
}

// without returns a copy of m without key.
func without(m map[string]any, key string) map[string]any {
	out := maps.Clone(m)
	delete(out, key)
	return out
}

func claimPath(id, rest string) string { return fmt.Sprintf("/v1/claims/%s%s", id, rest) }
