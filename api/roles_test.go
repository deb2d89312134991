package api_test

import (
	"net/http"
	"slices"
	"strings"
	"testing"

	"github.com/haixi-hrss/fundledger/domain/role"
)

// allowed is the role table as the tests expect it, written apart from the
// server's: "METHOD template" → roles. nil marks a public route.
var allowed = map[string][]string{
	"GET /healthz":                                        nil,
	"GET /readyz":                                         nil,
	"GET /metrics":                                        nil,
	"GET /v1/openapi.json":                                nil,
	"POST /v1/funds":                                      {role.Administrator},
	"GET /v1/funds":                                       {role.Administrator, role.Treasurer, role.Auditor},
	"GET /v1/funds/:fundId":                               {role.Administrator, role.Treasurer, role.Auditor},
	"POST /v1/funds/:fundId/transfers":                    {role.Administrator},
	"POST /v1/funds/:fundId/allocations":                  {role.Administrator},
	"GET /v1/budget-lines":                                allRoles,
	"GET /v1/budget-lines/:lineId":                        allRoles,
	"POST /v1/policies":                                   {role.Administrator},
	"GET /v1/policies":                                    allRoles,
	"POST /v1/targets":                                    {role.Administrator},
	"GET /v1/targets/:region/:year":                       allRoles,
	"POST /v1/indicators":                                 {role.Clerk},
	"GET /v1/indicators/:region/:year":                    allRoles,
	"POST /v1/claims/stabilization":                       {role.Clerk},
	"POST /v1/claims/expansion":                           {role.Clerk},
	"POST /v1/claims/absorption":                          {role.Clerk},
	"POST /v1/claims/one-time-absorption":                 {role.Clerk},
	"POST /v1/claims/social-insurance":                    {role.Clerk},
	"POST /v1/claims/skill-upgrade":                       {role.Clerk},
	"POST /v1/claims/vocational-training":                 {role.Clerk},
	"POST /v1/claims/start-up":                            {role.Clerk},
	"GET /v1/claims":                                      officerRoles,
	"GET /v1/claims/:claimId":                             officerRoles,
	"POST /v1/claims/:claimId/evidence":                   {role.Clerk},
	"GET /v1/claims/:claimId/evidence":                    officerRoles,
	"POST /v1/employers":                                  {role.Clerk},
	"GET /v1/employers/:code":                             officerRoles,
	"POST /v1/employers/:code/months":                     {role.Clerk},
	"POST /v1/employers/:code/layoffs":                    {role.Clerk},
	"POST /v1/employers/:code/dishonesty":                 {role.Clerk},
	"POST /v1/employers/:code/dishonesty/clearance":       {role.Clerk},
	"POST /v1/employers/:code/credit-code-confirmation":   {role.Approver},
	"POST /v1/hires":                                      {role.Clerk},
	"GET /v1/hires/:hireId":                               officerRoles,
	"POST /v1/hires/:hireId/checkpoints":                  {role.Clerk},
	"POST /v1/trainees":                                   {role.Clerk},
	"GET /v1/trainees/:traineeId":                         officerRoles,
	"POST /v1/trainees/:traineeId/placement":              {role.Clerk},
	"POST /v1/batches/stabilization":                      {role.Clerk},
	"GET /v1/queue":                                       {role.Clerk, role.Approver, role.Treasurer},
	"POST /v1/claims/:claimId/approval":                   {role.Approver},
	"POST /v1/claims/:claimId/rejection":                  {role.Approver},
	"POST /v1/claims/:claimId/disclosure":                 {role.Clerk},
	"POST /v1/claims/:claimId/objections":                 {role.Approver},
	"POST /v1/claims/:claimId/disclosure/completion":      {role.Clerk},
	"POST /v1/claims/:claimId/cancellation":               {role.Approver, role.Treasurer},
	"POST /v1/claims/:claimId/payments":                   {role.Treasurer},
	"POST /v1/claims/:claimId/payments/:paymentId/result": {role.Treasurer},
	"POST /v1/claims/:claimId/clawbacks":                  {role.Treasurer},
	"POST /v1/payment-batches":                            {role.Treasurer},
	"GET /v1/payment-batches/:batchId":                    {role.Treasurer, role.Auditor},
	"POST /v1/payment-batches/:batchId/items":             {role.Treasurer},
	"POST /v1/payment-batches/:batchId/closure":           {role.Treasurer},
	"POST /v1/payment-batches/:batchId/sending":           {role.Treasurer},
	"POST /v1/payment-batches/:batchId/results":           {role.Treasurer},
	"GET /v1/payment-batches":                             {role.Treasurer, role.Auditor},
	"GET /v1/evaluation/performance":                      {role.Evaluator, role.Administrator, role.Auditor},
	"GET /v1/evaluation/indicators/:region":               {role.Evaluator, role.Administrator, role.Auditor},
	"POST /v1/evaluation/factor-suggestion":               {role.Evaluator, role.Administrator},
	"POST /v1/factor-weights":                             {role.Administrator},
	"GET /v1/factor-weights/:year":                        {role.Evaluator, role.Administrator, role.Auditor},
	"GET /v1/audit/claims/:claimId/trail":                 {role.Auditor},
	"GET /v1/audit/claims/:claimId/payment-trace":         {role.Auditor},
	"GET /v1/audit/actors/:actor/actions":                 {role.Auditor},
	"GET /v1/audit/events":                                {role.Auditor},
	"GET /v1/audit/streams/:stream/events":                {role.Auditor},
	"GET /v1/audit/as-of/budget-lines":                    {role.Auditor},
	"GET /v1/audit/as-of/claims/:claimId":                 {role.Auditor},
	"GET /v1/audit/verify":                                {role.Auditor},
	"GET /v1/audit/anomalies":                             {role.Auditor},
	"POST /v1/people":                                     {role.Clerk},
	"POST /v1/people/:person/reveal":                      {role.Clerk, role.Approver, role.Treasurer, role.Auditor},
	"POST /v1/people/:person/erasure":                     {role.Administrator},
}

