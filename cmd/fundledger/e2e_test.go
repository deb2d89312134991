package main

import (
	"net/http"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/haixi-hrss/fundledger/api"
	"github.com/haixi-hrss/fundledger/domain/employer"
	"github.com/haixi-hrss/fundledger/domain/policy"
	"github.com/haixi-hrss/fundledger/domain/programme"
	"github.com/haixi-hrss/fundledger/domain/region"
	"github.com/haixi-hrss/fundledger/domain/role"
	"github.com/haixi-hrss/fundledger/projections"
)

// The principals of the year, each with a token made by `fundledger
// tokens create`. Li holds a second token as an approver, to try to
// approve his own claim.
const (
	eAdmin      = "ma.admin"
	eLi         = "li.clerk" // Golmud's clerk
	eLiApprover = "li.clerk@approver"
	eHan        = "han.clerk" // Delingha's clerk
	eWang       = "wang.approver"
	eZhou       = "zhou.approver"
	eTreasurer  = "zhao.treasurer"
	eAuditor    = "qian.auditor"
	eEvaluator  = "wu.evaluator"
)

var e2ePrincipals = []struct{ key, name, role string }{
	{eAdmin, eAdmin, role.Administrator},
	{eLi, eLi, role.Clerk},
	{eLiApprover, eLi, role.Approver},
	{eHan, eHan, role.Clerk},
	{eWang, eWang, role.Approver},
	{eZhou, eZhou, role.Approver},
	{eTreasurer, eTreasurer, role.Treasurer},
	{eAuditor, eAuditor, role.Auditor},
	{eEvaluator, eEvaluator, role.Evaluator},
}

// TestE2EYear starts the real server as a separate process on a loopback
// port over a new data directory and drives a year of Haixi's work
// through HTTP as each role would: funds, transfers and allocations;
// policies and targets; employers and their data; claims of every kind
// the API takes, approved under maker-checker (two approvers above the
// threshold) or rejected; disclosure, with an objection sending a claim
// back to review; payments, a failed one retried and a failed one whose
// claim is cancelled; a clawback; outcomes; the evaluators' reports; the
// auditors' trails, raw log, a replay as of a past instant and
// verification. Midway the server is stopped with SIGTERM and started
// again on the same data. Every budget line is checked to the fen against
// the test's own books at each stage.
func TestE2EYear(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "ledger")
	if err := os.MkdirAll(dir, 0o700); err != nil {
		t.Fatal(err)
	}
	secret := e2eSecret(t, t.TempDir())
	tokens := map[string]string{}
	for _, p := range e2ePrincipals {
		tokens[p.key] = e2eToken(t, dir, p.name, p.role)
	}
	srv := e2eStart(t, dir, secret)
	c := &e2eClient{t: t, base: srv.base, tokens: tokens}
	r := &e2eRun{t: t, c: c, books: newBooks(), claims: map[string]e2eClaim{}}
	r.roles()

	r.setUp()
	r.books.check(t, c, "after the allocations")
	r.employers()
	r.firstQuarter()
	r.books.check(t, c, "after the first quarter's approvals")

	// Midway the server is stopped and started again on the same data:
	// nothing recorded may be lost and the read models must carry on.
	before, head := r.views(), r.logHead()
	srv.stop(t)
	srv = e2eStart(t, dir, secret)
	c.base = srv.base
	if after := r.views(); after != before {
		t.Fatalf("the restarted server shows other data:\nbefore %s\nafter  %s", before, after)
	}
	var ready api.Readiness
	c.get("", "/readyz", &ready)
	if ready.Checkpoint != head || ready.Behind != 0 || r.logHead() != head {
		t.Fatalf("after the restart /readyz says %+v, want checkpoint %d, the log's head before the restart", ready, head)
	}

	r.secondQuarter()
	r.books.check(t, c, "after the second quarter's disclosures")
	past := r.mark()
	r.payments()
	r.books.check(t, c, "after the payments")
	r.outcomes()
	r.books.check(t, c, "after the clawback and the settlement")

	r.evaluate()
	r.audit(past)
	digest, events := r.verify()
	srv.stop(t)
	e2eVerifyCLI(t, dir, digest, events)
}

