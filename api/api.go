// Package api serves a ledger over HTTP: REST and JSON under /v1, bearer
// tokens mapped to one role each, RFC 9457 problem details for every
// error, cursor pagination, idempotent commands, health checks and
// Prometheus metrics.
package api

import (
	"errors"
	"log/slog"
	"net/http"
	"sync/atomic"
	"time"

	"github.com/labstack/echo/v4"
	"github.com/labstack/echo/v4/middleware"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/haixi-hrss/fundledger/api/auth"
	"github.com/haixi-hrss/fundledger/domain/calendar"
	"github.com/haixi-hrss/fundledger/domain/identity"
	"github.com/haixi-hrss/fundledger/ledger"
	"github.com/haixi-hrss/fundledger/ledger/datadir"
)

// DefaultMaxBodyBytes bounds a request body when Config leaves it zero:
// a CSV batch of a few thousand employers fits, a runaway upload does not.
const DefaultMaxBodyBytes = 4 << 20

// DefaultMaxLag is how many events the read models may trail the log
// before /readyz reports the server not ready.
const DefaultMaxLag = 1000

// Verifier checks a bearer token: *auth.Tokens, or serve's verifier that
// picks up tokens created and revoked while the server runs.
type Verifier interface {
	Verify(token string) (auth.Principal, bool)
}

// Config configures the HTTP API.
type Config struct {
	// Tokens maps bearer tokens to principals; required.
	Tokens Verifier
	// Logger receives the access log and server errors; slog.Default()
	// when nil.
	Logger *slog.Logger
	// Now is the clock commands are stamped with; time.Now when nil.
	Now func() time.Time
	// MaxBodyBytes bounds request bodies (413 above it);
	// DefaultMaxBodyBytes when 0.
	MaxBodyBytes int64
	// Registry receives the API's metrics and is served at /metrics; a
	// fresh registry when nil.
	Registry *prometheus.Registry
	// Persons turns a resident ID sent by a clerk into the keyed person
	// reference events carry. Without it, requests must send the
	// reference itself.
	Persons *identity.Hasher
	// Calendar gives the public holidays and exchanged working days that
	// count towards a disclosure period; weekends only when zero.
	Calendar calendar.WorkCalendar
	// MaxLag is how many events the read models may trail the log while
	// /readyz still reports ready; DefaultMaxLag when 0.
	MaxLag int
	// LedgerOptions configure the API's ledger service (attempts,
	// backoff); the API runs its commands through a service of its own so
	// that it can time each append.
	LedgerOptions []ledger.Option
}

// server holds what the handlers share.
type server struct {
	l   *datadir.Ledger
	svc *ledger.Service
	// store is the log as commands use it: appends timed, reads counted.
	store          timedStore
	policyFolds    policyFolds
	cfg            Config
	log            *slog.Logger
	metrics        *metrics
	metricsHandler http.Handler
	// verifying holds the one verification allowed to run; asOfReads the
	// as-of reads running.
	verifying chan struct{}
	asOfReads chan struct{}
}

// New returns the HTTP API of ledger l. The caller keeps l's read models
// following the log (datadir.Ledger.Start); commands bring them up to
// their own writes before answering, so a client reads what it wrote.
func New(l *datadir.Ledger, cfg Config) (*echo.Echo, error) {
	if l == nil {
		return nil, errors.New("api: no ledger")
	}
	if cfg.Tokens == nil {
		return nil, errors.New("api: Config.Tokens is required")
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.MaxBodyBytes <= 0 {
		cfg.MaxBodyBytes = DefaultMaxBodyBytes
	}
	if cfg.Registry == nil {
		cfg.Registry = prometheus.NewRegistry()
	}
	if cfg.MaxLag <= 0 {
		cfg.MaxLag = DefaultMaxLag
	}
	m, err := newMetrics(cfg.Registry)
	if err != nil {
		return nil, err
	}
	s := &server{l: l, cfg: cfg, log: cfg.Logger, metrics: m,
		metricsHandler: promhttp.HandlerFor(cfg.Registry, promhttp.HandlerOpts{}),
		verifying:      make(chan struct{}, 1), asOfReads: make(chan struct{}, maxAsOfReads)}
	s.store = timedStore{Store: l.Store, hist: m.appendLatency, reads: m.reads, appended: new(atomic.Uint64)}
	s.svc = ledger.New(s.store.forLedger(), l.Codec, cfg.LedgerOptions...)
	if err := m.registerProjections(cfg.Registry, s); err != nil {
		return nil, err
	}

	e := echo.New()
	e.HideBanner = true
	e.HidePort = true
	e.HTTPErrorHandler = s.handleError
	e.Use(s.observe, middleware.Recover())
	for _, rt := range routes() {
		e.Add(rt.method, rt.path, s.guard(rt), s.limitBody)
	}
	return e, nil
}

// limitBody refuses bodies larger than MaxBodyBytes: a declared length
// at once, an undeclared one when reading passes the limit.
func (s *server) limitBody(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		req := c.Request()
		if req.ContentLength > s.cfg.MaxBodyBytes {
			return errBodyTooLarge(s.cfg.MaxBodyBytes)
		}
		req.Body = http.MaxBytesReader(c.Response(), req.Body, s.cfg.MaxBodyBytes)
		return next(c)
	}
}
