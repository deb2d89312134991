package main

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/http"
	"runtime/pprof"
	"sync"
	"time"

	"github.com/haixi-hrss/fundledger/domain/role"
)

// benchKind is one kind of request the bench sends.
type benchKind int

// The six commands of a cycle, in order, then the queries.
const (
	kindSubmit benchKind = iota
	kindApprove
	kindDisclose
	kindDisclosed
	kindRelease
	kindSettle
	kindPerformance
	kindBudgetLine
	kindQueue
	numKinds
)

// numCommandKinds: the kinds before it are commands, the rest queries.
const numCommandKinds = kindPerformance

var kindNames = [numKinds]string{"submit", "approve", "disclose", "disclosed", "release", "settle",
	"performance", "budget-line", "queue"}

func (k benchKind) String() string { return kindNames[k] }

// kindErrors counts one kind's failed requests and keeps the first.
type kindErrors struct {
	n     int
	first string
}

// loadResult is what the workers measured.
type loadResult struct {
	wall    time.Duration
	samples [numKinds][]time.Duration
	errors  [numKinds]kindErrors
	// cycles counts the claims taken through all six commands.
	cycles int
	// byWindow holds the commands' latencies by the window of the run
	// they were answered in: each window's commands/s and p99 show a
	// ledger whose commands slow down as it grows, and when the slowest
	// came.
	byWindow [][]time.Duration
	// sched is the schedule of a run at a fixed rate (--rate), nil for
	// the closed loop. On it samples run from each request's due time
	// to its answer, service from its sending to its answer, and late
	// holds how long after its due time each request went out: the wait
	// for a free worker when the server falls behind, and the
	// generator's own delays.
	sched   *benchSchedule
	service [numKinds][]time.Duration
	late    []time.Duration
}

// commands counts the commands answered with success.
func (r loadResult) commands() int {
	n := 0
	for k := range numCommandKinds {
		n += len(r.samples[k])
	}
	return n
}

// benchWindow is the length of the windows of loadResult.byWindow.
const benchWindow = 5 * time.Second

// worker runs cycles over a connection of its own (wire), or over the
// client's shared connections when the server is not plain http.
type worker struct {
	id      int
	c       *apiClient
	wire    *wireConn
	plan    benchPlan
	queries int
	buf     bytes.Buffer
	res     loadResult
	// sched, when not nil, is the schedule the worker's requests keep;
	// due is the slot startsBefore took and timer the worker's wait.
	sched *benchSchedule
	// began is when the run began, for the windows of byWindow.
	began time.Time
	due   time.Time
	timer *time.Timer
}

// runLoad runs conns workers until duration has passed; each finishes
// the cycle it is in, so every claim it started is paid. With rate above
// zero the requests keep a schedule of rate commands/s (see
// benchSchedule); without, each worker sends its next request as soon
// as the previous one is answered. The workers run
// under the pprof label side=generator, so a CPU profile of an
// in-process run tells the generator's share from the server's.
func runLoad(ctx context.Context, c *apiClient, plan benchPlan, conns, queries, rate int, duration time.Duration) loadResult {
	workers := make([]*worker, conns)
	var wg sync.WaitGroup
	start := time.Now()
	deadline := start.Add(duration)
	var sched *benchSchedule
	if rate > 0 {
		sched = newBenchSchedule(start, rate, queries)
	}
	pprof.Do(ctx, pprof.Labels("side", "generator"), func(ctx context.Context) {
		for i := range workers {
			w := &worker{id: i, c: c, wire: c.newWireConn(), plan: plan, queries: queries, sched: sched, began: start}
			workers[i] = w
			wg.Go(func() {
				w.run(ctx, deadline)
				if w.wire != nil {
					w.wire.close()
				}
			})
		}
		wg.Wait()
	})
	total := loadResult{wall: time.Since(start), sched: sched}
	for _, w := range workers {
		total.cycles += w.res.cycles
		total.late = append(total.late, w.res.late...)
		for i, ds := range w.res.byWindow {
			if i >= len(total.byWindow) {
				total.byWindow = append(total.byWindow, make([][]time.Duration, i+1-len(total.byWindow))...)
			}
			total.byWindow[i] = append(total.byWindow[i], ds...)
		}
		for k := range numKinds {
			total.samples[k] = append(total.samples[k], w.res.samples[k]...)
			total.service[k] = append(total.service[k], w.res.service[k]...)
			total.errors[k].n += w.res.errors[k].n
			if total.errors[k].first == "" {
				total.errors[k].first = w.res.errors[k].first
			}
		}
	}
	return total
}

// run starts cycles until deadline. On a schedule a cycle starts when its
// first slot is due before deadline, however late the worker takes it:
// the slots a server that fell behind left waiting are sent and charged,
// not dropped with the end of the run.
func (w *worker) run(ctx context.Context, deadline time.Time) {
	for n := 0; ctx.Err() == nil; n++ {
		if w.sched == nil && !time.Now().Before(deadline) {
			return
		}
		if w.sched != nil && !w.startsBefore(deadline) {
			return
		}
		if w.cycle(ctx, n) {
			w.res.cycles++
		}
		for q := range w.queries {
			w.query(ctx, benchKind(int(kindPerformance)+(n*w.queries+q+w.id)%int(numKinds-numCommandKinds)))
		}
	}
}