// roles checks the gate before any work: no token, a forged one, and
// roles calling routes that are not theirs.
func (r *e2eRun) roles() {
	c := r.c
	c.refused(http.StatusUnauthorized, "unauthorized", "", "", http.MethodGet, "/v1/funds", nil)
	c.tokens["forged"] = "fl_forged"
	c.refused(http.StatusUnauthorized, "unauthorized", "", "forged", http.MethodGet, "/v1/funds", nil)
	for _, tc := range []struct{ as, method, path string }{
		{eEvaluator, http.MethodGet, "/v1/claims"},
		{eEvaluator, http.MethodGet, "/v1/audit/events"},
		{eClerkOf(e2eGolmud), http.MethodPost, "/v1/funds"},
		{eWang, http.MethodPost, "/v1/claims/stabilization"},
		{eAuditor, http.MethodPost, "/v1/claims/x/payments"},
	} {
		var body any
		if tc.method == http.MethodPost {
			body = map[string]any{}
		}
		c.refused(http.StatusForbidden, "forbidden", "role", tc.as, tc.method, tc.path, body)
	}
}

// eClerkOf is the clerk who works in county.
func eClerkOf(county region.Code) string {
	if county == e2eDelingha {
		return eHan
	}
	return eLi
}

// setUp is the administrator's start of the year: the 2025 policy
// versions, the two funds with their transfers, allocations to budget
// lines, and the counties' targets.
func (r *e2eRun) setUp() {
	c := r.c
	versions, err := policy.Seed()
	if err != nil {
		r.t.Fatal(err)
	}
	published := 0
	for _, v := range versions {
		if v.EffectiveFrom.Year() == e2eYear {
			c.post(http.StatusCreated, eAdmin, "/v1/policies", v)
			published++
		}
	}
	var pols api.Page[policy.Version]
	c.get(eEvaluator, "/v1/policies?limit=100", &pols)
	if len(pols.Items) != published || published != len(programme.All()) {
		r.t.Fatalf("published %d versions for %d programmes, the API lists %d", published, len(programme.All()), len(pols.Items))
	}

	for _, f := range []struct{ id, kind, name string }{
		{e2eUI, "unemployment-insurance", "海西州失业保险基金 2025"},
		{e2eESF, "employment-subsidy", "海西州就业补助资金 2025"},
	} {
		resp := c.must(http.StatusCreated, eAdmin, http.MethodPost, "/v1/funds", map[string]any{
			"fundId": f.id, "name": f.name, "fiscalYear": e2eYear, "kind": f.kind, "level": "prefecture", "region": region.Haixi})
		if loc := resp.header.Get("Location"); loc != "/v1/funds/"+f.id {
			r.t.Fatalf("fund %s created at %q", f.id, loc)
		}
		r.books.received[f.id] = 0
	}
	r.transfer(e2eUI, "财社〔2025〕12号", 500_000_000, "2025-01-20")
	// A retried transfer under the same Idempotency-Key is answered 200
	// with the first attempt's body and received once.
	first := r.transfer(e2eESF, "青财社〔2025〕3号", 300_000_000, "2025-01-15", "Idempotency-Key", "esf-transfer-3")
	retry := c.must(http.StatusOK, eAdmin, http.MethodPost, "/v1/funds/"+e2eESF+"/transfers", map[string]any{
		"document": "青财社〔2025〕3号", "amount": fenText(300_000_000), "source": "青海省财政厅", "receivedOn": "2025-01-15"},
		"Idempotency-Key", "esf-transfer-3")
	if retry.header.Get(api.HeaderReplayed) != "true" || string(retry.body) != string(first.body) {
		r.t.Fatalf("retried transfer: replayed %q, body %s, first %s", retry.header.Get(api.HeaderReplayed), retry.body, first.body)
	}

	for _, a := range []struct {
		prog   programme.Code
		county region.Code
		fen    int64
	}{
		{programme.Stabilization, e2eGolmud, 100_000_000},
		{programme.Stabilization, e2eDelingha, 60_000_000},
		{programme.Expansion, e2eGolmud, 20_000_000},
		{programme.SkillUpgrade, e2eDelingha, 10_000_000},
		{programme.Absorption, e2eGolmud, 30_000_000},
		{programme.SocialInsurance, e2eDelingha, 15_000_000},
		{programme.VocationalTraining, e2eGolmud, 25_000_000},
		{programme.StartUp, e2eDelingha, 8_000_000},
	} {
		id := e2eLineID(a.prog, a.county)
		fund := e2eESF
		if a.prog.Fund() == programme.UnemploymentInsurance {
			fund = e2eUI
		}
		resp := c.must(http.StatusCreated, eAdmin, http.MethodPost, "/v1/funds/"+fund+"/allocations", map[string]any{
			"allocationId": "alloc-" + string(a.prog) + "-" + string(a.county), "programme": a.prog, "region": a.county, "amount": fenText(a.fen)})
		if loc := resp.header.Get("Location"); loc != "/v1/budget-lines/"+id {
			r.t.Fatalf("allocation to %s answered Location %q", id, loc)
		}
		r.books.lines[id] = &e2eLine{fund: fund, programme: string(a.prog), county: string(a.county), allocated: a.fen}
	}
	// Nothing may be allocated beyond what the fund holds: one fen more
	// than the UI fund's unallocated 3,100,000.00 is refused.
	c.refused(http.StatusConflict, "rule-violation", "fund-unallocated", eAdmin, http.MethodPost, "/v1/funds/"+e2eUI+"/allocations",
		map[string]any{"allocationId": "alloc-too-much", "programme": programme.Expansion, "region": e2eGolmud, "amount": fenText(310_000_001)})

	for _, tg := range []struct {
		county region.Code
		ind    string
		value  int
	}{
		{e2eGolmud, "new-urban-jobs", 4000}, {e2eGolmud, "labour-transfer", 30000}, {e2eDelingha, "new-urban-jobs", 2500},
	} {
		c.post(http.StatusCreated, eAdmin, "/v1/targets", map[string]any{"region": tg.county, "year": e2eYear, "indicator": tg.ind, "value": tg.value})
	}
	// A target is changed only with a reason.
	c.refused(http.StatusConflict, "rule-violation", "target-change-reason", eAdmin, http.MethodPost, "/v1/targets",
		map[string]any{"region": e2eDelingha, "year": e2eYear, "indicator": "new-urban-jobs", "value": 2600})
	c.post(http.StatusCreated, eAdmin, "/v1/targets",
		map[string]any{"region": e2eDelingha, "year": e2eYear, "indicator": "new-urban-jobs", "value": 2600, "reason": "州政府年中调整"})
}

