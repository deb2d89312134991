package api_test

import (
	"context"
	"fmt"
	"net/http"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/haixi-hrss/fundledger/api"
	"github.com/haixi-hrss/fundledger/domain/programme"
	"github.com/haixi-hrss/fundledger/eventstore"
	"github.com/haixi-hrss/fundledger/projections"
)

// gatedStore holds every read of the global log until release is closed
// or the reader's context ends, and reports each read on entered.
type gatedStore struct {
	eventstore.Store
	entered chan struct{}
	release chan struct{}

	mu        sync.Mutex
	cancelled int
}

func gate(h *harness) *gatedStore {
	g := &gatedStore{Store: h.l.Store, entered: make(chan struct{}, 64), release: make(chan struct{})}
	// The server reads the ledger's store at each request; no request runs
	// while the field is swapped.
	h.l.Store = g
	h.t.Cleanup(func() { h.l.Store = g.Store })
	return g
}

func (g *gatedStore) ReadAll(ctx context.Context, after uint64, limit int) ([]eventstore.Event, error) {
	g.entered <- struct{}{}
	select {
	case <-g.release:
		return g.Store.ReadAll(ctx, after, limit)
	case <-ctx.Done():
		g.mu.Lock()
		g.cancelled++
		g.mu.Unlock()
		return nil, ctx.Err()
	}
}

// waitEntered waits for the n-th read to reach the gate.
func (g *gatedStore) waitEntered(t *testing.T, what string) {
	t.Helper()
	select {
	case <-g.entered:
	case <-time.After(30 * time.Second):
		t.Fatalf("%s never read the log", what)
	}
}

// async sends r on its own goroutine.
func (h *harness) async(r req) <-chan response {
	out := make(chan response, 1)
	go func() { out <- h.do(r) }()
	return out
}

// answer waits for a request sent with async; the bound only keeps a
// broken limit from hanging the suite.
func answer(t *testing.T, ch <-chan response, what string) response {
	t.Helper()
	select {
	case res := <-ch:
		return res
	case <-time.After(30 * time.Second):
		t.Fatalf("%s: no answer", what)
		return response{}
	}
}

// TestOneVerificationAtATime: while a verification reads the log, a
// second is refused with 429, a Retry-After and a problem, without
// touching the log; once the first ends, verification is open again.
func TestOneVerificationAtATime(t *testing.T) {
	h := newHarness(t)
	h.setUp()
	g := gate(h)
	verify := req{method: "GET", path: "/v1/audit/verify", as: "auditor"}
	first := h.async(verify)
	g.waitEntered(t, "the first verification")

	second := answer(t, h.async(verify), "the second verification")
	if second.status != http.StatusTooManyRequests || second.header.Get("Retry-After") == "" {
		t.Fatalf("second verification: status %d, Retry-After %q: %s", second.status, second.header.Get("Retry-After"), second.body)
	}
	if p := second.problem(t); p.Type != api.ProblemBase+"busy" || p.Rule != "one-at-a-time" {
		t.Fatalf("second verification: %+v", p)
	}
	if n := len(g.entered); n != 0 {
		t.Fatalf("the refused verification read the log %d times", n)
	}

	close(g.release)
	var v api.Verification
	res := answer(t, first, "the first verification")
	if res.status != http.StatusOK {
		t.Fatalf("first verification: %d %s", res.status, res.body)
	}
	res.decode(t, &v)
	if !v.OK || v.LastPosition != h.head() {
		t.Fatalf("first verification: %+v", v)
	}
	h.must(http.StatusOK, verify).decode(t, &v)
	if !v.OK {
		t.Fatalf("verification after the first: %+v", v)
	}
}

// TestVerificationStopsWithItsClient: a client that goes away ends its
// verification, and frees the slot for the next.
func TestVerificationStopsWithItsClient(t *testing.T) {
	h := newHarness(t)
	h.setUp()
	g := gate(h)
	ctx, cancel := context.WithCancel(context.Background())
	gone := h.async(req{method: "GET", path: "/v1/audit/verify", as: "auditor", ctx: ctx})
	g.waitEntered(t, "the verification")
	cancel()
	if res := answer(t, gone, "the cancelled verification"); res.status == http.StatusOK {
		t.Fatalf("a cancelled verification answered 200: %s", res.body)
	}
	if g.cancelled != 1 {
		t.Fatalf("%d reads saw the cancellation, want 1", g.cancelled)
	}
	close(g.release)
	h.must(http.StatusOK, req{method: "GET", path: "/v1/audit/verify", as: "auditor"})
}

