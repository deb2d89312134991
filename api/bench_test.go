package api_test

import (
	"fmt"
	"net/http"
	"testing"
)

// BenchmarkSubmitClaim measures one expansion claim over HTTP, end to end:
// decode, policy selection, assessment, uniqueness reservation, two
// durable appends (fsync) and the read-model sync.
func BenchmarkSubmitClaim(b *testing.B) {
	h := newHarness(b)
	h.setUp()
	b.ResetTimer()
	for i := range b.N {
		body := with(expansionClaim(b, fmt.Sprintf("bench-%d", i)), "residentId", resident(b, i%1000))
		if i >= 1000 {
			body = with(body, "residentId", nil)
			body = withFact(body, "person", fmt.Sprintf("%064x", i))
		}
		h.must(http.StatusCreated, req{method: "POST", path: "/v1/claims/expansion", as: "clerk", body: body})
	}
}

// BenchmarkGetClaim measures reading one claim from the read models.
func BenchmarkGetClaim(b *testing.B) {
	h := newHarness(b)
	h.setUp()
	h.must(http.StatusCreated, req{method: "POST", path: "/v1/claims/expansion", as: "clerk", body: expansionClaim(b, "exp-1")})
	b.ResetTimer()
	for range b.N {
		h.must(http.StatusOK, req{method: "GET", path: "/v1/claims/exp-1", as: "clerk"})
	}
}
