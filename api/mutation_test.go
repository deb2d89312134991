package api_test

import (
	"sort"
	"strings"
	"testing"
)

// mutations replace one field's value by a value of another type or shape.
var mutations = []any{nil, 123, -1, 1.5, 1e300, "", "x", strings.Repeat("9", 400), true, []any{}, map[string]any{}, "1e400", "-0.001"}

// mutate returns every variant of body with one (possibly nested) field
// replaced by each mutation or removed.
func mutate(body map[string]any) []map[string]any {
	var out []map[string]any
	keys := make([]string, 0, len(body))
	for k := range body {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		out = append(out, without(body, k))
		for _, m := range mutations {
			out = append(out, with(body, k, m))
		}
		if nested, ok := body[k].(map[string]any); ok {
			for _, v := range mutate(nested) {
				out = append(out, with(body, k, v))
			}
		}
	}
	return out
}

// TestMutatedBodiesNeverFail500 sends every one-field mutation of valid
// bodies to their endpoints: the server may accept or refuse each, but
// never fails, and every refusal is a problem.
func TestMutatedBodiesNeverFail500(t *testing.T) {
	h := newHarness(t)
	h.setUp()
	h.approved(t, "exp-m", 31)
	type target struct {
		path, as string
		body     map[string]any
	}
	targets := []target{
		{"/v1/funds", "admin", map[string]any{"fundId": "f-m", "name": "n", "fiscalYear": 2025, "kind": "employment-subsidy", "level": "county", "region": "632801"}},
		{"/v1/funds/" + esfFund + "/transfers", "admin", map[string]any{"document": "财社〔2025〕7号", "amount": "1.00", "source": "s", "receivedOn": "2025-02-01"}},
		{"/v1/funds/" + esfFund + "/allocations", "admin", map[string]any{"allocationId": "a-m", "programme": "start-up", "region": "632802", "amount": "1.00"}},
		{"/v1/targets", "admin", map[string]any{"region": "632801", "year": 2025, "indicator": "new-urban-jobs", "value": 10}},
		{"/v1/indicators", "clerk", map[string]any{"region": "632801", "year": 2025, "indicator": "new-urban-jobs", "month": "2025-03", "value": 10}},
		{"/v1/employers", "clerk", map[string]any{"creditCode": employerCode(t), "name": "n", "sizeClass": "small", "region": "632801"}},
		{"/v1/hires", "clerk", map[string]any{"hireId": "h-m", "residentId": residentID, "employer": employerCode(t), "hiredOn": "2025-01-15", "insured": true}},
		{"/v1/trainees", "clerk", map[string]any{"traineeId": "t-m", "residentId": residentID, "occupation": "x", "level": "initial", "county": "632801", "programme": "vocational-training", "on": "2025-02-10"}},
		{claimPath("exp-m", "/disclosure"), "clerk", map[string]any{"on": "2025-04-01", "masked": "6328**********0011"}},
		{claimPath("exp-m", "/payments"), "treasurer", map[string]any{"instalment": 1, "paymentId": "p-m"}},
		{claimPath("exp-m", "/clawbacks"), "treasurer", map[string]any{"recoveryId": "r", "amount": "1.00", "reason": "fraudulent", "detail": "d", "on": "2025-04-01"}},
		{"/v1/payment-batches", "treasurer", map[string]any{"batchId": "b-m", "scope": map[string]any{"kind": "fund", "id": esfFund}}},
	}
	for path, body := range claimBodies(t) {
		targets = append(targets, target{path, "clerk", body})
	}
	n := 0
	for _, tg := range targets {
		for _, body := range mutate(tg.body) {
			n++
			res := h.do(req{method: "POST", path: tg.path, as: tg.as, body: body})
			if res.status >= 500 {
				t.Fatalf("POST %s %v: status %d: %s", tg.path, body, res.status, res.body)
			}
			if res.status >= 400 {
				res.problem(t)
			}
		}
	}
	t.Logf("%d mutated requests", n)
}
