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
		`fundledger_projection_save_hold_seconds `,
		`fundledger_projection_save_duration_seconds `,
		`fundledger_projection_relayout_hold_seconds `,
		`fundledger_projection_relayout_duration_seconds `,
		`fundledger_projection_saves_total `,
		`fundledger_projection_save_seconds_total `,
		`fundledger_projection_relayouts_total `,
		`fundledger_projection_relayout_seconds_total `,
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

// TestAccessLogAndCorrelation: the request ID sent back in X-Request-Id
// is the correlation ID of every event the request appended and the
// request_id of its access log line, which names the principal and role;
// a caller refused for its role is named too, an unauthenticated one not.
func TestAccessLogAndCorrelation(t *testing.T) {
	h := newHarness(t)
	h.setUp()
	res := h.must(http.StatusCreated, req{method: "POST", path: "/v1/claims/expansion", as: "clerk", body: expansionClaim(t, "exp-1")})
	id := res.header.Get("X-Request-Id")
	if id == "" {
		t.Fatal("no X-Request-Id")
	}
	evs, err := h.l.Store.ReadStream(context.Background(), schema.Claim("exp-1").Stream, 0, 0)
	if err != nil || len(evs) == 0 {
		t.Fatalf("claim stream: %d events, %v", len(evs), err)
	}
	for _, ev := range evs {
		if ev.Metadata.CorrelationID != id {
			t.Errorf("%s version %d: correlation %q, want the request ID %q", ev.Stream, ev.Version, ev.Metadata.CorrelationID, id)
		}
	}
	refused := h.must(http.StatusForbidden, req{method: "POST", path: "/v1/funds", as: "clerk", body: map[string]any{}})
	anonymous := h.must(http.StatusUnauthorized, req{method: "GET", path: "/v1/claims/exp-1"})

	entries := map[string]map[string]any{}
	for _, l := range strings.Split(strings.TrimSpace(h.logs.String()), "\n") {
		var entry map[string]any
		if err := json.Unmarshal([]byte(l), &entry); err != nil {
			t.Fatalf("log line %q: %v", l, err)
		}
		if rid, ok := entry["request_id"].(string); ok && entry["msg"] == "http request" {
			entries[rid] = entry
		}
	}
	for _, c := range []struct {
		res             response
		status          float64
		principal, role any
	}{
		{res, 201, "li", role.Clerk},
		{refused, 403, "li", role.Clerk},
		{anonymous, 401, nil, nil},
	} {
		e := entries[c.res.header.Get("X-Request-Id")]
		if e == nil || e["status"] != c.status || e["principal"] != c.principal || e["role"] != c.role ||
			e["route"] == nil || e["method"] == nil || e["duration_ms"] == nil {
			t.Errorf("access log line of the %v answer: %v", c.status, e)
		}
	}
}
