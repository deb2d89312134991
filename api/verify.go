package api

import (
	"errors"
	"net/http"
	"strconv"

	"github.com/labstack/echo/v4"

	"github.com/haixi-hrss/fundledger/eventstore/integrity"
)

// verifyRetryAfter is the Retry-After, in seconds, of a verification
// refused because another is running.
const verifyRetryAfter = 30

// Verification is the result of checking the log's integrity.
type Verification struct {
	OK           bool      `json:"ok"`
	Streams      int       `json:"streams"`
	Events       uint64    `json:"events"`
	LastPosition uint64    `json:"lastPosition"`
	Digest       string    `json:"digest,omitempty"`
	Broken       *Breakage `json:"broken,omitempty"`
	// ExpectMatched is set when ?expect= named a digest recorded earlier.
	ExpectMatched *bool `json:"expectMatched,omitempty"`
}

// Breakage names the first broken event.
type Breakage struct {
	Stream   string `json:"stream"`
	Version  uint64 `json:"version"`
	Position uint64 `json:"position"`
	Reason   string `json:"reason"`
	Detail   string `json:"detail"`
}

// verify recomputes every hash chain and the ledger digest; with ?expect=
// it also checks a digest recorded earlier. A broken log is a finding,
// not a failure of the request: it answers 200 with ok false.
//
// Verification reads and hashes the whole log, so one runs at a time: a
// request while another runs is refused with 429 and Retry-After rather
// than queued, as a second result would tell the auditor nothing new.
// It stops when its client goes away.
func (s *server) verify(c echo.Context) error {
	var opts integrity.Options
	if e := c.QueryParam("expect"); e != "" {
		d, err := integrity.ParseDigest(e)
		if err != nil {
			return errParam("expect", "digest", "expect must be a digest as verify prints it")
		}
		opts.Expect = &d
	}
	select {
	case s.verifying <- struct{}{}:
		defer func() { <-s.verifying }()
	default:
		c.Response().Header().Set("Retry-After", strconv.Itoa(verifyRetryAfter))
		return newProblem("busy", "", "one-at-a-time", "a verification of the whole log is already running; retry when it has finished")
	}
	rep, err := integrity.Verify(c.Request().Context(), s.l.Store, opts)
	out := Verification{OK: err == nil, Streams: rep.Streams, Events: rep.Events, LastPosition: rep.LastPosition}
	if err == nil {
		out.Digest = rep.Digest.String()
		if opts.Expect != nil {
			out.ExpectMatched = &rep.ExpectMatched
		}
		return writeJSON(c, http.StatusOK, out)
	}
	var (
		be *integrity.BrokenError
		me *integrity.DigestMismatchError
	)
	switch {
	case errors.As(err, &be):
		out.Broken = &Breakage{Stream: be.Stream, Version: be.Version, Position: be.Position, Reason: be.Reason.String(), Detail: be.Detail}
	case errors.As(err, &me):
		matched := false
		out.ExpectMatched = &matched
		out.Digest = me.Actual.String()
	default:
		return err
	}
	return writeJSON(c, http.StatusOK, out)
}
