package main

import (
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/haixi-hrss/fundledger/api"
	"github.com/haixi-hrss/fundledger/domain/programme"
	"github.com/haixi-hrss/fundledger/projections"
)

// audit reads the year as an auditor: a claim's whole trail, a payment
// traced back to its allocation, the raw log (complete, chained and free
// of resident IDs), an actor's actions, the anomaly report, and the
// budget lines and claims as of the instant between the disclosures and
// the payments.
func (r *e2eRun) audit(past e2eInstant) {
	c := r.c

	var trail api.Page[projections.TrailEntry]
	c.get(eAuditor, "/v1/audit/claims/stab-small/trail?limit=100", &trail)
	var types []string
	for _, e := range trail.Items {
		types = append(types, e.Type)
	}
	// The line reserves the money before the claim records the approval
	// that needs it, so no claim is ever approved without its money.
	wantTrail := []string{
		"ClaimSubmitted", "ClaimChecked", "FundsReserved", "ClaimApprovalRecorded", "ClaimApproved",
		"ClaimDisclosureStarted", "ClaimObjectionRaised", "FundsReleased",
		"FundsReserved", "ClaimApprovalRecorded", "ClaimApproved", "ClaimDisclosureStarted", "ClaimDisclosed",
		"ClaimPaymentReleased", "ClaimPaymentFailed", "ClaimPaymentReleased", "ClaimInstalmentPaid", "FundsSpent",
	}
	if !slices.Equal(types, wantTrail) {
		r.t.Fatalf("trail of stab-small:\n got %v\nwant %v", types, wantTrail)
	}

	var trace projections.PaymentTrace
	c.get(eAuditor, "/v1/audit/claims/stab-big/payment-trace", &trace)
	var approvers []string
	for _, a := range trace.Approvals {
		approvers = append(approvers, a.Actor+"/"+a.Role)
	}
	line := e2eLineID(programme.Stabilization, e2eGolmud)
	if !slices.Equal(approvers, []string{eWang + "/approver", eZhou + "/approver"}) || trace.CheckPolicy != "stabilization-2025" ||
		trace.BudgetLineID != line || trace.Submission.Actor != eLi || len(trace.Allocations) != 1 ||
		trace.Allocations[0].FundID != e2eUI || trace.Allocations[0].Amount.String() != fenText(r.books.line(r.t, line).allocated) {
		r.t.Fatalf("payment trace of stab-big: %+v", trace)
	}

	// An actor's actions are the log's events recorded under the actor,
	// less the bookkeeping of idempotency keys (idem-) and uniqueness
	// keys (uniq-) that his commands also wrote.
	var want, got []uint64
	for _, e := range r.rawLog() {
		if e.Metadata.Actor == eLi && !strings.HasPrefix(e.Stream, "idem-") && !strings.HasPrefix(e.Stream, "uniq-") {
			want = append(want, e.Position)
		}
	}
	var actions api.Page[projections.Action]
	c.get(eAuditor, "/v1/audit/actors/"+eLi+"/actions?limit=500", &actions)
	for _, a := range actions.Items {
		got = append(got, a.Position)
	}
	if !slices.Equal(got, want) || actions.NextCursor != "" || len(want) == 0 {
		r.t.Fatalf("%s's actions are at positions %v, the log has his events at %v", eLi, got, want)
	}

	var stream api.Page[api.RawEvent]
	c.get(eAuditor, "/v1/audit/streams/claim-stab-big/events?limit=100", &stream)
	for i, e := range stream.Items {
		if e.Version != stream.Items[0].Version+uint64(i) || (i > 0 && e.PrevHash != stream.Items[i-1].Hash) || e.Stream != "claim-stab-big" {
			r.t.Fatalf("claim-stab-big event %d breaks the stream's chain: %+v", i, e)
		}
	}

	var anomalies api.Page[projections.Anomaly]
	c.get(eAuditor, "/v1/audit/anomalies?limit=100", &anomalies)
	if len(anomalies.Items) != 0 {
		r.t.Fatalf("anomalies in a year without any: %+v", anomalies.Items)
	}

	r.asOf(past)
}

