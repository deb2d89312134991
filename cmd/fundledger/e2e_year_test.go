package main

import (
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strconv"

	"github.com/haixi-hrss/fundledger/api"
	"github.com/haixi-hrss/fundledger/domain/programme"
	"github.com/haixi-hrss/fundledger/domain/region"
	"github.com/haixi-hrss/fundledger/projections"
)

// Amounts the test computes from what it files, under the 2025 policy
// versions: refund rates 30% (≥ 300 insured staff) and 60% (SMEs), the
// 1,500.00 expansion grant, employer premiums in full for absorption, 2/3
// of premiums for flexible employment, the 1,500.00 intermediate
// skill-upgrade cap, half the 1,200.00 training standard in advance and
// the rest on placement, the 5,000.00 start-up subsidy.
var (
	bigRefund    = rateOf(200_000_000, 30, 100) // 600,000.00: above the 500,000.00 two-approver threshold
	smallRefund  = rateOf(8_000_000, 60, 100)   // 48,000.00
	grant        = int64(150_000)
	absorbMonth  = int64(80_000 + 30_000 + 4_000) // pension + medical + unemployment premiums
	flexMonth    = rateOf(90_000, 2, 3)
	skillCap     = int64(150_000)
	trainAdvance = rateOf(120_000, 1, 2)
	trainSettle  = 120_000 - trainAdvance
	startUp      = int64(500_000)
	oneTime      = int64(100_000) // the one-time absorption subsidy
)

// stabilization builds a refund claim for an employer.
func (r *e2eRun) stabilization(id, code string, county region.Code, staff, claimants int, premiums, amount int64) e2eClaim {
	return newClaim(id, "stabilization", programme.Stabilization, county, eClerkOf(county), "2025-03-20", amount,
		e2eMaskCode(code), map[string]any{
			"employer": code, "year": e2eYear, "insuredStaff": staff, "premiumMonthsPaidInFull": 12,
			"premiumsPaidLastYear": fenText(premiums), "newUIClaimants": claimants, "averageMonthlyInsured": strconv.Itoa(staff),
			"insuredLastYearEnd": staff, "insuredThisYearEnd": staff})
}

// expansion builds an expansion grant claim for a 2024 graduate hired by
// the large employer in January.
func (r *e2eRun) expansion(id string, p e2ePerson) e2eClaim {
	return newClaim(id, "expansion", programme.Expansion, e2eGolmud, eLi, "2025-03-15", grant, p.masked, map[string]any{
		"employer": r.codes().big, "group": "graduate", "graduationDate": "2024-06-30", "regularDegreeCourse": true,
		"contractDate": "2025-01-15", "insuredMonthsUnemployment": 3, "insuredMonthsWorkInjury": 3,
		"insuredMonthsPension": 3, "insuredAtCheck": true}, "residentId", p.id)
}

