package api

import (
	"errors"
	"net/http"
	"slices"

	"github.com/labstack/echo/v4"

	"github.com/haixi-hrss/fundledger/domain/role"
	"github.com/haixi-hrss/fundledger/persondata"
)

// route is one endpoint and the roles that may call it. The one table
// serves registration, authorisation and the OpenAPI coverage test, so a
// route cannot exist without its roles or its documentation.
type route struct {
	method, path string
	// roles may call the route; nil means no token is needed.
	roles   []string
	handler func(*server, echo.Context) error
}

// Role groups used by the table.
var (
	public     []string
	admin      = []string{role.Administrator}
	clerk      = []string{role.Clerk}
	approver   = []string{role.Approver}
	treasurer  = []string{role.Treasurer}
	auditor    = []string{role.Auditor}
	officers   = []string{role.Clerk, role.Approver, role.Treasurer, role.Administrator, role.Auditor}
	financial  = []string{role.Administrator, role.Treasurer, role.Auditor}
	aggregates = []string{role.Administrator, role.Treasurer, role.Auditor, role.Evaluator, role.Approver, role.Clerk}
	workers    = []string{role.Clerk, role.Approver, role.Treasurer}
	cancellers = []string{role.Approver, role.Treasurer}
	treasury   = []string{role.Treasurer, role.Auditor}
	evaluation = []string{role.Evaluator, role.Administrator, role.Auditor}
	planners   = []string{role.Evaluator, role.Administrator}
	// revealers may see a person's identity (persondata.DecideReveal).
	revealers = persondata.RevealRoles
)

