package api_test

import (
	"bytes"
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"github.com/haixi-hrss/fundledger/api"
	"github.com/haixi-hrss/fundledger/domain/calendar"
	"github.com/haixi-hrss/fundledger/domain/money"
	"github.com/haixi-hrss/fundledger/domain/policy"
)

// startUp2025 returns the seed's start-up-2025 version.
func startUp2025(t *testing.T) policy.Version {
	t.Helper()
	versions, err := policy.Seed()
	if err != nil {
		t.Fatal(err)
	}
	for _, v := range versions {
		if v.ID == "start-up-2025" {
			return v
		}
	}
	t.Fatal("the seed has no start-up-2025")
	return policy.Version{}
}

// amendmentOf returns an amendment of v from 1 July with another amount.
func amendmentOf(v policy.Version, id, amount string) policy.Version {
	a := v
	su := *v.StartUp
	su.Amount = money.MustParse(amount)
	a.StartUp = &su
	a.ID, a.Supersedes, a.EffectiveFrom = id, v.ID, calendar.MustParse("2025-07-01")
	return a
}

func (h *harness) publish(want int, v policy.Version) (api.CommandResponse, response) {
	h.t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		h.t.Fatal(err)
	}
	res := h.must(want, req{method: "POST", path: "/v1/policies", as: "admin", body: b})
	var body api.CommandResponse
	if want < 300 {
		res.decode(h.t, &body)
	}
	return body, res
}

// publishedIDs lists the start-up versions GET /v1/policies shows, as
// "id<supersedes".
func (h *harness) publishedIDs() []string {
	h.t.Helper()
	var page struct {
		Items []policy.Version `json:"items"`
	}
	h.must(http.StatusOK, req{method: "GET", path: "/v1/policies?programme=start-up", as: "auditor"}).decode(h.t, &page)
	var ids []string
	for _, v := range page.Items {
		ids = append(ids, v.ID+"<"+v.Supersedes)
	}
	return ids
}

// TestPublishPolicyOverHTTP walks a version's life through POST
// /v1/policies on a fresh ledger: published (201), sent again (200 with the
// original event, nothing appended), amended (201, once the amended
// version is published: the route decides on the real stream, not on an
// empty one), the amendment sent again (200), and the refusals: other
// content under a published ID (409 naming the fields and the amendment
// to publish instead), an amendment of an unpublished version, and a
// second amendment of an already amended one. Every refusal leaves the
// log as it was.
func TestPublishPolicyOverHTTP(t *testing.T) {
	h := newHarness(t)
	v := startUp2025(t)

	first, res := h.publish(http.StatusCreated, v)
	if len(first.Events) != 1 || first.Events[0].Type != "PolicyVersionPublished" || first.Events[0].Stream != "policy-start-up" {
		t.Fatalf("first publication: %s", res.body)
	}
	if res.header.Get(api.HeaderReplayed) != "" {
		t.Fatal("a first publication says it was replayed")
	}

	head := h.head()
	again, res := h.publish(http.StatusOK, v)
	if res.header.Get(api.HeaderReplayed) != "true" {
		t.Fatalf("republishing: header %q, want a replay", res.header.Get(api.HeaderReplayed))
	}
	if len(again.Events) != 1 || again.Events[0].Version != first.Events[0].Version || again.Events[0].Stream != first.Events[0].Stream {
		t.Fatalf("republishing answered %s, want the original event %+v", res.body, first.Events[0])
	}
	if h.head() != head {
		t.Fatal("republishing the same version appended to the log")
	}

	amended := amendmentOf(v, "start-up-2025.h2", "6000.00")
	am, res := h.publish(http.StatusCreated, amended)
	if len(am.Events) != 1 || am.Events[0].Version != first.Events[0].Version+1 {
		t.Fatalf("amendment: %s", res.body)
	}
	var data struct {
		Version policy.Version `json:"version"`
	}
	raw, err := json.Marshal(am.Events[0].Data)
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(raw, &data); err != nil || data.Version.Supersedes != v.ID || data.Version.StartUp.Amount.String() != "6000.00" {
		t.Fatalf("amendment event %s (%v)", raw, err)
	}
	if _, res := h.publish(http.StatusOK, amended); res.header.Get(api.HeaderReplayed) != "true" {
		t.Fatal("republishing the amendment is not a replay")
	}
	if got := strings.Join(h.publishedIDs(), " "); got != "start-up-2025< start-up-2025.h2<start-up-2025" {
		t.Fatalf("published: %s", got)
	}

	head = h.head()
	changed := v
	su := *v.StartUp
	su.Amount = money.MustParse("7000.00")
	changed.StartUp, changed.Note = &su, "raised"
	_, res = h.publish(http.StatusConflict, changed)
	p := res.problem(t)
	if p.Rule != "policy-version-immutable" || p.Field != "id" || !strings.Contains(p.Detail, "note, startUp.amount differ") ||
		!strings.Contains(p.Detail, "supersedes start-up-2025") {
		t.Fatalf("changed content under a published ID: %+v", p)
	}

	orphan := amendmentOf(v, "start-up-2025.x", "6500.00")
	orphan.Supersedes = "start-up-2024.h9"
	_, res = h.publish(http.StatusConflict, orphan)
	if p := res.problem(t); p.Rule != "policy-supersedes-published" || p.Field != "supersedes" {
		t.Fatalf("amendment of an unpublished version: %+v", p)
	}

	second := amendmentOf(v, "start-up-2025.h3", "6500.00")
	_, res = h.publish(http.StatusConflict, second)
	if p := res.problem(t); p.Rule != "policy-supersede-latest" || !strings.Contains(p.Detail, "amend start-up-2025.h2 instead") {
		t.Fatalf("second amendment of start-up-2025: %+v", p)
	}
	if h.head() != head {
		t.Fatal("a refused publication changed the log")
	}

	// The amendment of the amendment is the latest word, and is taken.
	third := amendmentOf(amended, "start-up-2025.h3", "6500.00")
	third.EffectiveFrom = calendar.MustParse("2025-10-01")
	h.publish(http.StatusCreated, third)
}

