package api_test

import (
	"bytes"
	"net/http"
	"regexp"
	"strconv"
	"testing"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/haixi-hrss/fundledger/api"
)

// storeCommits reads the store's commit count (each append or
// multi-stream commit is timed once) from the metrics.
func storeCommits(t *testing.T, h *harness) int {
	t.Helper()
	metrics := h.must(http.StatusOK, req{method: "GET", path: "/metrics"}).body
	m := regexp.MustCompile(`(?m)^fundledger_store_append_duration_seconds_count (\d+)$`).FindSubmatch(metrics)
	if m == nil {
		t.Fatal("no fundledger_store_append_duration_seconds_count in the metrics")
	}
	n, err := strconv.Atoi(string(m[1]))
	if err != nil {
		t.Fatal(err)
	}
	return n
}

// TestSubmitClaimInOneCommit: an expansion claim sent with the person's
// resident ID (as 'fundledger bench api' sends it) is submitted and
// checked in one commit, which holds every event the request appended;
// the same request again answers the same body, replayed, with nothing
// committed. An ineligible claim, also one commit, gives its person's
// keys back, and the person's next claim, whose keys' streams exist
// already, is submitted and checked in the steps one by one.
func TestSubmitClaimInOneCommit(t *testing.T) {
	reg := prometheus.NewRegistry()
	h := newHarnessWith(t, func(c *api.Config) { c.Registry = reg })
	h.setUp()
	post := func(want int, body map[string]any, key string) (api.CommandResponse, response) {
		t.Helper()
		res := h.must(want, req{method: "POST", path: "/v1/claims/expansion", as: "clerk", body: body,
			header: map[string]string{"Idempotency-Key": key}})
		var out api.CommandResponse
		res.decode(t, &out)
		return out, res
	}

	head, commits := h.head(), storeCommits(t, h)
	first, raw := post(http.StatusCreated, expansionClaim(t, "exp-1"), "one-commit-1")
	if n := storeCommits(t, h) - commits; n != 1 {
		t.Errorf("%d commits for the claim, want 1", n)
	}
	types := make([]string, len(first.Events))
	for i, ev := range first.Events {
		types[i] = ev.Type
	}
	if len(types) != 2 || types[0] != "ClaimSubmitted" || types[1] != "ClaimChecked" {
		t.Fatalf("events %v, want the submission and the check", types)
	}
	// The commit: the key's claim, two uniqueness reservations, the
	// claim's two events; the check's is the log's last.
	if got := h.head(); got != head+5 || first.Position != got {
		t.Errorf("log at %d (was %d), answer at %d; want 5 events, the check last", got, head, first.Position)
	}

	head, commits = h.head(), storeCommits(t, h)
	again, rawAgain := post(http.StatusOK, expansionClaim(t, "exp-1"), "one-commit-1")
	if rawAgain.header.Get(api.HeaderReplayed) != "true" {
		t.Error("the repeated request is not marked replayed")
	}
	if !bytes.Equal(raw.body, rawAgain.body) || again.Position != first.Position {
		t.Errorf("repeat answered %s, first %s", rawAgain.body, raw.body)
	}
	if got, n := h.head(), storeCommits(t, h)-commits; got != head || n != 0 {
		t.Errorf("the repeat committed %d times, log at %d, was %d", n, got, head)
	}

	ineligible := expansionClaim(t, "exp-2")
	ineligible["residentId"] = residentID2
	ineligible = withFact(ineligible, "insuredAtCheck", false)
	commits = storeCommits(t, h)
	rejected, _ := post(http.StatusCreated, ineligible, "one-commit-2")
	if n := storeCommits(t, h) - commits; n != 3 {
		t.Errorf("%d commits for the ineligible claim, want its one and a release for each of its two keys", n)
	}
	if last := rejected.Events[len(rejected.Events)-1].Type; last != "ClaimRejected" {
		t.Errorf("ineligible claim ends with %s, want ClaimRejected", last)
	}
	next := expansionClaim(t, "exp-3")
	next["residentId"] = residentID2
	commits = storeCommits(t, h)
	checked, _ := post(http.StatusCreated, next, "one-commit-3")
	if n := storeCommits(t, h) - commits; n < 3 {
		t.Errorf("%d commits for a claim whose keys were released, want the steps one by one", n)
	}
	if len(checked.Events) != 2 || checked.Events[1].Type != "ClaimChecked" || checked.Events[1].Version != 1 {
		t.Errorf("events %+v, want the submission and the check", checked.Events)
	}
}
