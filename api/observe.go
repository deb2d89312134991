package api

import (
	"context"
	"log/slog"
	"sync/atomic"
	"time"

	"github.com/google/uuid"
	"github.com/labstack/echo/v4"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/haixi-hrss/fundledger/api/auth"
	"github.com/haixi-hrss/fundledger/eventstore"
	"github.com/haixi-hrss/fundledger/projections"
)

// metrics are the API's Prometheus collectors. Labels carry route
// templates (/v1/claims/:claimId), never raw paths, so no identifier
// reaches a time series.
type metrics struct {
	requests      *prometheus.CounterVec
	latency       *prometheus.HistogramVec
	appendLatency prometheus.Histogram
	reads         prometheus.Counter
}

func newMetrics(reg *prometheus.Registry) (*metrics, error) {
	m := &metrics{
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "fundledger_http_requests_total",
			Help: "HTTP requests by route template, method and status.",
		}, []string{"route", "method", "status"}),
		latency: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "fundledger_http_request_duration_seconds",
			Help:    "HTTP request latency by route template, method and status.",
			Buckets: prometheus.DefBuckets,
		}, []string{"route", "method", "status"}),
		appendLatency: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name:    "fundledger_store_append_duration_seconds",
			Help:    "Latency of event store appends made by API commands.",
			Buckets: []float64{.0005, .001, .0025, .005, .01, .025, .05, .1, .25, .5, 1},
		}),
		reads: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "fundledger_store_stream_reads_total",
			Help: "Stream reads (and log-head lookups) the API makes for commands and their checks: with the appends, the store work a command costs.",
		}),
	}
	for _, c := range []prometheus.Collector{m.requests, m.latency, m.appendLatency, m.reads} {
		if err := reg.Register(c); err != nil {
			return nil, err
		}
	}
	return m, nil
}

// registerProjections exports how many events the read models trail the
// log (events, not positions: KurrentDB's positions are byte offsets, so
// their difference is no count) and what their last snapshot save and
// renewal cost.
func (m *metrics) registerProjections(reg *prometheus.Registry, s *server) error {
	// The last snapshot save of the read models: how long it stopped
	// applying (and so every command's read-your-writes and every query),
	// and how long it took in all; 0 before the first save.
	lastSave := func(f func(projections.SaveStats) time.Duration) func() float64 {
		return func() float64 {
			st, _ := s.l.Runner.LastSave()
			return f(st).Seconds()
		}
	}
	// The same of the last renewal of the models from that save
	// (projections.Relayer).
	lastRelayout := func(f func(projections.RelayoutStats) time.Duration) func() float64 {
		return func() float64 {
			st, _ := s.l.Runner.LastRelayout()
			return f(st).Seconds()
		}
	}
	for _, g := range []prometheus.Collector{
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{
			Name: "fundledger_projection_save_hold_seconds",
			Help: "How long the read models' last snapshot save held up applying events, Sync and queries.",
		}, lastSave(func(st projections.SaveStats) time.Duration { return st.Hold })),
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{
			Name: "fundledger_projection_save_duration_seconds",
			Help: "How long the read models' last snapshot save took in all (images, marshalling, writing, syncing).",
		}, lastSave(func(st projections.SaveStats) time.Duration { return st.Duration })),
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{
			Name: "fundledger_projection_relayout_hold_seconds",
			Help: "How long the last renewal of the read models from their snapshot held up applying events, Sync and queries.",
		}, lastRelayout(func(st projections.RelayoutStats) time.Duration { return st.Hold })),
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{
			Name: "fundledger_projection_relayout_duration_seconds",
			Help: "How long the last renewal of the read models from their snapshot took in all (restoring, bringing forward, adopting).",
		}, lastRelayout(func(st projections.RelayoutStats) time.Duration { return st.Duration })),
		prometheus.NewCounterFunc(prometheus.CounterOpts{
			Name: "fundledger_projection_saves_total",
			Help: "Snapshot saves of the read models since the server started.",
		}, func() float64 { return float64(s.l.Runner.Totals().Saves) }),
		prometheus.NewCounterFunc(prometheus.CounterOpts{
			Name: "fundledger_projection_save_seconds_total",
			Help: "Time the read models' snapshot saves took in all since the server started.",
		}, func() float64 { return s.l.Runner.Totals().SaveTime.Seconds() }),
		prometheus.NewCounterFunc(prometheus.CounterOpts{
			Name: "fundledger_projection_relayouts_total",
			Help: "Renewals of the read models from their snapshot since the server started.",
		}, func() float64 { return float64(s.l.Runner.Totals().Relayouts) }),
		prometheus.NewCounterFunc(prometheus.CounterOpts{
			Name: "fundledger_projection_relayout_seconds_total",
			Help: "Time the renewals of the read models took in all since the server started.",
		}, func() float64 { return s.l.Runner.Totals().RelayoutTime.Seconds() }),
	} {
		if err := reg.Register(g); err != nil {
			return err
		}
	}
	return reg.Register(prometheus.NewGaugeFunc(prometheus.GaugeOpts{
		Name: "fundledger_projection_lag_events",
		Help: "Events in the log after the read models' checkpoint (counted up to 100000).",
	}, func() float64 {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		n, _, err := s.behind(ctx, s.l.Runner.Checkpoint(), 100000)
		if err != nil {
			return -1
		}
		return float64(n)
	}))
}

