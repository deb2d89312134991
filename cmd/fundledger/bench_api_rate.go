package main

import (
	"context"
	"fmt"
	"io"
	"math/bits"
	"sync/atomic"
	"time"
)

// maxBenchRate bounds --rate so that the schedule's arithmetic cannot
// overflow; no server comes near it.
const maxBenchRate = 1_000_000_000

// benchLateAfter is the lateness a request may go out with before the
// report counts it as late: the timers that wake the workers are not
// exact to the microsecond.
const benchLateAfter = time.Millisecond

// benchSustained is the share of the offered rate a run must achieve
// for the report not to say it was not sustained.
const benchSustained = 0.95

// benchSchedule is the open-loop timetable shared by all workers: slot i
// is due at start + i·interval, the interval chosen so that, with
// numCommandKinds commands and queries queries per cycle, commands are
// offered at rate per second. Every request, command or query, takes
// the next slot, so when all connections are busy the slots that fall
// due wait for a free worker and the wait counts in their latency.
type benchSchedule struct {
	start time.Time
	// rate is the commands offered per second; perCycle the requests
	// per cycle, commands and queries.
	rate, perCycle uint64
	next           atomic.Uint64
}

func newBenchSchedule(start time.Time, rate, queries int) *benchSchedule {
	return &benchSchedule{start: start, rate: uint64(rate), perCycle: uint64(int(numCommandKinds) + queries)}
}

// offset is how long after the start slot i is due:
// i · numCommandKinds s / (rate · perCycle), in 128 bits so that the
// product cannot overflow, rounded down to the nanosecond.
func (s *benchSchedule) offset(i uint64) time.Duration {
	hi, lo := bits.Mul64(i, uint64(numCommandKinds)*uint64(time.Second))
	q, _ := bits.Div64(hi, lo, s.rate*s.perCycle)
	return time.Duration(q)
}

// due is when slot i is due.
func (s *benchSchedule) due(i uint64) time.Time { return s.start.Add(s.offset(i)) }

// claim takes the next free slot and returns its due time.
func (s *benchSchedule) claim() time.Time { return s.due(s.next.Add(1) - 1) }

// requestsPerSecond is the rate at which requests of both kinds are
// offered.
func (s *benchSchedule) requestsPerSecond() float64 {
	return float64(s.rate*s.perCycle) / float64(numCommandKinds)
}

// startsBefore takes the slot of a cycle's first request and reports
// whether it is due before deadline: no cycle starts on the schedule
// after the run's end.
func (w *worker) startsBefore(deadline time.Time) bool {
	w.due = w.sched.claim()
	return w.due.Before(deadline)
}

// await takes the worker's next slot (the one startsBefore took, if not
// yet used), waits until it is due and returns its due time and the
// time the request goes out; it keeps how late that was.
// A request whose slot is already due goes at once.
func (w *worker) await(ctx context.Context) (due, now time.Time) {
	due = w.due
	if due.IsZero() {
		due = w.sched.claim()
	}
	w.due = time.Time{}
	if wait := time.Until(due); wait > 0 {
		// One timer per worker, reset for each request: no allocation
		// and no goroutine per request.
		if w.timer == nil {
			w.timer = time.NewTimer(wait)
		} else {
			w.timer.Reset(wait)
		}
		select {
		case <-w.timer.C:
		case <-ctx.Done():
			w.timer.Stop()
		}
	}
	now = time.Now()
	w.res.late = append(w.res.late, now.Sub(due))
	return due, now
}

// rates are the commands/s a run on the schedule offered and achieved.
func (r loadResult) rates() (offered, achieved float64) {
	return float64(r.sched.rate), float64(r.commands()) / r.wall.Seconds()
}

// sustained reports whether a run on the schedule achieved at least
// benchSustained of the rate it offered.
func (r loadResult) sustained() bool {
	offered, achieved := r.rates()
	return achieved >= benchSustained*offered
}

// writeRateReport prints, for a run on the schedule, the offered and
// achieved commands/s, how late the requests went out, and what the
// latencies below it measure.
func writeRateReport(w io.Writer, res loadResult) {
	offered, achieved := res.rates()
	interval := res.sched.offset(1_000_000) / 1_000_000
	fmt.Fprintf(w, "rate      open loop: %.0f commands/s offered (%.0f requests/s, one due every %s); achieved %.0f commands/s, %.1f%% of offered\n",
		offered, res.sched.requestsPerSecond(), interval, achieved, 100*achieved/offered)
	if !res.sustained() {
		fmt.Fprintf(w, "NOT SUSTAINED  achieved %.0f commands/s, below %.0f%% of the %.0f offered: the server, or the generator beside it, fell behind\n",
			achieved, 100*benchSustained, offered)
	}
	lateness := summarise(res.late)
	late := 0
	for _, d := range res.late {
		if d > benchLateAfter {
			late++
		}
	}
	share := 0.0
	if lateness.N > 0 {
		share = 100 * float64(late) / float64(lateness.N)
	}
	fmt.Fprintf(w, "late      %d of %d requests (%.2f%%) went out more than %s after their due time\n", late, lateness.N, share, benchLateAfter)
	fmt.Fprintf(w, "%-9s %-12s %s\n", "late", "by", lateness)
	fmt.Fprintln(w, "latency   from each request's due time to its answer, a wait for a free connection included; 'service': from send to answer")
}

// writeServiceReport prints the service times of a run on the schedule.
func writeServiceReport(w io.Writer, res loadResult) {
	commands, queries := byRequest(&res.service)
	fmt.Fprintf(w, "%-9s %-12s %s\n", "service", "commands", summarise(commands))
	fmt.Fprintf(w, "%-9s %-12s %s\n", "service", "queries", summarise(queries))
}
