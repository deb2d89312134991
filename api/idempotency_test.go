package api_test

import (
	"bytes"
	"net/http"
	"sync"
	"testing"
	"time"

	"github.com/haixi-hrss/fundledger/api"
	"github.com/haixi-hrss/fundledger/projections"
)

func keyed(key string) map[string]string { return map[string]string{"Idempotency-Key": key} }

// TestIdempotentRetry: a retry under the same key, even the next day,
// answers with the first result, says it replayed, and appends nothing;
// the same key with a different body is a 422 problem that appends
// nothing either.
func TestIdempotentRetry(t *testing.T) {
	clock := testNow
	h := newHarnessWith(t, func(c *api.Config) { c.Now = func() time.Time { return clock } })
	h.setUp()
	body := map[string]any{"document": "财社〔2025〕9号", "amount": "250.00", "source": "s", "receivedOn": "2025-03-01"}
	path := "/v1/funds/" + esfFund + "/transfers"
	first := h.must(http.StatusCreated, req{method: "POST", path: path, as: "admin", body: body, header: keyed("t-1")})
	if first.header.Get(api.HeaderReplayed) != "" {
		t.Fatal("the first attempt says it replayed")
	}
	head := h.head()
	clock = testNow.Add(20 * time.Hour) // past midnight in Beijing
	again := h.must(http.StatusOK, req{method: "POST", path: path, as: "admin", body: body, header: keyed("t-1")})
	if again.header.Get(api.HeaderReplayed) != "true" || !bytes.Equal(again.body, first.body) {
		t.Fatalf("retry: header %q, body %s, want the first body %s", again.header.Get(api.HeaderReplayed), again.body, first.body)
	}
	if h.head() != head {
		t.Fatal("the retry appended")
	}
	p := h.must(http.StatusUnprocessableEntity, req{method: "POST", path: path, as: "admin", body: with(body, "amount", "260.00"), header: keyed("t-1")}).problem(t)
	if p.Type != api.ProblemBase+"idempotency-key-reused" || p.Field != "Idempotency-Key" {
		t.Fatalf("reused key: %+v", p)
	}
	p = h.must(http.StatusUnprocessableEntity, req{method: "POST", path: "/v1/funds/" + uiFund + "/transfers", as: "admin", body: body, header: keyed("t-1")}).problem(t)
	if p.Type != api.ProblemBase+"idempotency-key-reused" {
		t.Fatalf("key reused on another fund: %+v", p)
	}
	if h.head() != head {
		t.Fatal("a reused key appended")
	}
	var f projections.FundTotals
	h.must(http.StatusOK, req{method: "GET", path: "/v1/funds/" + esfFund, as: "admin"}).decode(t, &f)
	if f.Received.String() != "10000250.00" {
		t.Fatalf("received %s: the transfer was not recorded exactly once", f.Received)
	}
	fund := map[string]any{"fundId": "f-x", "name": "n", "fiscalYear": 2025, "kind": "employment-subsidy", "level": "county", "region": "632801"}
	clock = testNow.Add(10 * time.Hour)
	h.must(http.StatusCreated, req{method: "POST", path: "/v1/funds", as: "admin", body: fund, header: keyed("f-x")})
	clock = clock.Add(8 * time.Hour)
	if r := h.must(http.StatusOK, req{method: "POST", path: "/v1/funds", as: "admin", body: fund, header: keyed("f-x")}); r.header.Get(api.HeaderReplayed) != "true" {
		t.Fatal("a retry on the next business day was not replayed")
	}
	// Without a key, the same body is a second transfer... which the fund
	// refuses, as the document number was already received.
	h.must(http.StatusConflict, req{method: "POST", path: path, as: "admin", body: body})
}

// TestIdempotencyKeysArePerPrincipal: two clerks choosing the same key
// do not collide.
func TestIdempotencyKeysArePerPrincipal(t *testing.T) {
	h := newHarness(t)
	h.setUp()
	h.must(http.StatusCreated, req{method: "POST", path: "/v1/claims/expansion", as: "clerk", body: expansionClaim(t, "exp-1"), header: keyed("k")})
	b := expansionClaim(t, "exp-2")
	b["residentId"] = residentID2
	h.must(http.StatusCreated, req{method: "POST", path: "/v1/claims/expansion", as: "clerk2", body: b, header: keyed("k")})
}

