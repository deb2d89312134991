package api_test

import (
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"testing"

	"github.com/haixi-hrss/fundledger/api"
	"github.com/haixi-hrss/fundledger/projections"
)

// pages follows nextCursor from path until the last page and returns
// every page.
func pages[T any](t *testing.T, h *harness, as, path string, limit int) [][]T {
	t.Helper()
	var out [][]T
	cursor := ""
	for range 100 {
		u := fmt.Sprintf("%s%slimit=%d", path, sep(path), limit)
		if cursor != "" {
			u += "&cursor=" + url.QueryEscape(cursor)
		}
		var p api.Page[T]
		h.must(http.StatusOK, req{method: "GET", path: u, as: as}).decode(t, &p)
		out = append(out, p.Items)
		if p.NextCursor == "" {
			return out
		}
		cursor = p.NextCursor
	}
	t.Fatal("more than 100 pages")
	return nil
}

func sep(path string) string {
	if slices.Contains([]byte(path), '?') {
		return "&"
	}
	return "?"
}

// TestPagination walks lists page by page: every item once, in order,
// pages no larger than the limit, and items added between pages neither
// repeat nor shift the rest.
func TestPagination(t *testing.T) {
	h := newHarness(t)
	for i := range 7 {
		h.must(http.StatusCreated, req{method: "POST", path: "/v1/funds", as: "admin", body: map[string]any{
			"fundId": fmt.Sprintf("fund-%02d", i), "name": "n", "fiscalYear": 2025, "kind": "employment-subsidy", "level": "county", "region": "632801"}})
	}
	ps := pages[projections.FundTotals](t, h, "admin", "/v1/funds", 3)
	if len(ps) != 3 || len(ps[0]) != 3 || len(ps[1]) != 3 || len(ps[2]) != 1 {
		t.Fatalf("7 funds by 3: pages of %d, %d, %d", len(ps[0]), len(ps[1]), len(ps[2]))
	}
	var ids []string
	for _, p := range ps {
		for _, f := range p {
			ids = append(ids, f.ID)
		}
	}
	want := []string{"fund-00", "fund-01", "fund-02", "fund-03", "fund-04", "fund-05", "fund-06"}
	if !slices.Equal(ids, want) {
		t.Fatalf("funds %v, want %v", ids, want)
	}

	// A fund added before the cursor's position is not seen, one after it
	// is, and nothing repeats.
	var first api.Page[projections.FundTotals]
	h.must(http.StatusOK, req{method: "GET", path: "/v1/funds?limit=3", as: "admin"}).decode(t, &first)
	for _, id := range []string{"fund-000", "fund-99"} {
		h.must(http.StatusCreated, req{method: "POST", path: "/v1/funds", as: "admin", body: map[string]any{
			"fundId": id, "name": "n", "fiscalYear": 2025, "kind": "employment-subsidy", "level": "county", "region": "632801"}})
	}
	var rest api.Page[projections.FundTotals]
	h.must(http.StatusOK, req{method: "GET", path: "/v1/funds?limit=50&cursor=" + url.QueryEscape(first.NextCursor), as: "admin"}).decode(t, &rest)
	var got []string
	for _, f := range rest.Items {
		got = append(got, f.ID)
	}
	if !slices.Equal(got, []string{"fund-03", "fund-04", "fund-05", "fund-06", "fund-99"}) || rest.NextCursor != "" {
		t.Fatalf("after the first page: %v (next %q)", got, rest.NextCursor)
	}

	// The raw log pages by position: every event once, in order.
	evPages := pages[api.RawEvent](t, h, "auditor", "/v1/audit/events", 4)
	var last uint64
	n := 0
	for _, p := range evPages {
		if len(p) > 4 {
			t.Fatalf("a page of %d events, limit 4", len(p))
		}
		for _, e := range p {
			if e.Position <= last {
				t.Fatalf("position %d after %d", e.Position, last)
			}
			last = e.Position
			n++
		}
	}
	if last != h.head() || n == 0 {
		t.Fatalf("paged to position %d of %d (%d events)", last, h.head(), n)
	}

	// One stream pages by version.
	var vs []uint64
	for _, p := range pages[api.RawEvent](t, h, "auditor", "/v1/audit/streams/fund-fund-00/events", 1) {
		for _, e := range p {
			vs = append(vs, e.Version)
		}
	}
	if !slices.Equal(vs, []uint64{0}) {
		t.Fatalf("fund-00's versions: %v", vs)
	}
}

// TestClaimListsPaginate pages the claim list and the queue in queue order.
func TestClaimListsPaginate(t *testing.T) {
	h := newHarness(t)
	h.setUp()
	for path, body := range claimBodies(t) {
		h.must(http.StatusCreated, req{method: "POST", path: path, as: "clerk", body: body})
	}
	var all api.Page[projections.ClaimRow]
	h.must(http.StatusOK, req{method: "GET", path: "/v1/claims?limit=500", as: "auditor"}).decode(t, &all)
	var paged []string
	for _, p := range pages[projections.ClaimRow](t, h, "auditor", "/v1/claims", 2) {
		for _, c := range p {
			paged = append(paged, c.ID)
		}
	}
	var whole []string
	for _, c := range all.Items {
		whole = append(whole, c.ID)
	}
	if len(whole) != len(claimBodies(t)) || !slices.Equal(paged, whole) {
		t.Fatalf("paged %v, whole %v", paged, whole)
	}
	var filtered api.Page[projections.ClaimRow]
	h.must(http.StatusOK, req{method: "GET", path: "/v1/claims?programme=expansion", as: "clerk"}).decode(t, &filtered)
	if len(filtered.Items) != 1 || filtered.Items[0].ID != "k-exp" {
		t.Fatalf("expansion claims: %+v", filtered.Items)
	}
}
