package api_test

import (
	"net/http"
	"testing"
)

// TestCommandOnMissingClaim: every command on a claim that was never
// submitted answers 404 naming claimId and appends nothing, with or
// without a key (the claim's existence is checked only after the ledger
// refused it).
func TestCommandOnMissingClaim(t *testing.T) {
	h := newHarness(t)
	h.setUp()
	head := h.head()
	for _, tc := range []struct {
		path, as string
		body     map[string]any
	}{
		{"/approval", "approver", map[string]any{"reason": "ok"}},
		{"/rejection", "approver", map[string]any{"reason": "no"}},
		{"/disclosure", "clerk", map[string]any{"on": "2025-04-01", "masked": "6328**********1230"}},
		{"/disclosure/completion", "clerk", map[string]any{"on": "2025-04-09"}},
		{"/payments", "treasurer", map[string]any{"instalment": 1, "paymentId": "p-1"}},
		{"/payments/p-1/result", "treasurer", map[string]any{"instalment": 1, "paid": true, "bankRef": "B", "on": "2025-04-10"}},
	} {
		for _, header := range []map[string]string{nil, keyed("missing" + tc.path)} {
			p := h.must(http.StatusNotFound, req{method: "POST", path: claimPath("never-submitted", tc.path), as: tc.as, body: tc.body, header: header}).problem(t)
			if p.Field != "claimId" {
				t.Errorf("%s: problem %+v, want one naming claimId", tc.path, p)
			}
		}
	}
	if h.head() != head {
		t.Error("a command on a missing claim appended")
	}
}