// firstQuarter files the refunds and expansion grants and decides them:
// maker-checker refuses Li's approval of his own claim, the 600,000.00
// refund needs two different approvers, an ineligible refund is rejected
// by the check, a second grant for one person is refused, and a grant is
// rejected by an approver.
func (r *e2eRun) firstQuarter() {
	c, e := r.c, r.codes()
	r.submit(r.stabilization("stab-big", e.big, e2eGolmud, 420, 5, 200_000_000, bigRefund))
	r.submit(r.stabilization("stab-small", e.small, e2eDelingha, 50, 1, 8_000_000, smallRefund))
	// 12 new UI claimants over 120 insured is a 10% layoff rate, above
	// 5.5%: the check rejects the claim, so nothing is ever reserved.
	laidOff := r.stabilization("stab-laid-off", e.laidOff, e2eGolmud, 120, 12, 15_000_000, 0)
	cr := c.post(http.StatusCreated, eLi, "/v1/claims/stabilization", laidOff.body)
	if !slices.Equal(eventTypes(cr), []string{"ClaimSubmitted", "ClaimChecked", "ClaimRejected"}) {
		r.t.Fatalf("ineligible refund appended %v", eventTypes(cr))
	}
	r.claims[laidOff.id] = laidOff
	if row := r.claimRow(laidOff.id); row.Status != "rejected" {
		r.t.Fatalf("ineligible refund is %s, want rejected", row.Status)
	}

	p1, p2 := e2eResident(r.t, 1), e2eResident(r.t, 2)
	r.submit(r.expansion("exp-p1", p1))
	// The grant is once per person, ever.
	c.refused(http.StatusConflict, "duplicate", "", eLi, http.MethodPost, "/v1/claims/expansion", r.expansion("exp-p1-again", p1).body)
	r.submit(r.expansion("exp-p2", p2))

	// Li submitted the refund and may not approve it with his approver's
	// token; the first approval of a claim above the threshold reserves
	// nothing, and the same approver may not count twice.
	c.refused(http.StatusConflict, "rule-violation", "maker-checker", eLiApprover, http.MethodPost, "/v1/claims/stab-big/approval",
		map[string]any{"reason": "自己审批"})
	r.approve("stab-big", eWang, false)
	c.refused(http.StatusConflict, "rule-violation", "two-different-approvers", eWang, http.MethodPost, "/v1/claims/stab-big/approval",
		map[string]any{"reason": "再次审批"})
	r.wantClaim("stab-big", "checked", bigRefund, 0, 0)
	r.wantQueue(eWang, "exp-p1", "exp-p2", "stab-small")
	r.wantQueue(eZhou, "exp-p1", "exp-p2", "stab-big", "stab-small")
	r.approve("stab-big", eZhou, true)
	r.wantClaim("stab-big", "approved", bigRefund, 0, 0)

	r.approve("stab-small", eWang, true)
	r.approve("exp-p1", eWang, true)
	c.post(http.StatusOK, eZhou, "/v1/claims/exp-p2/rejection", map[string]any{"reason": "劳动合同未在扩岗政策期内签订"})
	r.wantClaim("exp-p2", "rejected", grant, 0, 0)
	r.wantQueue(eZhou)
}

// wantQueue requires an approver's queue to list exactly ids, in ID
// order.
func (r *e2eRun) wantQueue(as string, ids ...string) {
	r.t.Helper()
	var q api.Page[projections.ClaimRow]
	r.c.get(as, "/v1/queue?limit=100", &q)
	var got []string
	for _, row := range q.Items {
		got = append(got, row.ID)
	}
	slices.Sort(got)
	if !slices.Equal(got, ids) {
		r.t.Fatalf("%s's queue lists %v, want %v", as, got, ids)
	}
}

