package api

import (
	_ "embed"
	"net/http"

	"github.com/labstack/echo/v4"
)

//go:embed openapi.json
var openAPIDoc []byte

// healthz answers while the process serves requests.
func (s *server) healthz(c echo.Context) error {
	return writeJSON(c, http.StatusOK, map[string]string{"status": "ok"})
}

// Readiness is /readyz's answer.
type Readiness struct {
	Status     string `json:"status"`
	Checkpoint uint64 `json:"checkpoint"`
	// Behind counts the events the read models have yet to apply (up to
	// MaxLag + 1).
	Behind int `json:"behind"`
	MaxLag int `json:"maxLag"`
}

// readyz reports ready when the store answers and the read models trail
// the log by at most MaxLag events.
func (s *server) readyz(c echo.Context) error {
	n, _, err := s.behind(c.Request().Context(), s.l.Runner.Checkpoint(), s.cfg.MaxLag)
	if err != nil {
		return newProblem("not-ready", "", "store-reachable", "the event store does not answer")
	}
	if n > s.cfg.MaxLag {
		return newProblem("not-ready", "", "projection-lag", "the read models trail the log by more than %d events", s.cfg.MaxLag)
	}
	return writeJSON(c, http.StatusOK, Readiness{Status: "ready", Checkpoint: s.l.Runner.Checkpoint(), Behind: n, MaxLag: s.cfg.MaxLag})
}

// metricsPage serves the registry in the Prometheus text format.
func (s *server) metricsPage(c echo.Context) error {
	s.metricsHandler.ServeHTTP(c.Response(), c.Request())
	return nil
}

// openAPI serves the API's OpenAPI 3 document.
func (s *server) openAPI(c echo.Context) error {
	return c.Blob(http.StatusOK, echo.MIMEApplicationJSON, openAPIDoc)
}