// rawLog pages through the whole log as the auditor and requires it to
// hold every position from 1 up, at least to the last command's, with no
// plaintext resident ID. (The log's head is past the last command's
// events by the idempotency records written after them.)
func (r *e2eRun) rawLog() []api.RawEvent {
	r.t.Helper()
	var all []api.RawEvent
	cursor := ""
	for {
		var page api.Page[api.RawEvent]
		resp := r.c.must(http.StatusOK, eAuditor, http.MethodGet, "/v1/audit/events?limit=200&cursor="+url.QueryEscape(cursor), nil)
		resp.decode(r.t, &page)
		for n := 1; n <= 9; n++ {
			if id := e2eResident(r.t, n).id; strings.Contains(string(resp.body), id) {
				r.t.Fatalf("the raw log holds resident ID %s in plain text", id)
			}
		}
		all = append(all, page.Items...)
		if page.NextCursor == "" {
			break
		}
		cursor = page.NextCursor
	}
	for i, e := range all {
		if e.Position != uint64(i)+1 {
			r.t.Fatalf("raw log entry %d has position %d", i, e.Position)
		}
	}
	if uint64(len(all)) < r.c.head {
		r.t.Fatalf("the raw log holds %d events, the last command reached position %d", len(all), r.c.head)
	}
	return all
}

// logHead is the position of the log's last event.
func (r *e2eRun) logHead() uint64 {
	r.t.Helper()
	return uint64(len(r.rawLog()))
}

// asOf replays the log as of the past instant: the budget lines must be
// the books then, and claims stand as they did, not as they do now.
func (r *e2eRun) asOf(past e2eInstant) {
	at := url.QueryEscape(past.at.UTC().Format(time.RFC3339Nano))
	var lines api.AsOfPage[projections.BudgetLine]
	r.c.get(eAuditor, "/v1/audit/as-of/budget-lines?limit=100&at="+at, &lines)
	if lines.Position != past.position {
		r.t.Fatalf("as of %s the replay reached position %d, want %d", past.at, lines.Position, past.position)
	}
	sameLines(r.t, "budget lines as of the instant before the payments", gotLines(lines.Items), past.books.wantLines())
	if slices.Equal(past.books.wantLines(), r.books.wantLines()) {
		r.t.Fatal("the books did not change after the instant; the as-of check would prove nothing")
	}
	for _, id := range []string{"stab-big", "stab-small", "abs-p3-05", "exp-p1"} {
		var then api.AsOfClaim
		r.c.get(eAuditor, "/v1/audit/as-of/claims/"+id+"?at="+at, &then)
		now := r.claimRow(id)
		if string(then.Claim.Status) != past.status[id] || then.Claim.Paid.String() != "0.00" || then.Position != past.position ||
			string(now.Status) == past.status[id] {
			r.t.Fatalf("claim %s as of the instant: %s paid %s at %d; then %s, now %s", id, then.Claim.Status, then.Claim.Paid,
				then.Position, past.status[id], now.Status)
		}
	}
	// The settlement was filed after the instant.
	r.c.refused(http.StatusNotFound, "not-found", "", eAuditor, http.MethodGet, "/v1/audit/as-of/claims/train-p6-settle?at="+at, nil)
}

// verify checks the log's hash chains over HTTP, then against its own
// digest, and returns the digest and the number of events.
func (r *e2eRun) verify() (string, uint64) {
	r.t.Helper()
	head := r.logHead()
	var v api.Verification
	r.c.get(eAuditor, "/v1/audit/verify", &v)
	if !v.OK || v.Events != head || v.LastPosition != head || v.Digest == "" || v.Broken != nil {
		r.t.Fatalf("verify: %+v, want an intact log of %d events", v, head)
	}
	var again api.Verification
	r.c.get(eAuditor, "/v1/audit/verify?expect="+url.QueryEscape(v.Digest), &again)
	if !again.OK || again.ExpectMatched == nil || !*again.ExpectMatched || again.Digest != v.Digest {
		r.t.Fatalf("verify against its own digest: %+v", again)
	}
	return v.Digest, head
}