// transfer records money received into a fund.
func (r *e2eRun) transfer(fund, doc string, fen int64, on string, header ...string) e2eResp {
	r.t.Helper()
	resp := r.c.must(http.StatusCreated, eAdmin, http.MethodPost, "/v1/funds/"+fund+"/transfers", map[string]any{
		"document": doc, "amount": fenText(fen), "source": "青海省财政厅", "receivedOn": on}, header...)
	r.books.received[fund] += fen
	return resp
}

// The employers of the year.
type e2eEmployers struct{ big, small, laidOff, business, provider string }

func (r *e2eRun) codes() e2eEmployers {
	return e2eEmployers{
		big:      e2eCredit(r.t, "91632801MA0000001"), // a large salt-lake chemical works in Golmud
		small:    e2eCredit(r.t, "91632802MA0000002"), // a small Delingha firm
		laidOff:  e2eCredit(r.t, "91632801MA0000003"), // a Golmud firm that laid off 10% of its staff
		business: e2eCredit(r.t, "92632802MA0000004"), // a founder's individual business
		provider: e2eCredit(r.t, "52632801MJ0000005"), // a training school
	}
}

// Headcounts the employers report: a year apart, so the evaluators can
// measure the jobs each refund recipient kept.
const (
	bigThen, bigNow     = 402, 415
	smallThen, smallNow = 47, 50
)

