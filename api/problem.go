package api

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"

	"github.com/labstack/echo/v4"

	"github.com/haixi-hrss/fundledger/domain"
	"github.com/haixi-hrss/fundledger/ledger"
)

// ProblemBase prefixes every problem type URI. The URIs are identifiers
// that clients match on; they are stable across releases.
const ProblemBase = "https://fundledger.example/problems/"

// Problem is an RFC 9457 problem details object, with the input field and
// the rule at fault when there is one.
type Problem struct {
	Type   string `json:"type"`
	Title  string `json:"title"`
	Status int    `json:"status"`
	Detail string `json:"detail,omitempty"`
	Field  string `json:"field,omitempty"`
	Rule   string `json:"rule,omitempty"`
}

// The problem types. Each slug has one title and one status.
var problemTypes = map[string]struct {
	status int
	title  string
}{
	"malformed-json":           {http.StatusBadRequest, "The body is not valid JSON"},
	"unknown-field":            {http.StatusBadRequest, "The body has a field this endpoint does not take"},
	"wrong-type":               {http.StatusBadRequest, "A field has the wrong JSON type"},
	"invalid-parameter":        {http.StatusBadRequest, "A query or path parameter is invalid"},
	"invalid-header":           {http.StatusBadRequest, "A request header is invalid"},
	"unauthorized":             {http.StatusUnauthorized, "A valid bearer token is required"},
	"forbidden":                {http.StatusForbidden, "Your role may not do this"},
	"not-found":                {http.StatusNotFound, "No such resource"},
	"method-not-allowed":       {http.StatusMethodNotAllowed, "This method is not allowed here"},
	"rule-violation":           {http.StatusConflict, "A business rule forbids this"},
	"duplicate":                {http.StatusConflict, "Another claim already holds this entitlement"},
	"concurrent-modification":  {http.StatusConflict, "The record kept changing; try again"},
	"body-too-large":           {http.StatusRequestEntityTooLarge, "The body is too large"},
	"busy":                     {http.StatusTooManyRequests, "The server is already doing this; retry later"},
	"unsupported-media-type":   {http.StatusUnsupportedMediaType, "The body's content type is not accepted"},
	"invalid-field":            {http.StatusUnprocessableEntity, "A field is invalid"},
	"idempotency-key-reused":   {http.StatusUnprocessableEntity, "The idempotency key was used for a different request"},
	"not-ready":                {http.StatusServiceUnavailable, "The server is not ready"},
	"step-pending":             {http.StatusServiceUnavailable, "Recorded, but a follow-up step is pending; retry with the same key"},
	"unavailable":              {http.StatusServiceUnavailable, "The request was cancelled or ran out of time"},
	"internal":                 {http.StatusInternalServerError, "Internal error"},
	"resident-id-not-accepted": {http.StatusUnprocessableEntity, "This server takes person references, not resident IDs"},
}

// apiError is an error the API raises itself, already classified.
type apiError struct {
	slug, detail, field, rule string
}

func (e *apiError) Error() string { return e.slug + ": " + e.detail }

func newProblem(slug, field, rule, format string, args ...any) *apiError {
	return &apiError{slug: slug, field: field, rule: rule, detail: fmt.Sprintf(format, args...)}
}

var errUnauthorized = newProblem("unauthorized", "", "", "send Authorization: Bearer <token>")

func errForbidden(role string) error {
	return newProblem("forbidden", "role", "role", "role %q may not call this endpoint", role)
}

func errBodyTooLarge(limit int64) error {
	return newProblem("body-too-large", "", "max-body-bytes", "the body may have at most %d bytes", limit)
}

func errNotFound(field, format string, args ...any) error {
	return newProblem("not-found", field, "exists", format, args...)
}

func errParam(field, rule, format string, args ...any) error {
	return newProblem("invalid-parameter", field, rule, format, args...)
}

