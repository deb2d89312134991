package api_test

import (
	"net/http"
	"strings"
	"testing"

	"github.com/haixi-hrss/fundledger/domain/programme"
)

// TestBadRequestCorpus sends malformed, invalid and refused requests and
// expects each to get a 4xx problem naming the rule (and the field where
// one is at fault), and the log to be exactly as it was before.
func TestBadRequestCorpus(t *testing.T) {
	h := newHarness(t)
	h.setUp()
	h.must(http.StatusCreated, req{method: "POST", path: "/v1/claims/expansion", as: "clerk", body: expansionClaim(t, "exp-1")})
	h.approved(t, "exp-approved", 31)
	fund := map[string]any{"fundId": "f-2", "name": "n", "fiscalYear": 2025, "kind": "employment-subsidy", "level": "county", "region": "632801"}
	transfer := func(amount any) map[string]any {
		return map[string]any{"document": "财社〔2025〕3号", "amount": amount, "source": "s", "receivedOn": "2025-02-01"}
	}
	alloc := map[string]any{"allocationId": "a-x", "programme": "expansion", "region": "632801", "amount": "1.00"}
	claim := expansionClaim(t, "exp-2")
	ota := oneTimeClaim(t, "ota-2", resident(t, 23))
	csvHeader := "credit_code,unit_name,insured_staff,premium_months_paid_in_full,premiums_paid_last_year,new_ui_claimants,average_monthly_insured,insured_last_year_end,insured_this_year_end,seriously_dishonest,province_reserves_one_year\n"
	ev := map[string]any{"kind": "labour-contract", "documentNo": "HT-2025-0042", "digest": strings.Repeat("ab", 32), "receivedOn": "2025-03-20"}
	csvQuery := "?year=2024&effectiveDate=2025-03-31&region=632801&budgetLineId=" + lineOf(programme.Stabilization)

	corpus := []struct {
		name        string
		r           req
		status      int
		field, rule string
	}{
		{"syntax error", req{method: "POST", path: "/v1/funds", as: "admin", body: `{"fundId":`}, 400, "", "json-syntax"},
		{"not JSON", req{method: "POST", path: "/v1/funds", as: "admin", body: `fund please`}, 400, "", "json-syntax"},
		{"empty body", req{method: "POST", path: "/v1/funds", as: "admin", body: ``}, 400, "", "required"},
		{"two values", req{method: "POST", path: "/v1/funds", as: "admin", body: `{}{}`}, 400, "", "single-value"},
		{"array body", req{method: "POST", path: "/v1/funds", as: "admin", body: `[]`}, 400, "body", "json-type"},
		{"null body", req{method: "POST", path: "/v1/funds", as: "admin", body: `null`}, 422, "fundId", "stream-id"},
		{"unknown field", req{method: "POST", path: "/v1/funds", as: "admin", body: with(fund, "colour", "red")}, 400, "colour", "known-field"},
		{"unknown nested field", req{method: "POST", path: "/v1/claims/expansion", as: "clerk", body: withFact(claim, "salary", "1")}, 400, "facts.salary", "known-field"},
		{"field name in another case", req{method: "POST", path: "/v1/funds", as: "admin", body: with(without(fund, "fundId"), "FundID", "f-2")}, 400, "FundID", "known-field"},
		{"nested amount with 3 decimals", req{method: "POST", path: "/v1/claims/stabilization", as: "clerk", body: withFact(claimBodies(t)["/v1/claims/stabilization"], "premiumsPaidLastYear", "1.234")}, 422, "facts.premiumsPaidLastYear", "max-2-decimals"},
		{"nested wrong type", req{method: "POST", path: "/v1/claims/expansion", as: "clerk", body: withFact(claim, "insuredMonthsPension", "three")}, 400, "facts.insuredMonthsPension", "json-type"},
		{"facts not an object", req{method: "POST", path: "/v1/claims/expansion", as: "clerk", body: with(claim, "facts", []int{1})}, 400, "facts", "json-type"},
		{"bad date in a list", req{method: "POST", path: "/v1/payment-batches/nobatch/results", as: "treasurer", body: map[string]any{"results": []map[string]any{{"claimId": "c", "on": "2025-13-01"}}}}, 422, "results[0].on", "date-format"},
		{"wrong type", req{method: "POST", path: "/v1/funds", as: "admin", body: with(fund, "fiscalYear", "2025")}, 400, "fiscalYear", "json-type"},
		{"huge number", req{method: "POST", path: "/v1/funds", as: "admin", body: `{"fiscalYear": 1e30}`}, 400, "fiscalYear", "json-type"},
		{"decimal that is no number", req{method: "POST", path: "/v1/claims/stabilization", as: "clerk", body: withFact(claimBodies(t)["/v1/claims/stabilization"], "averageMonthlyInsured", "many")}, 400, "", "json-value"},
		{"hire id too long", req{method: "POST", path: "/v1/hires", as: "clerk", body: map[string]any{"hireId": strings.Repeat("9", 300), "person": strings.Repeat("a", 64), "employer": employerCode(t), "hiredOn": "2025-01-15"}}, 422, "hireId", "stream-id"},
		{"bad fund id", req{method: "POST", path: "/v1/funds", as: "admin", body: with(fund, "fundId", "../etc")}, 422, "fundId", "stream-id"},
		{"bad region", req{method: "POST", path: "/v1/funds", as: "admin", body: with(fund, "region", "110105")}, 422, "region", "haixi-region"},
		{"amount as number", req{method: "POST", path: "/v1/funds/" + esfFund + "/transfers", as: "admin", body: transfer(1500.5)}, 422, "amount", "decimal-string"},
		{"amount with 3 decimals", req{method: "POST", path: "/v1/funds/" + esfFund + "/transfers", as: "admin", body: transfer("1500.123")}, 422, "amount", "max-2-decimals"},
		{"amount with exponent", req{method: "POST", path: "/v1/funds/" + esfFund + "/transfers", as: "admin", body: transfer("1e5")}, 422, "amount", "decimal-string"},
		{"negative amount", req{method: "POST", path: "/v1/funds/" + esfFund + "/transfers", as: "admin", body: transfer("-5.00")}, 422, "amount", "positive"},
		{"enormous amount", req{method: "POST", path: "/v1/funds/" + esfFund + "/transfers", as: "admin", body: transfer("1000000000000.00")}, 422, "amount", "magnitude"},
		{"null amount", req{method: "POST", path: "/v1/funds/" + esfFund + "/transfers", as: "admin", body: transfer(nil)}, 422, "amount", "decimal-string"},
		{"impossible date", req{method: "POST", path: "/v1/funds/" + esfFund + "/transfers", as: "admin", body: with(transfer("1.00"), "receivedOn", "2025-02-30")}, 422, "receivedOn", "date-format"},
		{"bad document number", req{method: "POST", path: "/v1/funds/" + esfFund + "/transfers", as: "admin", body: with(transfer("1.00"), "document", "memo")}, 422, "document", "document-number"},
		{"unknown fund", req{method: "POST", path: "/v1/funds/nofund/transfers", as: "admin", body: transfer("1.00")}, 404, "fundId", "exists"},
		{"unknown programme", req{method: "POST", path: "/v1/funds/" + uiFund + "/allocations", as: "admin", body: with(alloc, "programme", "lottery")}, 422, "programme", "programme"},
		{"over-allocation", req{method: "POST", path: "/v1/funds/" + uiFund + "/allocations", as: "admin", body: with(alloc, "amount", "9000000.00")}, 409, "amount", "fund-unallocated"},
		{"invalid resident ID", req{method: "POST", path: "/v1/claims/expansion", as: "clerk", body: with(claim, "residentId", "632801199903151231")}, 422, "residentId", ""},
		{"short resident ID", req{method: "POST", path: "/v1/claims/expansion", as: "clerk", body: with(claim, "residentId", "6328011999")}, 422, "residentId", ""},
		{"invalid credit code", req{method: "POST", path: "/v1/claims/expansion", as: "clerk", body: withFact(claim, "employer", "91350100")}, 422, "", ""},
		{"resident ID where no person", req{method: "POST", path: "/v1/claims/stabilization", as: "clerk", body: with(claimBodies(t)["/v1/claims/stabilization"], "residentId", residentID)}, 422, "residentId", "not-applicable"},
		{"unknown budget line", req{method: "POST", path: "/v1/claims/expansion", as: "clerk", body: with(claim, "budgetLineId", "noline")}, 404, "budgetLineId", "exists"},
		{"line of another programme", req{method: "POST", path: "/v1/claims/expansion", as: "clerk", body: with(claim, "budgetLineId", lineOf(programme.StartUp))}, 409, "budgetLineId", "budget-line-programme"},
		{"no effective date", req{method: "POST", path: "/v1/claims/expansion", as: "clerk", body: without(claim, "effectiveDate")}, 422, "effectiveDate", "required"},
		{"no policy in force", req{method: "POST", path: "/v1/claims/expansion", as: "clerk", body: with(claim, "effectiveDate", "2021-03-01")}, 409, "", "policy-in-force"},
		{"bad claim id", req{method: "POST", path: "/v1/claims/expansion", as: "clerk", body: with(claim, "claimId", "a b")}, 422, "claimId", "stream-id"},
		{"same person again", req{method: "POST", path: "/v1/claims/expansion", as: "clerk", body: claim}, 409, "", "unique"},
		{"one-time: no contract date", req{method: "POST", path: "/v1/claims/one-time-absorption", as: "clerk", body: withFact(ota, "contractDate", nil)}, 422, "facts.contractDate", "required"},
		{"one-time: contract ends before it is signed", req{method: "POST", path: "/v1/claims/one-time-absorption", as: "clerk", body: withFact(ota, "contractEnd", "2025-02-01")}, 422, "facts.contractEnd", "date-order"},
		{"one-time: negative insured months", req{method: "POST", path: "/v1/claims/one-time-absorption", as: "clerk", body: withFact(ota, "insuredMonths", -1)}, 422, "facts.insuredMonths", "non-negative"},
		{"one-time: no employer", req{method: "POST", path: "/v1/claims/one-time-absorption", as: "clerk", body: withFact(ota, "employer", "")}, 422, "facts.employer", "required"},
		{"one-time: unknown fact", req{method: "POST", path: "/v1/claims/one-time-absorption", as: "clerk", body: withFact(ota, "salary", "1")}, 400, "facts.salary", "known-field"},
		{"one-time: insured months as text", req{method: "POST", path: "/v1/claims/one-time-absorption", as: "clerk", body: withFact(ota, "insuredMonths", "3")}, 400, "facts.insuredMonths", "json-type"},
		{"one-time: no person", req{method: "POST", path: "/v1/claims/one-time-absorption", as: "clerk", body: without(ota, "residentId")}, 422, "facts.person", ""},
		{"one-time: expansion line", req{method: "POST", path: "/v1/claims/one-time-absorption", as: "clerk", body: with(ota, "budgetLineId", lineOf(programme.Expansion))}, 409, "budgetLineId", "budget-line-programme"},
		{"one-time after the expansion grant", req{method: "POST", path: "/v1/claims/one-time-absorption", as: "clerk", body: with(ota, "residentId", residentID)}, 409, "", "unique"},
		{"trainee without county", req{method: "POST", path: "/v1/trainees", as: "clerk", body: map[string]any{"traineeId": "tr-x", "person": strings.Repeat("a", 64),
			"occupation": "x", "level": "initial", "programme": "vocational-training", "on": "2025-02-10"}}, 422, "county", "required"},
		{"trainee in no training programme", req{method: "POST", path: "/v1/trainees", as: "clerk", body: map[string]any{"traineeId": "tr-x", "person": strings.Repeat("a", 64),
			"occupation": "x", "level": "initial", "county": "632801", "programme": "expansion", "on": "2025-02-10"}}, 422, "programme", "training-programme"},
		{"person with a mistyped resident ID", req{method: "POST", path: "/v1/people", as: "clerk", body: map[string]any{"residentId": "632801199903151231", "name": "x"}}, 422, "residentId", "resident-id-check"},
		{"person without resident ID", req{method: "POST", path: "/v1/people", as: "clerk", body: map[string]any{"name": "x"}}, 422, "residentId", "required"},
		{"person with an unknown field", req{method: "POST", path: "/v1/people", as: "clerk", body: map[string]any{"residentId": residentID, "phone": "1"}}, 400, "phone", "known-field"},
		{"reveal without reason", req{method: "POST", path: "/v1/people/" + strings.Repeat("ab", 32) + "/reveal", as: "auditor", body: map[string]any{}}, 422, "reason", "required"},
		{"erasure of no reference", req{method: "POST", path: "/v1/people/nobody/erasure", as: "admin"}, 400, "person", "person-ref"},
		{"unknown claim", req{method: "POST", path: claimPath("noclaim", "/approval"), as: "approver", body: map[string]any{"reason": "x"}}, 404, "claimId", "exists"},
		{"no reason", req{method: "POST", path: claimPath("exp-1", "/approval"), as: "approver", body: map[string]any{}}, 422, "reason", "required"},
		{"maker-checker", req{method: "POST", path: claimPath("exp-1", "/approval"), as: "li-approver", body: map[string]any{"reason": "x"}}, 409, "", ""},
		{"pay an unapproved claim", req{method: "POST", path: claimPath("exp-1", "/payments"), as: "treasurer", body: map[string]any{"instalment": 1, "paymentId": "p"}}, 409, "", ""},
		{"clawback of nothing paid", req{method: "POST", path: claimPath("exp-1", "/clawbacks"), as: "treasurer",
			body: map[string]any{"recoveryId": "r", "amount": "1.00", "reason": "fraudulent", "detail": "forged contract", "on": "2025-04-01"}}, 409, "", ""},
		{"bad clawback reason", req{method: "POST", path: claimPath("exp-1", "/clawbacks"), as: "treasurer",
			body: map[string]any{"recoveryId": "r", "amount": "1.00", "reason": "whim", "detail": "d", "on": "2025-04-01"}}, 422, "reason", "clawback-reason"},
		{"evidence: bad digest", req{method: "POST", path: claimPath("exp-1", "/evidence"), as: "clerk", body: with(ev, "digest", strings.Repeat("AB", 32))}, 422, "digest", "sha256-hex"},
		{"evidence: unknown kind", req{method: "POST", path: claimPath("exp-1", "/evidence"), as: "clerk", body: with(ev, "kind", "photo")}, 422, "kind", "evidence-kind"},
		{"evidence: received tomorrow", req{method: "POST", path: claimPath("exp-1", "/evidence"), as: "clerk", body: with(ev, "receivedOn", "2025-04-02")}, 422, "receivedOn", "not-in-future"},
		{"evidence: impossible date", req{method: "POST", path: claimPath("exp-1", "/evidence"), as: "clerk", body: with(ev, "receivedOn", "2025-02-30")}, 422, "receivedOn", "date-format"},
		{"evidence: no document number", req{method: "POST", path: claimPath("exp-1", "/evidence"), as: "clerk", body: without(ev, "documentNo")}, 422, "documentNo", "required"},
		{"evidence: resident ID in the note", req{method: "POST", path: claimPath("exp-1", "/evidence"), as: "clerk", body: with(ev, "note", "ID "+residentID)}, 422, "note", "no-id-number"},
		{"evidence: unknown field", req{method: "POST", path: claimPath("exp-1", "/evidence"), as: "clerk", body: with(ev, "file", "base64...")}, 400, "file", "known-field"},
		{"evidence on no claim", req{method: "POST", path: claimPath("noclaim", "/evidence"), as: "clerk", body: ev}, 404, "claimId", "exists"},
		{"evidence after approval", req{method: "POST", path: claimPath("exp-approved", "/evidence"), as: "clerk", body: ev}, 409, "status", "claim-before-decision"},
		{"oversized body", req{method: "POST", path: "/v1/funds", as: "admin", body: `{"name":"` + strings.Repeat("x", 70<<10) + `"}`}, 413, "", "max-body-bytes"},
		{"wrong content type", req{method: "POST", path: "/v1/funds", as: "admin", body: `{}`, contentType: "text/plain"}, 415, "Content-Type", "content-type"},
		{"form body", req{method: "POST", path: "/v1/funds", as: "admin", body: `fundId=x`, contentType: "application/x-www-form-urlencoded"}, 415, "Content-Type", "content-type"},
		{"idempotency key with space", req{method: "POST", path: "/v1/funds", as: "admin", body: fund, header: map[string]string{"Idempotency-Key": "a b"}}, 400, "Idempotency-Key", "printable-ascii"},
		{"idempotency key too long", req{method: "POST", path: "/v1/funds", as: "admin", body: fund, header: map[string]string{"Idempotency-Key": strings.Repeat("k", 201)}}, 400, "Idempotency-Key", "max-length"},
		{"limit too large", req{method: "GET", path: "/v1/funds?limit=501", as: "admin"}, 400, "limit", "range"},
		{"limit not a number", req{method: "GET", path: "/v1/funds?limit=ten", as: "admin"}, 400, "limit", "integer"},
		{"forged cursor", req{method: "GET", path: "/v1/funds?cursor=abc", as: "admin"}, 400, "cursor", "cursor"},
		{"forged event cursor", req{method: "GET", path: "/v1/audit/events?cursor=YzE6eA", as: "auditor"}, 400, "cursor", "cursor"},
		{"forged claim cursor", req{method: "GET", path: "/v1/claims?cursor=YzE6eA", as: "clerk"}, 400, "cursor", "cursor"},
		{"forged queue cursor", req{method: "GET", path: "/v1/queue?cursor=YzE6eA", as: "approver"}, 400, "cursor", "cursor"},
		{"bad list filter", req{method: "GET", path: "/v1/claims?programme=lottery", as: "clerk"}, 400, "programme", "programme"},
		{"bad region path", req{method: "GET", path: "/v1/targets/999999/2025", as: "admin"}, 400, "region", "haixi-region"},
		{"bad year path", req{method: "GET", path: "/v1/targets/632801/1900", as: "admin"}, 400, "year", "fiscal-year"},
		{"as-of without time", req{method: "GET", path: "/v1/audit/as-of/budget-lines", as: "auditor"}, 400, "at", "required"},
		{"as-of bad time", req{method: "GET", path: "/v1/audit/as-of/budget-lines?at=yesterday", as: "auditor"}, 400, "at", "rfc3339"},
		{"bad digest", req{method: "GET", path: "/v1/audit/verify?expect=xyz", as: "auditor"}, 400, "expect", "digest"},
		{"unknown stream", req{method: "GET", path: "/v1/audit/streams/claim-nothing/events", as: "auditor"}, 404, "stream", "exists"},
		{"CSV with a bad row", req{method: "POST", path: "/v1/batches/stabilization" + csvQuery, as: "clerk", contentType: "text/csv",
			body: csvHeader + employerCode(t) + ",unit,50,12,8000.005,0,50,50,50,false,false\n"}, 422, "line 2: premiums_paid_last_year", "max-2-decimals"},
		{"CSV with a bad header", req{method: "POST", path: "/v1/batches/stabilization" + csvQuery, as: "clerk", contentType: "text/csv", body: "a,b\n1,2\n"}, 422, "csv", "csv-header"},
		{"CSV as JSON", req{method: "POST", path: "/v1/batches/stabilization" + csvQuery, as: "clerk", body: `{}`}, 415, "Content-Type", "content-type"},
		{"CSV without year", req{method: "POST", path: "/v1/batches/stabilization", as: "clerk", contentType: "text/csv", body: csvHeader}, 400, "year", "fiscal-year"},
		{"unknown route", req{method: "GET", path: "/v1/nothing", as: "admin"}, 404, "", "route"},
		{"wrong method", req{method: "DELETE", path: "/v1/funds", as: "admin"}, 405, "", "method"},
	}
	before := h.head()
	for _, c := range corpus {
		t.Run(c.name, func(t *testing.T) {
			res := h.do(c.r)
			if res.status != c.status {
				t.Fatalf("status %d, want %d: %s", res.status, c.status, res.body)
			}
			p := res.problem(t)
			if p.Field == "" && p.Rule == "" {
				t.Fatalf("problem names neither field nor rule: %+v", p)
			}
			if c.field != "" && p.Field != c.field {
				t.Errorf("field %q, want %q (%+v)", p.Field, c.field, p)
			}
			if c.rule != "" && p.Rule != c.rule {
				t.Errorf("rule %q, want %q (%+v)", p.Rule, c.rule, p)
			}
			if strings.Contains(string(res.body), residentID[:17]) {
				t.Errorf("the problem echoes the resident ID: %s", res.body)
			}
		})
	}
	if after := h.head(); after != before {
		t.Fatalf("the corpus changed the log: head %d → %d", before, after)
	}
	if strings.Contains(h.logs.String(), residentID[:17]) {
		t.Fatal("the access log holds a resident ID")
	}
}