// secondQuarter discloses the approved claims, an objection sending one
// refund back to review, and files and approves the claims of the other
// kinds.
func (r *e2eRun) secondQuarter() {
	c, e := r.c, r.codes()
	r.disclose("stab-big", "2025-04-01", true)
	r.disclose("exp-p1", "2025-04-01", false)

	// An objection during disclosure sends the refund back to review and
	// releases its reservation; a new round of approval reserves it again.
	c.post(http.StatusOK, eHan, "/v1/claims/stab-small/disclosure", map[string]any{"on": "2025-04-01", "masked": e2eMaskCode(e.small)})
	c.post(http.StatusOK, eZhou, "/v1/claims/stab-small/objections", map[string]any{"reason": "群众举报：实际裁员人数与申报不符"})
	line := r.books.line(r.t, e2eLineID(programme.Stabilization, e2eDelingha))
	line.reserved -= smallRefund
	line.released += smallRefund
	if row := r.wantClaim("stab-small", "checked", smallRefund, 0, 0); len(row.Approvers) != 0 {
		r.t.Fatalf("after the objection the refund keeps approvers %v", row.Approvers)
	}
	r.books.check(r.t, c, "after the objection")
	r.approve("stab-small", eZhou, true)
	r.disclose("stab-small", "2025-04-21", false)

	r.batch()

	p3, p4, p5, p6, p8, p9 := e2eResident(r.t, 3), e2eResident(r.t, 4), e2eResident(r.t, 5), e2eResident(r.t, 6), e2eResident(r.t, 8),
		e2eResident(r.t, 9)
	var filed []string
	for _, month := range []string{"03", "04", "05"} {
		k := newClaim("abs-p3-"+month, "absorption", programme.Absorption, e2eGolmud, eLi, "2025-"+month+"-28", absorbMonth, p3.masked,
			map[string]any{"employer": e.big, "category": "disabled", "firstApproval": "2025-03-01", "retirementDate": "2050-01-01",
				"month": "2025-" + month + "-01", "pensionPremium": "800.00", "medicalPremium": "300.00", "unemploymentPremium": "40.00"},
			"residentId", p3.id)
		r.submit(k)
		filed = append(filed, k.id)
	}
	for _, month := range []string{"04", "05"} {
		k := newClaim("si-p4-"+month, "social-insurance", programme.SocialInsurance, e2eDelingha, eHan, "2025-"+month+"-28", flexMonth,
			p4.masked, map[string]any{"group": "hardship", "category": "low-income", "registered": true, "firstApproval": "2025-04-01",
				"retirementDate": "2050-01-01", "month": "2025-" + month + "-01", "premiumsPaid": "900.00"}, "residentId", p4.id)
		r.submit(k)
		filed = append(filed, k.id)
	}
	for _, k := range []e2eClaim{
		newClaim("skill-p5", "skill-upgrade", programme.SkillUpgrade, e2eDelingha, eHan, "2025-05-10", skillCap, p5.masked,
			map[string]any{"insuredMonths": 24, "occupation": "6-30-99-00", "level": "intermediate", "certificateDate": "2025-04-20"},
			"residentId", p5.id),
		newClaim("train-p6-advance", "vocational-training", programme.VocationalTraining, e2eGolmud, eLi, "2025-04-15", trainAdvance,
			e2eMaskCode(e.provider), map[string]any{"stage": "advance", "occupation": "4-10-01-02", "level": "initial", "standard": "1200.00"},
			"residentId", p6.id, "provider", e.provider),
		// A graduate hired by a medium-sized enterprise: the one-time
		// absorption subsidy, charged to the absorption line.
		newClaim("ota-p9", "one-time-absorption", programme.Absorption, e2eGolmud, eLi, "2025-05-15", oneTime, p9.masked,
			r.oneTimeFacts(e.laidOff), "residentId", p9.id),
		newClaim("start-p8", "start-up", programme.StartUp, e2eDelingha, eHan, "2025-05-20", startUp, p8.masked,
			map[string]any{"group": "graduate", "graduationDate": "2023-06-30", "firstTimeFounder": true, "business": e.business,
				"registered": "2023-09-01", "operating": true}, "residentId", p8.id),
	} {
		r.submit(k)
		filed = append(filed, k.id)
	}
	// The one-time absorption subsidy and the expansion grant are never
	// both paid for one person: p1 holds a grant.
	c.refused(http.StatusConflict, "duplicate", "", eLi, http.MethodPost, "/v1/claims/one-time-absorption",
		newClaim("ota-p1", "one-time-absorption", programme.Absorption, e2eGolmud, eLi, "2025-05-15", oneTime, "",
			r.oneTimeFacts(e.laidOff), "residentId", e2eResident(r.t, 1).id).body)
	filed = append(filed, r.batchClaim)
	for i, id := range filed {
		approver := eWang
		if i%2 == 1 {
			approver = eZhou
		}
		r.approve(id, approver, true)
		r.disclose(id, "2025-06-02", false)
		r.wantClaim(id, "disclosed", r.claims[id].amount, 0, 0)
	}
	r.wantClaim("stab-big", "disclosed", bigRefund, 0, 0)
}

