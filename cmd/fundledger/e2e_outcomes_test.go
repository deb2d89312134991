package main

import (
	"fmt"
	"net/http"

	"github.com/haixi-hrss/fundledger/domain/outcome/hire"
	"github.com/haixi-hrss/fundledger/domain/outcome/trainee"
	"github.com/haixi-hrss/fundledger/domain/programme"
	"github.com/haixi-hrss/fundledger/domain/region"
)

// e2eIndicators are the monthly indicator values the clerks report, by
// county, indicator and month; Golmud's February new urban jobs are
// first reported as 280 and then corrected.
var e2eIndicators = []struct {
	county    region.Code
	indicator string
	month     string
	value     int64
}{
	{e2eGolmud, "new-urban-jobs", "2025-01", 310},
	{e2eGolmud, "new-urban-jobs", "2025-02", 280},
	{e2eGolmud, "new-urban-jobs", "2025-03", 402},
	{e2eDelingha, "new-urban-jobs", "2025-01", 150},
	{e2eDelingha, "new-urban-jobs", "2025-02", 133},
	{e2eDelingha, "new-urban-jobs", "2025-03", 201},
	{e2eGolmud, "labour-transfer", "2025-03", 5120},
}

const e2eCorrectedFebruary = 290

// outcomes records what the money bought and what it did not: hires
// followed at +3, +6 and +12 months, a clawback when a grant's hire left
// within three months, trainees placed within and after the window with
// the placed trainee's settlement paid, a second transfer, and the
// counties' monthly indicators with a correction.
func (r *e2eRun) outcomes() {
	c, e := r.c, r.codes()
	p1, p3, p6, p7 := e2eResident(r.t, 1), e2eResident(r.t, 3), e2eResident(r.t, 6), e2eResident(r.t, 7)

	c.post(http.StatusCreated, eLi, "/v1/hires", map[string]any{"hireId": "hire-p1", "residentId": p1.id, "employer": e.big,
		"hiredOn": "2025-01-15", "insured": true, "claimId": "exp-p1"})
	c.post(http.StatusCreated, eLi, "/v1/hires/hire-p1/checkpoints", map[string]any{"months": 3, "asOf": "2025-04-16", "insured": false})
	c.post(http.StatusCreated, eLi, "/v1/hires", map[string]any{"hireId": "hire-p3", "residentId": p3.id, "employer": e.big,
		"hiredOn": "2025-03-01", "insured": true, "claimId": "abs-p3-03"})
	c.refused(http.StatusConflict, "rule-violation", "checkpoint-reached", eLi, http.MethodPost, "/v1/hires/hire-p3/checkpoints",
		map[string]any{"months": 6, "asOf": "2025-06-03", "insured": true})
	for _, cp := range []struct {
		months int
		asOf   string
	}{{3, "2025-06-03"}, {6, "2025-09-01"}, {12, "2026-03-02"}} {
		c.post(http.StatusCreated, eLi, "/v1/hires/hire-p3/checkpoints", map[string]any{"months": cp.months, "asOf": cp.asOf, "insured": true})
	}
	var h hire.State
	c.get(eAuditor, "/v1/hires/hire-p3", &h)
	if len(h.Checkpoints) != 3 || !h.Checkpoints[12].Insured || h.Checkpoints[12].AsOf.String() != "2026-03-02" || h.ClaimID != "abs-p3-03" {
		r.t.Fatalf("hire-p3 reads %+v", h)
	}

	// The grant's hire left within three months: part of the grant is
	// recovered, and never more than was paid.
	c.post(http.StatusOK, eTreasurer, "/v1/claims/exp-p1/clawbacks", map[string]any{"recoveryId": "rec-p1-1", "amount": fenText(100_000),
		"reason": "ineligible", "detail": "+3 月核查未在保，劳动合同已解除", "on": "2025-07-20"})
	r.books.line(r.t, e2eLineID(programme.Expansion, e2eGolmud)).recov += 100_000
	c.refused(http.StatusConflict, "rule-violation", "recovered-within-paid", eTreasurer, http.MethodPost, "/v1/claims/exp-p1/clawbacks",
		map[string]any{"recoveryId": "rec-p1-2", "amount": fenText(grant - 100_000 + 1), "reason": "ineligible", "detail": "超额追回", "on": "2025-07-21"})
	r.wantClaim("exp-p1", "paid", grant, grant, 100_000)

	// Each certification names the county whose training budget the
	// trainee counts against; the Delingha trainee is placed late.
	for _, tr := range []struct {
		id       string
		p        e2ePerson
		county   region.Code
		employer string
		placed   string
		within   bool
	}{
		{"trainee-p6", p6, e2eGolmud, e.big, "2025-08-01", true},
		{"trainee-p7", p7, e2eDelingha, e.small, "2025-12-15", false},
	} {
		c.post(http.StatusCreated, eClerkOf(tr.county), "/v1/trainees", map[string]any{"traineeId": tr.id, "residentId": tr.p.id,
			"occupation": "4-10-01-02", "level": "initial", "county": tr.county, "programme": programme.VocationalTraining, "on": "2025-05-20"})
		c.post(http.StatusCreated, eClerkOf(tr.county), "/v1/trainees/"+tr.id+"/placement", map[string]any{"employer": tr.employer, "on": tr.placed, "windowMonths": 6})
		var st trainee.State
		c.get(eAuditor, "/v1/trainees/"+tr.id, &st)
		if !st.Placed || st.WithinWindow != tr.within || st.PlacedOn.String() != tr.placed {
			r.t.Fatalf("%s reads %+v", tr.id, st)
		}
	}
	settle := newClaim("train-p6-settle", "vocational-training", programme.VocationalTraining, e2eGolmud, eLi, "2025-08-15", trainSettle,
		p6.masked, map[string]any{"stage": "settlement", "occupation": "4-10-01-02", "level": "initial", "standard": "1200.00",
			"certificateDate": "2025-05-20", "placementDate": "2025-08-01", "advancePaid": fenText(trainAdvance)}, "residentId", p6.id)
	r.submit(settle)
	r.fullCycle(settle.id, eZhou, "2025-08-18", "2025-09-01")

	r.transfer(e2eESF, "青财社〔2025〕41号", 150_000_000, "2025-06-10")

	for _, in := range e2eIndicators {
		c.post(http.StatusCreated, eClerkOf(in.county), "/v1/indicators", map[string]any{"region": in.county, "year": e2eYear,
			"indicator": in.indicator, "month": in.month, "value": in.value})
	}
	fix := map[string]any{"region": e2eGolmud, "year": e2eYear, "indicator": "new-urban-jobs", "month": "2025-02", "value": e2eCorrectedFebruary}
	c.refused(http.StatusConflict, "rule-violation", "month-recorded-once", eLi, http.MethodPost, "/v1/indicators", fix)
	fix["correction"] = "人社局复核：漏报 10 人"
	c.post(http.StatusCreated, eLi, "/v1/indicators", fix)
}

// e2eIndicatorSum is the year-to-date total of an indicator for counties
// over the months up to and including through ("2025-03"), corrections
// applied.
func e2eIndicatorSum(indicator, through string, counties ...region.Code) int64 {
	var n int64
	for _, in := range e2eIndicators {
		for _, c := range counties {
			if in.county != c || in.indicator != indicator || in.month > through {
				continue
			}
			if c == e2eGolmud && indicator == "new-urban-jobs" && in.month == "2025-02" {
				n += e2eCorrectedFebruary
			} else {
				n += in.value
			}
		}
	}
	return n
}

// e2eThousands prints n with thousands separators, as the reports do.
func e2eThousands(n int64) string {
	s := fmt.Sprint(n)
	for i := len(s) - 3; i > 0; i -= 3 {
		s = s[:i] + "," + s[i:]
	}
	return s
}
