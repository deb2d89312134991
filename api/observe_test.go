package api_test

import (
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"github.com/google/uuid"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/haixi-hrss/fundledger/api"
	"github.com/haixi-hrss/fundledger/domain"
	"github.com/haixi-hrss/fundledger/domain/fund"
	"github.com/haixi-hrss/fundledger/domain/programme"
	"github.com/haixi-hrss/fundledger/domain/region"
	"github.com/haixi-hrss/fundledger/domain/role"
	"github.com/haixi-hrss/fundledger/ledger"
	"github.com/haixi-hrss/fundledger/ledger/schema"
)

// TestMetricsAndLogs: requests are counted and timed by route template,
// appends are timed, the projection lag is exported, and neither the
// metrics nor the access log hold a raw path, an identifier or a body.
func TestMetricsAndLogs(t *testing.T) {
	reg := prometheus.NewRegistry()
	h := newHarnessWith(t, func(c *api.Config) { c.Registry = reg })
	h.setUp()
	h.must(http.StatusCreated, req{method: "POST", path: "/v1/claims/expansion", as: "clerk", body: expansionClaim(t, "exp-1")})
	h.must(http.StatusOK, req{method: "GET", path: "/v1/claims/exp-1", as: "clerk"})
	h.must(http.StatusNotFound, req{method: "GET", path: "/v1/claims/" + residentID, as: "clerk"})
	h.must(http.StatusNotFound, req{method: "GET", path: "/v1/x/" + residentID, as: "clerk"})

	metrics := string(h.must(http.StatusOK, req{method: "GET", path: "/metrics"}).body)
	for _, want := range []string{
		`fundledger_http_requests_total{method="GET",route="/v1/claims/:claimId",status="200"} 1`,
		`fundledger_http_requests_total{method="GET",route="/v1/claims/:claimId",status="404"} 1`,
		`fundledger_http_requests_total{method="GET",route="unmatched",status="404"} 1`,
		`fundledger_http_request_duration_seconds_bucket{method="POST",route="/v1/claims/expansion",status="201"`,
		`fundledger_store_append_duration_seconds_count`,
		`fundledger_store_stream_reads_total `,
		`fundledger_projection_lag_events 0`,
	} {
		if !strings.Contains(metrics, want) {
			t.Errorf("metrics lack %s", want)
		}
	}
	for _, leak := range []string{residentID[:17], "exp-1", "/v1/x/"} {
		if strings.Contains(metrics, leak) {
			t.Errorf("metrics hold %q", leak)
		}
	}

	logs := h.logs.String()
	lines := strings.Split(strings.TrimSpace(logs), "\n")
	routes := map[string]bool{}
	for _, l := range lines {
		var entry map[string]any
		if err := json.Unmarshal([]byte(l), &entry); err != nil {
			t.Fatalf("log line %q: %v", l, err)
		}
		if entry["msg"] == "http request" {
			routes[entry["route"].(string)] = true
		}
	}
	if !routes["/v1/claims/:claimId"] || !routes["/v1/claims/expansion"] || !routes["unmatched"] {
		t.Errorf("access log routes: %v", routes)
	}
	for _, leak := range []string{residentID[:17], "exp-1", "/v1/x/", "graduationDate", lineOf(programme.Expansion)} {
		if strings.Contains(logs, leak) {
			t.Errorf("the access log holds %q", leak)
		}
	}
}

// TestHealth: /healthz answers while the process runs; /readyz only while
// the read models trail the log by at most MaxLag events.
func TestHealth(t *testing.T) {
	h := newHarnessWith(t, func(c *api.Config) { c.MaxLag = 1 })
	h.must(http.StatusOK, req{method: "GET", path: "/healthz"})
	var r api.Readiness
	h.must(http.StatusOK, req{method: "GET", path: "/readyz"}).decode(t, &r)
	if r.Status != "ready" || r.Behind != 0 {
		t.Fatalf("readiness of an empty ledger: %+v", r)
	}
	// Two events appended behind the read models' back: two behind, more
	// than the lag allowed.
	for _, id := range []string{"f-1", "f-2"} {
		open := fund.Open{FundID: id, Name: "n", FiscalYear: 2025, Kind: programme.EmploymentSubsidy, Level: fund.County,
			Region: region.Golmud, Actor: "a", Role: role.Administrator, At: testNow}
		if _, err := ledger.Handle(context.Background(), h.l.Service, schema.Fund(id), ledger.Command{ID: uuid.New(), Name: "OpenFund"},
			func(s fund.State) ([]domain.Event, error) { return fund.Decide(s, open) }); err != nil {
			t.Fatal(err)
		}
	}
	p := h.must(http.StatusServiceUnavailable, req{method: "GET", path: "/readyz"}).problem(t)
	if p.Rule != "projection-lag" {
		t.Fatalf("lagging: %+v", p)
	}
	if _, err := h.l.CatchUp(context.Background()); err != nil {
		t.Fatal(err)
	}
	h.must(http.StatusOK, req{method: "GET", path: "/readyz"})

	// A store that no longer answers: not ready, but alive.
	if err := h.l.Close(); err != nil {
		t.Fatal(err)
	}
	if p := h.must(http.StatusServiceUnavailable, req{method: "GET", path: "/readyz"}).problem(t); p.Rule != "store-reachable" {
		t.Fatalf("closed store: %+v", p)
	}
	h.must(http.StatusOK, req{method: "GET", path: "/healthz"})
}