// payments pays the disclosed claims: the small refund's first transfer
// fails and is retried, one absorption month fails and its claim is
// cancelled, which gives the money back to the line.
func (r *e2eRun) payments() {
	c := r.c
	r.pay("stab-big", "pay-stab-big", "2025-07-01", true)
	r.wantClaim("stab-big", "paid", bigRefund, bigRefund, 0)

	r.pay("stab-small", "pay-stab-small-1", "2025-07-01", false)
	r.wantClaim("stab-small", "disclosed", smallRefund, 0, 0)
	r.books.check(r.t, c, "after a failed payment (the money stays reserved)")
	r.pay("stab-small", "pay-stab-small-2", "2025-07-03", true)
	r.wantClaim("stab-small", "paid", smallRefund, smallRefund, 0)

	for _, id := range []string{"exp-p1", "abs-p3-03", "abs-p3-04", "ota-p9", r.batchClaim, "si-p4-04", "si-p4-05", "skill-p5", "train-p6-advance", "start-p8"} {
		r.pay(id, "pay-"+id, "2025-07-01", true)
		r.wantClaim(id, "paid", r.claims[id].amount, r.claims[id].amount, 0)
	}

	r.pay("abs-p3-05", "pay-abs-p3-05", "2025-07-01", false)
	c.post(http.StatusOK, eTreasurer, "/v1/claims/abs-p3-05/cancellation", map[string]any{"reason": "雇主银行账户注销，本月补贴不再支付"})
	line := r.books.line(r.t, e2eLineID(programme.Absorption, e2eGolmud))
	line.reserved -= absorbMonth
	line.released += absorbMonth
	r.wantClaim("abs-p3-05", "cancelled", absorbMonth, 0, 0)
}

// oneTimeFacts are the facts of a 2024 graduate hired in April on an
// open-ended contract by a small or medium enterprise.
func (r *e2eRun) oneTimeFacts(employer string) map[string]any {
	return map[string]any{"employer": employer, "graduationDate": "2024-06-30", "contractDate": "2025-04-01",
		"insuredMonths": 2, "smallOrMedium": true}
}

// batchRefund is the refund of the unit the batch finds eligible: 20
// insured staff, no layoffs, 36,000.00 of premiums at the SME rate.
var batchRefund = rateOf(3_600_000, 60, 100)

// batch runs Delingha's refunds without application (免申即享): a CSV of
// insured units, of which one is eligible, one seriously dishonest and
// one already holds its refund.
func (r *e2eRun) batch() {
	e := r.codes()
	fresh, dishonest := e2eCredit(r.t, "91632802MA0000006"), e2eCredit(r.t, "91632802MA0000007")
	csv := "credit_code,unit_name,insured_staff,premium_months_paid_in_full,premiums_paid_last_year,new_ui_claimants," +
		"average_monthly_insured,insured_last_year_end,insured_this_year_end,seriously_dishonest,province_reserves_one_year\n" +
		e.small + ",德令哈枸杞加工有限公司,50,12,80000.00,1,50,50,50,false,false\n" +
		fresh + ",德令哈光伏运维有限公司,20,12,36000.00,0,20,20,20,false,false\n" +
		dishonest + ",德令哈某商贸有限公司,12,12,9000.00,0,12,12,12,true,false\n"
	q := url.Values{"year": {"2025"}, "effectiveDate": {"2025-04-25"}, "region": {string(e2eDelingha)},
		"budgetLineId": {e2eLineID(programme.Stabilization, e2eDelingha)}}
	var rep api.StabilizationImport
	r.c.must(http.StatusOK, eHan, http.MethodPost, "/v1/batches/stabilization?"+q.Encode(), csv, "Content-Type", "text/csv").decode(r.t, &rep)
	var got []string
	for _, o := range rep.Outcomes {
		got = append(got, fmt.Sprintf("line %d %s %s", o.Line, o.Status, o.Amount))
	}
	want := []string{"line 2 duplicate 0.00", "line 3 eligible " + fenText(batchRefund), "line 4 ineligible 0.00"}
	if !slices.Equal(got, want) || rep.Eligible != 1 || rep.Ineligible != 1 || rep.Duplicates != 1 || rep.Total.String() != fenText(batchRefund) ||
		rep.PolicyVersion != "stabilization-2025" {
		r.t.Fatalf("batch report %+v, outcomes %v, want %v", rep, got, want)
	}
	r.batchClaim = rep.Outcomes[1].ClaimID
	r.claims[r.batchClaim] = e2eClaim{id: r.batchClaim, kind: "stabilization", prog: programme.Stabilization, county: e2eDelingha,
		clerk: eHan, amount: batchRefund, masked: e2eMaskCode(fresh)}
	r.wantClaim(r.batchClaim, "checked", batchRefund, 0, 0)
}
