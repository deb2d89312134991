package main

import (
	"fmt"
	"net/http"
	"slices"
	"testing"

	"github.com/haixi-hrss/fundledger/api"
	"github.com/haixi-hrss/fundledger/domain/budget"
	"github.com/haixi-hrss/fundledger/domain/calendar"
	"github.com/haixi-hrss/fundledger/domain/identity"
	"github.com/haixi-hrss/fundledger/domain/programme"
	"github.com/haixi-hrss/fundledger/domain/region"
	"github.com/haixi-hrss/fundledger/projections"
)

// The year's fiscal year, funds and the counties the test works in.
const (
	e2eYear     = 2025
	e2eUI       = "ui-2025"
	e2eESF      = "esf-2025"
	e2eGolmud   = region.Golmud
	e2eDelingha = region.Delingha
)

// e2eLineID is the budget line of programme p in county for the year.
func e2eLineID(p programme.Code, county region.Code) string {
	fund := e2eESF
	if p.Fund() == programme.UnemploymentInsurance {
		fund = e2eUI
	}
	return budget.LineID(fund, p, county, e2eYear)
}

// e2eCredit completes a 17-character prefix with its GB 32100 check
// character.
func e2eCredit(t *testing.T, first17 string) string {
	t.Helper()
	c, ok := identity.CreditCheckChar(first17)
	if !ok {
		t.Fatalf("no check character for %q", first17)
	}
	return first17 + string(c)
}

// e2ePerson is a resident of Golmud born on 1 January 1990 with sequence
// n: the full ID the clerk sends and the masked form disclosure shows.
type e2ePerson struct{ id, masked string }

func e2eResident(t *testing.T, n int) e2ePerson {
	t.Helper()
	first17 := fmt.Sprintf("63280119900101%03d", n)
	c, ok := identity.ResidentCheckChar(first17)
	if !ok {
		t.Fatalf("no check character for %q", first17)
	}
	id, err := identity.ParseResidentID("id", first17+string(c))
	if err != nil {
		t.Fatal(err)
	}
	return e2ePerson{id: id.Plain(), masked: id.Masked()}
}

// e2eMaskCode masks a credit code for a disclosure notice.
func e2eMaskCode(code string) string { return code[:6] + "********" + code[14:] }

// e2eClaim is one claim the year files: where it is charged and what the
// test computed it must be approved for.
type e2eClaim struct {
	id     string
	kind   string // the path under /v1/claims/
	prog   programme.Code
	county region.Code
	clerk  string
	amount int64 // fen
	masked string
	body   map[string]any
}

func (k e2eClaim) line() string { return e2eLineID(k.prog, k.county) }

// newClaim builds a claim request body.
func newClaim(id, kind string, prog programme.Code, county region.Code, clerk, effective string, amount int64, masked string,
	facts map[string]any, extra ...string) e2eClaim {
	body := map[string]any{"claimId": id, "budgetLineId": e2eLineID(prog, county), "region": county, "effectiveDate": effective, "facts": facts}
	for i := 0; i+1 < len(extra); i += 2 {
		body[extra[i]] = extra[i+1]
	}
	return e2eClaim{id: id, kind: kind, prog: prog, county: county, clerk: clerk, amount: amount, masked: masked, body: body}
}

// e2eRun is the year being driven: the client, the books and the claims.
type e2eRun struct {
	t      *testing.T
	c      *e2eClient
	books  *e2eBooks
	claims map[string]e2eClaim
	// batchClaim is the refund claim the stabilization batch filed.
	batchClaim string
}

// claimRow reads a claim as the auditor sees it.
func (r *e2eRun) claimRow(id string) projections.ClaimRow {
	r.t.Helper()
	var row projections.ClaimRow
	r.c.get(eAuditor, "/v1/claims/"+id, &row)
	return row
}

// wantClaim requires the claim's status and its approved, paid and
// recovered amounts.
func (r *e2eRun) wantClaim(id string, status string, approved, paid, recovered int64) projections.ClaimRow {
	r.t.Helper()
	row := r.claimRow(id)
	got := fmt.Sprintf("%s approved=%s paid=%s recovered=%s", row.Status, row.Approved, row.Paid, row.Recovered)
	want := fmt.Sprintf("%s approved=%s paid=%s recovered=%s", status, fenText(approved), fenText(paid), fenText(recovered))
	if got != want {
		r.t.Fatalf("claim %s: %s, want %s", id, got, want)
	}
	return row
}