// problemOf classifies err. This is the one place where errors become
// HTTP statuses.
func problemOf(err error) (Problem, bool) {
	var (
		ae  *apiError
		fe  *domain.FieldError
		re  *domain.RuleError
		he  *echo.HTTPError
		mbe *http.MaxBytesError
	)
	p := func(slug, field, rule, detail string) Problem {
		t := problemTypes[slug]
		return Problem{Type: ProblemBase + slug, Title: t.title, Status: t.status, Detail: detail, Field: field, Rule: rule}
	}
	switch {
	case errors.As(err, &ae):
		return p(ae.slug, ae.field, ae.rule, ae.detail), false
	case errors.As(err, &mbe):
		return p("body-too-large", "", "max-body-bytes", fmt.Sprintf("the body may have at most %d bytes", mbe.Limit)), false
	case errors.As(err, &fe):
		return p("invalid-field", fe.Field, fe.Rule, fe.Detail), false
	case errors.As(err, &re):
		if strings.HasPrefix(re.Rule, "role-") {
			return p("forbidden", re.Field, re.Rule, re.Detail), false
		}
		return p("rule-violation", re.Field, re.Rule, re.Detail), false
	case errors.Is(err, ledger.ErrIdempotencyMismatch):
		return p("idempotency-key-reused", "Idempotency-Key", "same-request", "this key was first used for a different request; use a new key"), false
	case errors.Is(err, ledger.ErrDuplicate):
		var de *ledger.DuplicateError
		detail := "the entitlement is already claimed"
		if errors.As(err, &de) {
			detail = "the entitlement is already held by " + de.Owner
			if rule := reservedRule(de.Stream); rule != "" {
				detail = "the entitlement " + rule + " is already held by " + de.Owner
			}
		}
		return p("duplicate", "", "unique", detail), false
	case errors.Is(err, ledger.ErrStepPending):
		// The claim event is recorded; a retry with the same key replays
		// it and completes the budget step, and start-up reconciles it
		// if nobody retries. Not a conflict: nothing needs redoing.
		return p("step-pending", "", "budget-step", "the command is recorded, but its budget step is still pending; retry with the same Idempotency-Key to complete it"), true
	case errors.Is(err, ledger.ErrConflict):
		return p("concurrent-modification", "", "", "concurrent changes to the same record; retry the request"), false
	case errors.As(err, &he):
		switch he.Code {
		case http.StatusNotFound:
			return p("not-found", "", "route", "no such endpoint"), false
		case http.StatusMethodNotAllowed:
			return p("method-not-allowed", "", "method", "see /v1/openapi.json for the methods of this path"), false
		case http.StatusRequestEntityTooLarge:
			return p("body-too-large", "", "max-body-bytes", "the body is too large"), false
		case http.StatusUnsupportedMediaType:
			return p("unsupported-media-type", "", "content-type", "send application/json"), false
		}
		if he.Code >= 400 && he.Code < 500 {
			return Problem{Type: "about:blank", Title: http.StatusText(he.Code), Status: he.Code}, false
		}
	case errors.Is(err, context.Canceled), errors.Is(err, context.DeadlineExceeded):
		return p("unavailable", "", "deadline", "the request was cancelled or timed out; retry it with the same Idempotency-Key"), false
	}
	return p("internal", "", "", "the server failed; the error is logged"), true
}

// reservedRule is the rule of a uniqueness reservation stream,
// "uniq-<rule>-<hash>" (uniqueness.Key.Stream); the hash hides the
// person, the rule tells the clerk which entitlement is taken.
func reservedRule(stream string) string {
	rest, ok := strings.CutPrefix(stream, "uniq-")
	if !ok {
		return ""
	}
	i := strings.LastIndexByte(rest, '-')
	if i <= 0 {
		return ""
	}
	return rest[:i]
}

// handleError is echo's HTTPErrorHandler: every error a handler or
// middleware returns leaves the server here, as problem+json.
func (s *server) handleError(err error, c echo.Context) {
	if c.Response().Committed {
		return
	}
	prob, logIt := problemOf(err)
	if logIt {
		s.log.ErrorContext(c.Request().Context(), "request failed", "route", routeOf(c), "method", c.Request().Method, "error", err.Error())
	}
	b, merr := json.Marshal(prob)
	if merr != nil {
		b = []byte(`{"type":"` + ProblemBase + `internal","title":"Internal error","status":500}`)
		prob.Status = http.StatusInternalServerError
	}
	c.Response().Header().Set(echo.HeaderContentType, "application/problem+json")
	if prob.Status == http.StatusServiceUnavailable {
		c.Response().Header().Set("Retry-After", "1")
	}
	c.Response().WriteHeader(prob.Status)
	if c.Request().Method != http.MethodHead {
		_, _ = c.Response().Write(b)
	}
}