// routes is every endpoint the API serves.
func routes() []route {
	return []route{
		{http.MethodGet, "/healthz", public, (*server).healthz},
		{http.MethodGet, "/readyz", public, (*server).readyz},
		{http.MethodGet, "/metrics", public, (*server).metricsPage},
		{http.MethodGet, "/v1/openapi.json", public, (*server).openAPI},

		// Administrators: funds, budget lines, policy, targets.
		{http.MethodPost, "/v1/funds", admin, (*server).openFund},
		{http.MethodGet, "/v1/funds", financial, (*server).listFunds},
		{http.MethodGet, "/v1/funds/:fundId", financial, (*server).getFund},
		{http.MethodPost, "/v1/funds/:fundId/transfers", admin, (*server).receiveTransfer},
		{http.MethodPost, "/v1/funds/:fundId/allocations", admin, (*server).allocate},
		{http.MethodGet, "/v1/budget-lines", aggregates, (*server).listBudgetLines},
		{http.MethodGet, "/v1/budget-lines/:lineId", aggregates, (*server).getBudgetLine},
		{http.MethodPost, "/v1/policies", admin, (*server).publishPolicy},
		{http.MethodGet, "/v1/policies", aggregates, (*server).listPolicies},
		{http.MethodPost, "/v1/targets", admin, (*server).setTarget},
		{http.MethodGet, "/v1/targets/:region/:year", aggregates, (*server).getTargets},
		{http.MethodPost, "/v1/indicators", clerk, (*server).recordIndicator},
		{http.MethodGet, "/v1/indicators/:region/:year", aggregates, (*server).getIndicators},

		// Clerks: claims, employers, outcomes, the stabilization batch.
		{http.MethodPost, "/v1/claims/stabilization", clerk, (*server).submitStabilization},
		{http.MethodPost, "/v1/claims/expansion", clerk, (*server).submitExpansion},
		{http.MethodPost, "/v1/claims/absorption", clerk, (*server).submitAbsorption},
		{http.MethodPost, "/v1/claims/one-time-absorption", clerk, (*server).submitOneTimeAbsorption},
		{http.MethodPost, "/v1/claims/social-insurance", clerk, (*server).submitSocialInsurance},
		{http.MethodPost, "/v1/claims/skill-upgrade", clerk, (*server).submitSkillUpgrade},
		{http.MethodPost, "/v1/claims/vocational-training", clerk, (*server).submitTraining},
		{http.MethodPost, "/v1/claims/start-up", clerk, (*server).submitStartUp},
		{http.MethodGet, "/v1/claims", officers, (*server).listClaims},
		{http.MethodGet, "/v1/claims/:claimId", officers, (*server).getClaim},
		{http.MethodPost, "/v1/claims/:claimId/evidence", clerk, (*server).recordEvidence},
		{http.MethodGet, "/v1/claims/:claimId/evidence", officers, (*server).listEvidence},
		{http.MethodPost, "/v1/employers", clerk, (*server).registerEmployer},
		{http.MethodGet, "/v1/employers/:code", officers, (*server).getEmployer},
		{http.MethodPost, "/v1/employers/:code/months", clerk, (*server).reportMonth},
		{http.MethodPost, "/v1/employers/:code/layoffs", clerk, (*server).recordLayoffs},
		{http.MethodPost, "/v1/employers/:code/dishonesty", clerk, (*server).flagDishonesty},
		{http.MethodPost, "/v1/employers/:code/dishonesty/clearance", clerk, (*server).clearDishonesty},
		{http.MethodPost, "/v1/employers/:code/credit-code-confirmation", approver, (*server).confirmCreditCode},
		{http.MethodPost, "/v1/hires", clerk, (*server).recordHire},
		{http.MethodGet, "/v1/hires/:hireId", officers, (*server).getHire},
		{http.MethodPost, "/v1/hires/:hireId/checkpoints", clerk, (*server).recordInsuredStatus},
		{http.MethodPost, "/v1/trainees", clerk, (*server).certifyTrainee},
		{http.MethodGet, "/v1/trainees/:traineeId", officers, (*server).getTrainee},
		{http.MethodPost, "/v1/trainees/:traineeId/placement", clerk, (*server).placeTrainee},
		{http.MethodPost, "/v1/batches/stabilization", clerk, (*server).importStabilization},

		// Personal data: identities kept outside the log, each reveal
		// recorded in it, erasure by an administrator.
		{http.MethodPost, "/v1/people", clerk, (*server).registerPerson},
		{http.MethodPost, "/v1/people/:person/reveal", revealers, (*server).revealPerson},
		{http.MethodPost, "/v1/people/:person/erasure", admin, (*server).erasePerson},

		// The review: queue, decisions, disclosure.
		{http.MethodGet, "/v1/queue", workers, (*server).queue},
		{http.MethodPost, "/v1/claims/:claimId/approval", approver, (*server).approveClaim},
		{http.MethodPost, "/v1/claims/:claimId/rejection", approver, (*server).rejectClaim},
		{http.MethodPost, "/v1/claims/:claimId/disclosure", clerk, (*server).startDisclosure},
		{http.MethodPost, "/v1/claims/:claimId/objections", approver, (*server).raiseObjection},
		{http.MethodPost, "/v1/claims/:claimId/disclosure/completion", clerk, (*server).completeDisclosure},
		{http.MethodPost, "/v1/claims/:claimId/cancellation", cancellers, (*server).cancelClaim},

		// Treasurers: payments, results, clawbacks, batches.
		{http.MethodPost, "/v1/claims/:claimId/payments", treasurer, (*server).releasePayment},
		{http.MethodPost, "/v1/claims/:claimId/payments/:paymentId/result", treasurer, (*server).recordPaymentResult},
		{http.MethodPost, "/v1/claims/:claimId/clawbacks", treasurer, (*server).recordClawback},
		{http.MethodPost, "/v1/payment-batches", treasurer, (*server).openBatch},
		{http.MethodGet, "/v1/payment-batches", treasury, (*server).listBatches},
		{http.MethodGet, "/v1/payment-batches/:batchId", treasury, (*server).getBatch},
		{http.MethodPost, "/v1/payment-batches/:batchId/items", treasurer, (*server).addBatchItem},
		{http.MethodPost, "/v1/payment-batches/:batchId/closure", treasurer, (*server).closeBatch},
		{http.MethodPost, "/v1/payment-batches/:batchId/sending", treasurer, (*server).sendBatch},
		{http.MethodPost, "/v1/payment-batches/:batchId/results", treasurer, (*server).recordBatchResults},

		// Evaluators: performance, indicators against targets, the factor
		// method.
		{http.MethodGet, "/v1/evaluation/performance", evaluation, (*server).performance},
		{http.MethodGet, "/v1/evaluation/indicators/:region", evaluation, (*server).indicatorReport},
		{http.MethodPost, "/v1/evaluation/factor-suggestion", planners, (*server).suggestAllocation},
		{http.MethodPost, "/v1/factor-weights", admin, (*server).publishWeights},
		{http.MethodGet, "/v1/factor-weights/:year", evaluation, (*server).getWeights},

		// Auditors: trails, traces, the raw log, history, integrity.
		{http.MethodGet, "/v1/audit/claims/:claimId/trail", auditor, (*server).claimTrail},
		{http.MethodGet, "/v1/audit/claims/:claimId/payment-trace", auditor, (*server).paymentTrace},
		{http.MethodGet, "/v1/audit/actors/:actor/actions", auditor, (*server).actorActions},
		{http.MethodGet, "/v1/audit/events", auditor, (*server).globalEvents},
		{http.MethodGet, "/v1/audit/streams/:stream/events", auditor, (*server).streamEvents},
		{http.MethodGet, "/v1/audit/as-of/budget-lines", auditor, (*server).asOfBudgetLines},
		{http.MethodGet, "/v1/audit/as-of/claims/:claimId", auditor, (*server).asOfClaim},
		{http.MethodGet, "/v1/audit/verify", auditor, (*server).verify},
		{http.MethodGet, "/v1/audit/anomalies", auditor, (*server).anomalies},
	}
}

// guard authenticates the caller and checks the route's roles before the
// handler runs: 401 without a valid token, 403 for a role the route does
// not serve.
func (s *server) guard(rt route) echo.HandlerFunc {
	return func(c echo.Context) error {
		if rt.roles == nil {
			return rt.handler(s, c)
		}
		k, ok := c.(*call)
		if !ok {
			// Only observe's context carries the principal to the
			// handler: without it the command would have no actor.
			return errors.New("api: guard runs inside observe")
		}
		p, ok := s.authenticate(c)
		if !ok {
			c.Response().Header().Set("WWW-Authenticate", `Bearer realm="fundledger"`)
			return errUnauthorized
		}
		// Kept before the role check, so the access log names who was
		// refused.
		k.p = p
		if !slices.Contains(rt.roles, p.Role) {
			return errForbidden(p.Role)
		}
		return rt.handler(s, c)
	}
}