// submit files a claim and requires it to be checked for the amount the
// test computed under the programme's 2025 policy version.
func (r *e2eRun) submit(k e2eClaim) {
	r.t.Helper()
	cr := r.c.post(http.StatusCreated, k.clerk, "/v1/claims/"+k.kind, k.body)
	if types := eventTypes(cr); !slices.Equal(types, []string{"ClaimSubmitted", "ClaimChecked"}) {
		r.t.Fatalf("submitting %s appended %v", k.id, types)
	}
	r.claims[k.id] = k
	row := r.wantClaim(k.id, "checked", k.amount, 0, 0)
	if row.PolicyVersion != string(k.prog)+"-2025" || row.SubmittedBy != k.clerk || string(row.County) != string(k.county) {
		r.t.Fatalf("claim %s: policy %q, submitted by %q in %s", k.id, row.PolicyVersion, row.SubmittedBy, row.County)
	}
}

func eventTypes(cr api.CommandResponse) []string {
	var out []string
	for _, e := range cr.Events {
		out = append(out, e.Type)
	}
	return out
}

// approve records an approval; final says it completes the approval,
// which reserves the claim's amount on its line.
func (r *e2eRun) approve(id, as string, final bool) {
	r.t.Helper()
	cr := r.c.post(http.StatusOK, as, "/v1/claims/"+id+"/approval", map[string]any{"reason": "材料齐全，符合条件"})
	types := eventTypes(cr)
	if final != slices.Contains(types, "ClaimApproved") {
		r.t.Fatalf("approval of %s by %s appended %v; completes the approval: %v", id, as, types, final)
	}
	if final {
		k := r.claims[id]
		l := r.books.line(r.t, k.line())
		l.reserved += k.amount
		l.reservations += k.amount
	}
}

// disclose runs a claim's public disclosure (公示) from start to the
// first day it may end: nine calendar days hold at least five working
// days. Ending it on its third day is refused.
func (r *e2eRun) disclose(id, start string, early bool) {
	r.t.Helper()
	k := r.claims[id]
	clerk := k.clerk
	r.c.post(http.StatusOK, clerk, "/v1/claims/"+id+"/disclosure", map[string]any{"on": start, "masked": k.masked})
	d := calendar.MustParse(start)
	if early {
		r.c.refused(http.StatusConflict, "rule-violation", "disclosure-working-days", clerk, http.MethodPost,
			"/v1/claims/"+id+"/disclosure/completion", map[string]any{"on": d.AddDays(2).String()})
	}
	r.c.post(http.StatusOK, clerk, "/v1/claims/"+id+"/disclosure/completion", map[string]any{"on": d.AddDays(9).String()})
}

// pay releases instalment 1 under paymentID and records the bank's
// answer: paid spends the reservation, failed leaves it reserved.
func (r *e2eRun) pay(id, paymentID, on string, paid bool) {
	r.t.Helper()
	r.c.post(http.StatusOK, eTreasurer, "/v1/claims/"+id+"/payments", map[string]any{"instalment": 1, "paymentId": paymentID})
	result := map[string]any{"instalment": 1, "paid": paid, "on": on}
	if paid {
		result["bankRef"] = "BOC-" + paymentID
	} else {
		result["reason"] = "收款账户已销户"
	}
	cr := r.c.post(http.StatusOK, eTreasurer, "/v1/claims/"+id+"/payments/"+paymentID+"/result", result)
	want := "ClaimPaymentFailed"
	if paid {
		want = "ClaimInstalmentPaid"
		k := r.claims[id]
		l := r.books.line(r.t, k.line())
		l.reserved -= k.amount
		l.spent += k.amount
	}
	if types := eventTypes(cr); len(types) == 0 || types[0] != want {
		r.t.Fatalf("payment result of %s appended %v, want %s first", id, types, want)
	}
}

// fullCycle takes a submitted claim through approval, disclosure and a
// successful payment.
func (r *e2eRun) fullCycle(id, approver, discloseOn, paidOn string) {
	r.t.Helper()
	r.approve(id, approver, true)
	r.disclose(id, discloseOn, false)
	r.pay(id, "pay-"+id, paidOn, true)
	k := r.claims[id]
	r.wantClaim(id, "paid", k.amount, k.amount, 0)
}