// send times one request and records it under kind; it reports success.
// On a schedule it first waits for the request's slot, and its latency
// runs from the slot's due time.
func (w *worker) send(ctx context.Context, kind benchKind, method, path, asRole, key string, body []byte) bool {
	var due, start time.Time
	if w.sched != nil {
		due, start = w.await(ctx)
	} else {
		start = time.Now()
	}
	var err error
	if w.wire != nil {
		err = w.wire.do(ctx, &w.buf, method, path, asRole, key, body)
	} else {
		err = w.c.do(ctx, &w.buf, method, path, asRole, key, body)
	}
	end := time.Now()
	elapsed := end.Sub(start)
	if err != nil {
		e := &w.res.errors[kind]
		e.n++
		if e.first == "" {
			e.first = fmt.Sprintf("%s %s: %v", method, path, err)
		}
		return false
	}
	if w.sched != nil {
		w.res.service[kind] = append(w.res.service[kind], elapsed)
		elapsed = end.Sub(due)
	}
	w.res.samples[kind] = append(w.res.samples[kind], elapsed)
	if kind < numCommandKinds {
		w.byWindow(end, elapsed)
	}
	return true
}

// byWindow files a command's latency under the window it was answered
// in; a worker made without the run's start (a test's) files nothing.
func (w *worker) byWindow(end time.Time, elapsed time.Duration) {
	if w.began.IsZero() || end.Before(w.began) {
		return
	}
	i := int(end.Sub(w.began) / benchWindow)
	for len(w.res.byWindow) <= i {
		w.res.byWindow = append(w.res.byWindow, nil)
	}
	w.res.byWindow[i] = append(w.res.byWindow[i], elapsed)
}

// cycle takes one new claim through submit → approve → disclosure start
// → disclosure completion → release → payment result, each a command of
// its own under its own Idempotency-Key. A failed step ends the cycle.
func (w *worker) cycle(ctx context.Context, n int) bool {
	cty := w.plan.counties[(w.id+n)%len(w.plan.counties)]
	id := fmt.Sprintf("%s-%02d-%07d", w.plan.run, w.id, n)
	person := sha256.Sum256([]byte(id))
	claimPath := "/v1/claims/" + id
	payment := "pay-" + id
	steps := []struct {
		kind       benchKind
		path, role string
		body       any
	}{
		{kindSubmit, "/v1/claims/expansion", role.Clerk, map[string]any{
			"claimId": id, "budgetLineId": cty.line, "region": cty.region, "effectiveDate": "2025-03-15",
			"facts": map[string]any{
				"person": hex.EncodeToString(person[:]), "employer": cty.employer, "group": "graduate",
				"graduationDate": "2024-06-30", "regularDegreeCourse": true, "contractDate": "2025-01-15",
				"insuredMonthsUnemployment": 3, "insuredMonthsWorkInjury": 3, "insuredMonthsPension": 3, "insuredAtCheck": true,
			}}},
		{kindApprove, claimPath + "/approval", role.Approver, map[string]any{"reason": "documents complete"}},
		{kindDisclose, claimPath + "/disclosure", role.Clerk, map[string]any{"on": "2025-04-01", "masked": "6328**********1230"}},
		{kindDisclosed, claimPath + "/disclosure/completion", role.Clerk, map[string]any{"on": "2025-04-09"}},
		{kindRelease, claimPath + "/payments", role.Treasurer, map[string]any{"instalment": 1, "paymentId": payment}},
		{kindSettle, claimPath + "/payments/" + payment + "/result", role.Treasurer, map[string]any{
			"instalment": 1, "paid": true, "bankRef": "BOC-" + id, "on": "2025-04-10"}},
	}
	for _, s := range steps {
		body, err := json.Marshal(s.body)
		if err != nil {
			panic(err) // maps of strings, numbers and bools always marshal
		}
		if !w.send(ctx, s.kind, http.MethodPost, s.path, s.role, id+"/"+s.kind.String(), body) {
			return false
		}
	}
	return true
}

// query sends one of the officers' reads.
func (w *worker) query(ctx context.Context, kind benchKind) {
	switch kind {
	case kindPerformance:
		w.send(ctx, kind, http.MethodGet, "/v1/evaluation/performance?period=2025", role.Evaluator, "", nil)
	case kindBudgetLine:
		line := w.plan.counties[w.id%len(w.plan.counties)].line
		w.send(ctx, kind, http.MethodGet, "/v1/budget-lines/"+line, role.Evaluator, "", nil)
	case kindQueue:
		w.send(ctx, kind, http.MethodGet, "/v1/queue?limit=20", role.Approver, "", nil)
	}
}