// timedStore times the appends of the API's commands and counts their
// stream reads.
type timedStore struct {
	eventstore.Store
	hist  prometheus.Histogram
	reads prometheus.Counter
	// appended is the highest position an append through it returned:
	// a command's own writes are all at or before it when it answers.
	appended *atomic.Uint64
}

func (t timedStore) ReadStream(ctx context.Context, stream string, from uint64, limit int) ([]eventstore.Event, error) {
	t.reads.Inc()
	return t.Store.ReadStream(ctx, stream, from, limit)
}

func (t timedStore) ReadStreamBackward(ctx context.Context, stream string, n int) ([]eventstore.Event, error) {
	t.reads.Inc()
	return t.Store.ReadStreamBackward(ctx, stream, n)
}

func (t timedStore) Append(ctx context.Context, stream string, expected eventstore.ExpectedVersion, events ...eventstore.EventData) (eventstore.AppendResult, error) {
	start := time.Now()
	res, err := t.Store.Append(ctx, stream, expected, events...)
	t.hist.Observe(time.Since(start).Seconds())
	if err == nil {
		t.advance(res.Position)
	}
	return res, err
}

// advance raises appended to pos.
func (t timedStore) advance(pos uint64) {
	for {
		last := t.appended.Load()
		if pos <= last || t.appended.CompareAndSwap(last, pos) {
			return
		}
	}
}

// timedMultiStore is a timedStore over a store that appends to several
// streams in one commit: that commit is timed and counted as one append.
type timedMultiStore struct {
	timedStore
	multi eventstore.MultiAppender
}

func (t timedMultiStore) AppendMulti(ctx context.Context, parts ...eventstore.StreamAppend) ([]eventstore.AppendResult, error) {
	start := time.Now()
	res, err := t.multi.AppendMulti(ctx, parts...)
	t.hist.Observe(time.Since(start).Seconds())
	for _, r := range res {
		t.advance(r.Position)
	}
	return res, err
}

// forLedger is the store the API's ledger service appends through: t,
// able to append to several streams at once when the store under it is.
func (t timedStore) forLedger() eventstore.Store {
	if m, ok := t.Store.(eventstore.MultiAppender); ok {
		return timedMultiStore{timedStore: t, multi: m}
	}
	return t
}

// call is one request's echo context with what the API keeps of it:
// its ID, which commands record as their correlation ID so an auditor can
// match events to the access log, and the principal once authenticated.
// They live beside the context, not in echo's per-request store, which
// would cost a map and two boxed values per request.
type call struct {
	echo.Context
	id string
	p  auth.Principal
}

// requestID is the ID observe gave the request.
func requestID(c echo.Context) string {
	if k, ok := c.(*call); ok {
		return k.id
	}
	return ""
}

// routeOf is the matched route template, never the raw path: raw paths
// carry claim IDs, credit codes and references.
func routeOf(c echo.Context) string {
	if p := c.Path(); p != "" && p != "/*" {
		return p
	}
	return "unmatched"
}

// observe records every request in the metrics and the access log. The
// log holds the route template, status, duration, principal and request
// ID; never the raw path, the query or a body, so no resident ID or other
// personal identifier can reach it.
func (s *server) observe(next echo.HandlerFunc) echo.HandlerFunc {
	return func(ec echo.Context) error {
		start := time.Now()
		c := &call{Context: ec, id: uuid.NewString()}
		c.Response().Header().Set(echo.HeaderXRequestID, c.id)
		if err := next(c); err != nil {
			c.Error(err)
		}
		elapsed := time.Since(start)
		route, method := routeOf(c), c.Request().Method
		status := c.Response().Status
		statusText := statusLabel(status)
		s.metrics.requests.WithLabelValues(route, method, statusText).Inc()
		s.metrics.latency.WithLabelValues(route, method, statusText).Observe(elapsed.Seconds())
		attrs := [...]slog.Attr{slog.String("route", route), slog.String("method", method), slog.Int("status", status),
			slog.Float64("duration_ms", float64(elapsed.Microseconds())/1000), slog.String("request_id", c.id),
			{}, {}}
		n := 5
		if c.p.Name != "" {
			attrs[5], attrs[6] = slog.String("principal", c.p.Name), slog.String("role", c.p.Role)
			n = 7
		}
		s.log.LogAttrs(c.Request().Context(), slog.LevelInfo, "http request", attrs[:n]...)
		return nil
	}
}

func statusLabel(code int) string {
	if code < 100 || code > 999 {
		return "000"
	}
	return string([]byte{byte('0' + code/100), byte('0' + code/10%10), byte('0' + code%10)})
}
