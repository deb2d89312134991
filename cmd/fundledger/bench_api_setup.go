package main

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"net/http"
	"net/url"
	"strings"

	"github.com/haixi-hrss/fundledger/domain/budget"
	"github.com/haixi-hrss/fundledger/domain/identity"
	"github.com/haixi-hrss/fundledger/domain/policy"
	"github.com/haixi-hrss/fundledger/domain/programme"
	"github.com/haixi-hrss/fundledger/domain/region"
	"github.com/haixi-hrss/fundledger/domain/role"
)

// The bench files one-time expansion grants (1,500.00 yuan each, paid
// from an unemployment-insurance fund) in every county of Haixi, so the
// approvals reserve on seven budget lines as a prefecture's clerks would
// rather than all on one.
const (
	benchProgramme = programme.Expansion
	benchYear      = programme.FiscalYear(2025)
	// benchPerCounty is allocated to each county's line: room for over
	// 600,000 grants, far more than any run pays.
	benchPerCounty = "1000000000.00"
)

// benchPlan is what the cycles need from the setup: the run's prefix,
// which keeps its claim IDs apart from any other run's on the same
// ledger, and one budget line and employer per county.
type benchPlan struct {
	run      string
	counties []benchCounty
}

type benchCounty struct {
	region   region.Code
	line     string
	employer string
}

// newBenchPlan picks a fresh run prefix and derives the run's fund,
// lines and employers.
func newBenchPlan() (benchPlan, error) {
	b := make([]byte, 4)
	if _, err := rand.Read(b); err != nil {
		return benchPlan{}, err
	}
	p := benchPlan{run: "bench" + hex.EncodeToString(b)}
	for _, r := range region.Counties() {
		first17 := "91" + string(r) + "MA0000001"
		check, ok := identity.CreditCheckChar(first17)
		if !ok {
			return benchPlan{}, fmt.Errorf("no credit-code check character for %s", first17)
		}
		p.counties = append(p.counties, benchCounty{region: r, line: budget.LineID(p.fund(), benchProgramme, r, benchYear),
			employer: first17 + string(check)})
	}
	return p, nil
}

func (p benchPlan) fund() string { return p.run + "-ui" }

// setUp publishes the programme's 2025 policy version (publishing the
// same version again changes nothing, so a ledger that has it already is
// fine), opens the run's fund, receives a transfer and allocates to every
// county, all through the API as the administrator would.
func (p benchPlan) setUp(ctx context.Context, c *apiClient) error {
	versions, err := policy.Seed()
	if err != nil {
		return err
	}
	published := 0
	for _, v := range versions {
		if v.Programme != benchProgramme || v.EffectiveFrom.Year() != int(benchYear) {
			continue
		}
		if err := c.doJSON(ctx, http.MethodPost, "/v1/policies", role.Administrator, "bench-policy-"+v.ID, v, nil); err != nil {
			return fmt.Errorf("publish policy %s: %w", v.ID, err)
		}
		published++
	}
	if published == 0 {
		return fmt.Errorf("the seed has no %s policy for %d", benchProgramme, benchYear)
	}
	fund := p.fund()
	steps := []struct {
		path string
		body map[string]any
	}{
		{"/v1/funds", map[string]any{"fundId": fund, "name": "API bench " + p.run, "fiscalYear": benchYear,
			"kind": benchProgramme.Fund(), "level": "prefecture", "region": region.Haixi}},
		{"/v1/funds/" + fund + "/transfers", map[string]any{"document": "青财社〔2025〕1号",
			"amount": fmt.Sprintf("%d000000000.00", len(p.counties)), "source": "青海省财政厅", "receivedOn": "2025-02-01"}},
	}
	for _, cty := range p.counties {
		steps = append(steps, struct {
			path string
			body map[string]any
		}{"/v1/funds/" + fund + "/allocations", map[string]any{"allocationId": "alloc-" + string(cty.region),
			"programme": benchProgramme, "region": cty.region, "amount": benchPerCounty}})
	}
	for i, s := range steps {
		key := fmt.Sprintf("%s-setup-%d", p.run, i)
		if err := c.doJSON(ctx, http.MethodPost, s.path, role.Administrator, key, s.body, nil); err != nil {
			return fmt.Errorf("set up: %w", err)
		}
	}
	return nil
}

// paidClaims counts the run's claims the ledger holds as paid, read
// through the API's claim list page by page.
func (p benchPlan) paidClaims(ctx context.Context, c *apiClient) (int, error) {
	type row struct {
		ID string `json:"id"`
	}
	var (
		n      int
		cursor string
	)
	for {
		q := url.Values{"status": {"paid"}, "programme": {string(benchProgramme)}, "limit": {"500"}}
		if cursor != "" {
			q.Set("cursor", cursor)
		}
		var page struct {
			Items      []row  `json:"items"`
			NextCursor string `json:"nextCursor"`
		}
		if err := c.doJSON(ctx, http.MethodGet, "/v1/claims?"+q.Encode(), role.Treasurer, "", nil, &page); err != nil {
			return n, err
		}
		for _, r := range page.Items {
			if strings.HasPrefix(r.ID, p.run+"-") {
				n++
			}
		}
		if page.NextCursor == "" {
			return n, nil
		}
		cursor = page.NextCursor
	}
}