// TestIdempotentClaimAndAllocation: the two-step commands (a claim's
// submission and check; an allocation on the fund and the line) replay
// both steps, and concurrent retries agree on one result.
func TestIdempotentClaimAndAllocation(t *testing.T) {
	h := newHarness(t)
	h.setUp()
	claim := expansionClaim(t, "exp-1")
	const n = 8
	results := make([]response, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			results[i] = h.do(req{method: "POST", path: "/v1/claims/expansion", as: "clerk", body: claim, header: keyed("claim-1")})
		})
	}
	wg.Wait()
	created := 0
	for _, r := range results {
		switch r.status {
		case http.StatusCreated:
			created++
		case http.StatusOK:
		default:
			// A concurrent duplicate may lose the race on the person's
			// key before the first attempt's claim exists; it must not
			// have appended anything of its own.
			if r.status != http.StatusConflict {
				t.Fatalf("concurrent retry: %d %s", r.status, r.body)
			}
		}
	}
	// Attempts racing the first one may also answer 201 (they appended
	// the same event IDs, which the store acknowledges as the same
	// append), but every answer must carry the same events.
	if created == 0 {
		t.Fatal("no attempt created the claim")
	}
	for _, r := range results[1:] {
		if r.status < 300 && results[0].status < 300 && !bytes.Equal(r.body, results[0].body) {
			t.Fatalf("concurrent attempts answered differently:\n%s\n%s", r.body, results[0].body)
		}
	}
	final := h.must(http.StatusOK, req{method: "POST", path: "/v1/claims/expansion", as: "clerk", body: claim, header: keyed("claim-1")})
	var cr api.CommandResponse
	final.decode(t, &cr)
	if len(cr.Events) != 2 || cr.Events[0].Type != "ClaimSubmitted" || cr.Events[1].Type != "ClaimChecked" {
		t.Fatalf("replayed claim: %+v", cr.Events)
	}
	var trail api.Page[projections.TrailEntry]
	h.must(http.StatusOK, req{method: "GET", path: "/v1/audit/claims/exp-1/trail", as: "auditor"}).decode(t, &trail)
	if len(trail.Items) != 2 {
		t.Fatalf("%d events on the claim after %d concurrent attempts, want 2", len(trail.Items), n)
	}

	alloc := map[string]any{"allocationId": "extra-1", "programme": "expansion", "region": "632802", "amount": "10.00"}
	first := h.must(http.StatusCreated, req{method: "POST", path: "/v1/funds/" + uiFund + "/allocations", as: "admin", body: alloc, header: keyed("a-1")})
	head := h.head()
	again := h.must(http.StatusOK, req{method: "POST", path: "/v1/funds/" + uiFund + "/allocations", as: "admin", body: alloc, header: keyed("a-1")})
	if !bytes.Equal(first.body, again.body) || h.head() != head {
		t.Fatalf("allocation retry: %s vs %s, head %d → %d", first.body, again.body, head, h.head())
	}
}

// TestClaimIDIsTheNaturalKey: without an Idempotency-Key, a claim's ID
// plays its part: the same request again replays, the same ID with other
// facts is refused and appends nothing.
func TestClaimIDIsTheNaturalKey(t *testing.T) {
	h := newHarness(t)
	h.setUp()
	claim := expansionClaim(t, "exp-n")
	first := h.must(http.StatusCreated, req{method: "POST", path: "/v1/claims/expansion", as: "clerk", body: claim})
	head := h.head()
	again := h.must(http.StatusOK, req{method: "POST", path: "/v1/claims/expansion", as: "clerk", body: claim})
	if !bytes.Equal(first.body, again.body) || again.header.Get(api.HeaderReplayed) != "true" {
		t.Fatalf("plain retry: %s", again.body)
	}
	p := h.must(http.StatusUnprocessableEntity, req{method: "POST", path: "/v1/claims/expansion", as: "clerk", body: withFact(claim, "insuredMonthsPension", 4)}).problem(t)
	if p.Type != api.ProblemBase+"idempotency-key-reused" {
		t.Fatalf("same claim ID, other facts: %+v", p)
	}
	// Another clerk reusing the ID meets the claim itself.
	p = h.must(http.StatusConflict, req{method: "POST", path: "/v1/claims/expansion", as: "clerk2", body: with(claim, "residentId", residentID2)}).problem(t)
	if p.Rule != "claim-submitted-once" {
		t.Fatalf("another clerk, same claim ID: %+v", p)
	}
	if h.head() != head {
		t.Fatal("refused requests appended")
	}
}