// TestAsOfReadsWaitTheirTurnAndStopWithTheirClient: two as-of reads run
// at once; a third waits without reading the log and, when its client
// goes away, answers 503 having read nothing. A running read whose
// client goes away stops reading. Released, the others answer.
func TestAsOfReadsWaitTheirTurnAndStopWithTheirClient(t *testing.T) {
	h := newHarness(t)
	h.setUp()
	h.must(http.StatusCreated, req{method: "POST", path: "/v1/claims/expansion", as: "clerk", body: expansionClaim(t, "exp-1")})
	now := time.Now().Add(time.Minute).UTC().Format(time.RFC3339)
	g := gate(h)

	lines := h.async(req{method: "GET", path: "/v1/audit/as-of/budget-lines?at=" + now, as: "auditor"})
	g.waitEntered(t, "the first as-of read")
	ctx2, cancel2 := context.WithCancel(context.Background())
	claim := h.async(req{method: "GET", path: "/v1/audit/as-of/claims/exp-1?at=" + now, as: "auditor", ctx: ctx2})
	g.waitEntered(t, "the second as-of read")

	ctx3, cancel3 := context.WithCancel(context.Background())
	waiting := h.async(req{method: "GET", path: "/v1/audit/as-of/claims/exp-1?at=" + now, as: "auditor", ctx: ctx3})
	cancel3()
	res := answer(t, waiting, "the waiting as-of read")
	if res.status != http.StatusServiceUnavailable || res.problem(t).Type != api.ProblemBase+"unavailable" {
		t.Fatalf("waiting read whose client left: %d %s", res.status, res.body)
	}
	if n := len(g.entered); n != 0 {
		t.Fatalf("a read beyond the limit read the log (%d reads)", n)
	}

	cancel2()
	if res := answer(t, claim, "the cancelled as-of read"); res.status != http.StatusServiceUnavailable {
		t.Fatalf("cancelled as-of read: %d %s", res.status, res.body)
	}
	if g.cancelled != 1 {
		t.Fatalf("%d reads saw the cancellation, want 1", g.cancelled)
	}

	close(g.release)
	var page api.AsOfPage[projections.BudgetLine]
	res = answer(t, lines, "the first as-of read")
	if res.status != http.StatusOK {
		t.Fatalf("as-of budget lines: %d %s", res.status, res.body)
	}
	res.decode(t, &page)
	if len(page.Items) == 0 || page.Position != h.head() {
		t.Fatalf("as-of budget lines: %d lines at position %d, head %d", len(page.Items), page.Position, h.head())
	}
	var asOf api.AsOfClaim
	h.must(http.StatusOK, req{method: "GET", path: "/v1/audit/as-of/claims/exp-1?at=" + now, as: "auditor"}).decode(t, &asOf)
	if asOf.Claim.Status != "checked" {
		t.Fatalf("as-of claim: %+v", asOf)
	}
}

// countingStore records how much each read of the global log asks for.
type countingStore struct {
	eventstore.Store
	mu     sync.Mutex
	reads  int
	limits []int
}

func (c *countingStore) ReadAll(ctx context.Context, after uint64, limit int) ([]eventstore.Event, error) {
	c.mu.Lock()
	c.reads++
	c.limits = append(c.limits, limit)
	c.mu.Unlock()
	return c.Store.ReadAll(ctx, after, limit)
}

// lastRecorded is when the log's last event was recorded.
func (h *harness) lastRecorded() time.Time {
	h.t.Helper()
	var (
		after uint64
		at    time.Time
	)
	for {
		evs, err := h.l.Store.ReadAll(context.Background(), after, 1000)
		if err != nil {
			h.t.Fatal(err)
		}
		if len(evs) == 0 {
			return at
		}
		after, at = evs[len(evs)-1].Position, evs[len(evs)-1].RecordedAt
	}
}

// TestAsOfReadsAPageAtATimeAndStopsAtTheInstant: an as-of read asks the
// log for bounded pages only and stops at the first event after the
// instant, never reading the rest of the log; what it answers is the
// ledger as it was then.
func TestAsOfReadsAPageAtATimeAndStopsAtTheInstant(t *testing.T) {
	h := newHarness(t)
	h.setUp()
	var before api.Page[projections.BudgetLine]
	h.must(http.StatusOK, req{method: "GET", path: "/v1/budget-lines?limit=500", as: "auditor"}).decode(t, &before)
	instant, setUpHead := h.lastRecorded(), h.head()

	// Later: an allocation that changes a line the answer holds, then
	// pages of events the read must never reach.
	h.must(http.StatusCreated, req{method: "POST", path: "/v1/funds/" + fundOf(programme.Expansion) + "/allocations", as: "admin", body: map[string]any{
		"allocationId": "alloc-late", "programme": "expansion", "region": county, "amount": "5.00"}})
	for round := range 16 {
		noise := make([]eventstore.EventData, 100)
		for i := range noise {
			noise[i] = eventstore.EventData{ID: uuid.New(), Type: "NoiseRecorded", SchemaVersion: 1, Data: []byte(`{}`)}
		}
		if _, err := h.l.Store.Append(context.Background(), fmt.Sprintf("noise-%d", round), eventstore.Any, noise...); err != nil {
			t.Fatal(err)
		}
	}

	c := &countingStore{Store: h.l.Store}
	h.l.Store = c
	t.Cleanup(func() { h.l.Store = c.Store })
	var page api.AsOfPage[projections.BudgetLine]
	h.must(http.StatusOK, req{method: "GET", path: "/v1/audit/as-of/budget-lines?limit=500&at=" + instant.Format(time.RFC3339Nano), as: "auditor"}).decode(t, &page)
	asked := 0
	for _, l := range c.limits {
		if l <= 0 {
			t.Errorf("the as-of read asked for an unbounded page (limit %d)", l)
		}
		asked += l
	}
	if head := h.head(); uint64(asked) >= head {
		t.Errorf("the as-of read asked for %d events in %d reads; the log holds %d and the instant lies at position %d", asked, c.reads, head, setUpHead)
	}
	if page.Position != setUpHead || len(page.Items) != len(before.Items) {
		t.Fatalf("as of the set-up: position %d (want %d), %d lines (want %d)", page.Position, setUpHead, len(page.Items), len(before.Items))
	}
	for i := range before.Items {
		if page.Items[i].ID != before.Items[i].ID || !page.Items[i].Allocated.Equal(before.Items[i].Allocated) {
			t.Errorf("line %d as of the set-up: %+v, then %+v", i, page.Items[i], before.Items[i])
		}
	}
	now := h.line(t, lineOf(programme.Expansion))
	for _, l := range page.Items {
		if l.ID == now.ID && l.Allocated.Equal(now.Allocated) {
			t.Fatalf("the as-of answer holds the later allocation: %+v", l)
		}
	}
}