// TestPublishPolicyMalformedNeverReachesTheStore: a version with an invalid
// field is refused (422) before any stream is read or written, even
// though rules are now decided on the real stream.
func TestPublishPolicyMalformedNeverReachesTheStore(t *testing.T) {
	h := newHarness(t)
	v := startUp2025(t)
	v.DisclosureWorkingDays = 0
	head := h.head()
	_, res := h.publish(http.StatusUnprocessableEntity, v)
	if p := res.problem(t); p.Field != "disclosureWorkingDays" {
		t.Fatalf("invalid version: %+v", p)
	}
	b, err := json.Marshal(startUp2025(t))
	if err != nil {
		t.Fatal(err)
	}
	b = bytes.Replace(b, []byte(`"programme":"start-up"`), []byte(`"programme":"no such/programme"`), 1)
	if p := h.must(http.StatusUnprocessableEntity, req{method: "POST", path: "/v1/policies", as: "admin", body: b}).problem(t); p.Field != "programme" {
		t.Fatalf("unknown programme: %+v", p)
	}
	if h.head() != head {
		t.Fatal("a malformed version changed the log")
	}
}

// TestTargetAndIndicatorChangesOverHTTP: the other routes that create
// their aggregate from the body decide their state-dependent rules on the
// real stream too: a target replaced with a reason and a month corrected
// are taken, and without the reason they are refused naming it.
func TestTargetAndIndicatorChangesOverHTTP(t *testing.T) {
	h := newHarness(t)
	target := map[string]any{"region": "632801", "year": 2025, "indicator": "new-urban-jobs", "value": 1000}
	h.must(http.StatusCreated, req{method: "POST", path: "/v1/targets", as: "admin", body: target})
	if p := h.must(http.StatusConflict, req{method: "POST", path: "/v1/targets", as: "admin", body: with(target, "value", 1200)}).problem(t); p.Rule != "target-change-reason" {
		t.Fatalf("target changed without a reason: %+v", p)
	}
	h.must(http.StatusCreated, req{method: "POST", path: "/v1/targets", as: "admin", body: with(with(target, "value", 1200), "reason", "revised plan")})

	month := map[string]any{"region": "632801", "year": 2025, "indicator": "new-urban-jobs", "month": "2025-01", "value": 80}
	h.must(http.StatusCreated, req{method: "POST", path: "/v1/indicators", as: "clerk", body: month})
	if p := h.must(http.StatusConflict, req{method: "POST", path: "/v1/indicators", as: "clerk", body: with(month, "value", 85)}).problem(t); p.Rule != "month-recorded-once" {
		t.Fatalf("month recorded again without a correction: %+v", p)
	}
	h.must(http.StatusCreated, req{method: "POST", path: "/v1/indicators", as: "clerk", body: with(with(month, "value", 85), "correction", "late reports")})
	var ind struct {
		Totals map[string]int64 `json:"totals"`
	}
	h.must(http.StatusOK, req{method: "GET", path: "/v1/indicators/632801/2025", as: "evaluator"}).decode(t, &ind)
	if ind.Totals["new-urban-jobs"] != 85 {
		t.Fatalf("indicator totals after the correction: %+v", ind.Totals)
	}
}