var (
	allRoles     = []string{role.Clerk, role.Approver, role.Treasurer, role.Auditor, role.Evaluator, role.Administrator}
	officerRoles = []string{role.Clerk, role.Approver, role.Treasurer, role.Auditor, role.Administrator}
)

// tokenOf is a fixture principal for each role.
var tokenOf = map[string]string{
	role.Administrator: "admin", role.Clerk: "clerk2", role.Approver: "approver", role.Treasurer: "treasurer",
	role.Auditor: "auditor", role.Evaluator: "evaluator",
}

// concrete fills a route template's parameters with plausible values.
func concrete(template string) string {
	r := strings.NewReplacer(":region", "632801", ":year", "2025", ":fundId", "nofund", ":lineId", "noline",
		":claimId", "noclaim", ":code", "91632801MA0000001Y", ":hireId", "nohire", ":traineeId", "notrainee",
		":batchId", "nobatch", ":paymentId", "nopay", ":actor", "nobody", ":stream", "claim-noclaim",
		":person", strings.Repeat("0", 64))
	return r.Replace(template)
}

// TestRoleMatrix sends every documented route without a token (401),
// with each role the route does not serve (403), and with each role it
// serves (neither 401 nor 403, and no server error). The bodies are
// empty objects, so no request of an allowed role can succeed in
// changing anything that matters.
func TestRoleMatrix(t *testing.T) {
	h := newHarness(t)
	ops := documentedOperations()
	if len(ops) != len(allowed) {
		t.Errorf("%d documented operations, %d in the expected role table", len(ops), len(allowed))
	}
	for _, op := range ops {
		roles, ok := allowed[op]
		if !ok {
			t.Errorf("%s is not in the expected role table", op)
			continue
		}
		method, template, _ := strings.Cut(op, " ")
		path := concrete(template)
		var body any
		if method == http.MethodPost {
			body = map[string]any{}
		}
		if roles == nil {
			if res := h.do(req{method: method, path: path}); res.status != http.StatusOK {
				t.Errorf("%s (public): status %d", op, res.status)
			}
			continue
		}
		if res := h.do(req{method: method, path: path, body: body}); res.status != http.StatusUnauthorized || res.header.Get("WWW-Authenticate") == "" {
			t.Errorf("%s without token: status %d", op, res.status)
		}
		if res := h.do(req{method: method, path: path, body: body, header: map[string]string{"Authorization": "Bearer fl_forged"}}); res.status != http.StatusUnauthorized {
			t.Errorf("%s with a forged token: status %d", op, res.status)
		}
		for _, r := range allRoles {
			res := h.do(req{method: method, path: path, as: tokenOf[r], body: body})
			switch {
			case slices.Contains(roles, r):
				if res.status == http.StatusUnauthorized || res.status == http.StatusForbidden || res.status >= 500 {
					t.Errorf("%s as %s (allowed): status %d: %s", op, r, res.status, res.body)
				}
			case res.status != http.StatusForbidden:
				t.Errorf("%s as %s (not allowed): status %d, want 403", op, r, res.status)
			default:
				res.problem(t)
			}
		}
	}
}