// employers registers the employers and records their data: monthly
// headcounts and premiums, and a layoff.
func (r *e2eRun) employers() {
	c, e := r.c, r.codes()
	for _, emp := range []struct {
		code, name, size string
		county           region.Code
	}{
		{e.big, "格尔木盐湖化工有限公司", "large", e2eGolmud},
		{e.small, "德令哈枸杞加工有限公司", "small", e2eDelingha},
		{e.laidOff, "格尔木建材有限公司", "medium", e2eGolmud},
	} {
		resp := c.must(http.StatusCreated, eClerkOf(emp.county), http.MethodPost, "/v1/employers", map[string]any{
			"creditCode": emp.code, "name": emp.name, "sizeClass": emp.size, "region": emp.county})
		if loc := resp.header.Get("Location"); loc != "/v1/employers/"+emp.code {
			r.t.Fatalf("employer created at %q", loc)
		}
	}
	for _, m := range []struct {
		code, month string
		insured     int
		premiums    int64
	}{
		{e.big, "2024-03", bigThen, 16_080_000}, {e.big, "2025-03", bigNow, 16_600_000},
		{e.small, "2024-03", smallThen, 660_000}, {e.small, "2025-03", smallNow, 700_000},
	} {
		clerk := eLi
		if m.code == e.small {
			clerk = eHan
		}
		c.post(http.StatusCreated, clerk, "/v1/employers/"+m.code+"/months", map[string]any{
			"month": m.month, "insuredHeadcount": m.insured, "premiumsPaid": fenText(m.premiums)})
	}
	c.post(http.StatusCreated, eLi, "/v1/employers/"+e.laidOff+"/layoffs", map[string]any{"on": "2025-02-10", "count": 12, "reason": "经营困难裁员"})
	var big employer.State
	c.get(eAuditor, "/v1/employers/"+e.big, &big)
	if len(big.Months) != 2 || big.Months["2024-03"].InsuredHeadcount != bigThen || big.Months["2025-03"].InsuredHeadcount != bigNow ||
		big.SizeClass != employer.Large || big.Region != string(e2eGolmud) {
		r.t.Fatalf("employer %s reads %+v", e.big, big)
	}
	var laidOff employer.State
	c.get(eAuditor, "/v1/employers/"+e.laidOff, &laidOff)
	if len(laidOff.Layoffs) != 1 || laidOff.Layoffs[0].Count != 12 {
		r.t.Fatalf("employer %s shows layoffs %+v", e.laidOff, laidOff.Layoffs)
	}
}

// views is what the officers see of the ledger: every budget line, fund
// and claim, as the server writes them.
func (r *e2eRun) views() string {
	r.t.Helper()
	var out []byte
	for _, p := range []string{"/v1/budget-lines?limit=100", "/v1/funds?limit=100", "/v1/claims?limit=100", "/v1/targets/632802/2025"} {
		out = append(out, r.c.must(http.StatusOK, eAuditor, http.MethodGet, p, nil).body...)
	}
	return string(out)
}

// e2eInstant is the ledger as it stood at a past instant.
type e2eInstant struct {
	at       time.Time
	position uint64
	books    *e2eBooks
	status   map[string]string
}

// mark records the instant between the approvals and the payments, with
// the books and the claims' statuses then.
func (r *e2eRun) mark() e2eInstant {
	r.t.Helper()
	var claims api.Page[projections.ClaimRow]
	r.c.get(eAuditor, "/v1/claims?limit=100", &claims)
	status := map[string]string{}
	for _, row := range claims.Items {
		status[row.ID] = string(row.Status)
	}
	m := e2eInstant{at: time.Now(), position: r.logHead(), books: r.books.clone(), status: status}
	// The next event must be recorded strictly after the instant.
	time.Sleep(20 * time.Millisecond)
	return m
}
