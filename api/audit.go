package api

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"time"

	"github.com/google/uuid"
	"github.com/labstack/echo/v4"

	"github.com/haixi-hrss/fundledger/eventstore"
	"github.com/haixi-hrss/fundledger/eventstore/integrity"
	"github.com/haixi-hrss/fundledger/ledger/datadir"
	"github.com/haixi-hrss/fundledger/projections"
)

func (s *server) claimTrail(c echo.Context) error {
	q, err := parsePage(c)
	if err != nil {
		return err
	}
	id := c.Param("claimId")
	var (
		trail []projections.TrailEntry
		ok    bool
	)
	s.l.Runner.Read(func(uint64) {
		var all []projections.TrailEntry
		if all, ok = s.l.Views.Trail.ClaimTrail(id); ok {
			trail = append(trail, all...)
		}
	})
	if !ok {
		return errNotFound("claimId", "no claim %q", id)
	}
	return c.JSON(http.StatusOK, paginate(trail, func(e projections.TrailEntry) string { return positionKey(e.Position) }, q))
}

func (s *server) paymentTrace(c echo.Context) error {
	id := c.Param("claimId")
	var (
		trace projections.PaymentTrace
		ok    bool
	)
	s.l.Runner.Read(func(uint64) { trace, ok = s.l.Views.Trail.TracePayment(id) })
	if !ok {
		return errNotFound("claimId", "no paid claim %q", id)
	}
	return c.JSON(http.StatusOK, trace)
}

func (s *server) actorActions(c echo.Context) error {
	q, err := parsePage(c)
	if err != nil {
		return err
	}
	actor := c.Param("actor")
	var page Page[projections.Action]
	s.l.Runner.Read(func(uint64) {
		page = paginate(s.l.Views.Trail.ByActor(actor), func(a projections.Action) string { return positionKey(a.Position) }, q)
	})
	return c.JSON(http.StatusOK, page)
}

// positionKey writes a position with a fixed width, so string order is
// numeric order.
func positionKey(p uint64) string { return fmt.Sprintf("%020d", p) }

// RawEvent is a stored event exactly as the log holds it, with its
// envelope and chain hashes.
type RawEvent struct {
	ID            uuid.UUID           `json:"id"`
	Stream        string              `json:"stream"`
	Version       uint64              `json:"version"`
	Position      uint64              `json:"position"`
	Type          string              `json:"type"`
	SchemaVersion int                 `json:"schemaVersion"`
	Data          json.RawMessage     `json:"data"`
	Metadata      eventstore.Metadata `json:"metadata"`
	RecordedAt    time.Time           `json:"recordedAt"`
	PrevHash      string              `json:"prevHash"`
	Hash          string              `json:"hash"`
}

func rawEvents(evs []eventstore.Event) []RawEvent {
	out := make([]RawEvent, len(evs))
	for i, e := range evs {
		data := json.RawMessage(e.Data)
		if !json.Valid(data) {
			// Never the case for the ledger's own events; a store edited by
			// hand must not break the answer that helps find out.
			data, _ = json.Marshal(string(e.Data))
		}
		out[i] = RawEvent{ID: e.ID, Stream: e.Stream, Version: e.Version, Position: e.Position, Type: e.Type,
			SchemaVersion: e.SchemaVersion, Data: data, Metadata: e.Metadata, RecordedAt: e.RecordedAt,
			PrevHash: e.PrevHash.String(), Hash: e.Hash.String()}
	}
	return out
}

// cursorNumber decodes a page cursor that holds a position or version.
func cursorNumber(q pageQuery) (uint64, bool, error) {
	if q.after == "" {
		return 0, false, nil
	}
	n, err := strconv.ParseUint(q.after, 10, 64)
	if err != nil {
		return 0, false, errParam("cursor", "cursor", "the cursor is not one this server issued")
	}
	return n, true, nil
}

// globalEvents pages through the global log in commit order.
func (s *server) globalEvents(c echo.Context) error {
	q, err := parsePage(c)
	if err != nil {
		return err
	}
	after, _, err := cursorNumber(q)
	if err != nil {
		return err
	}
	evs, err := s.l.Store.ReadAll(c.Request().Context(), after, q.limit+1)
	if err != nil {
		return err
	}
	page := Page[RawEvent]{Items: rawEvents(evs[:min(len(evs), q.limit)])}
	if len(evs) > q.limit {
		page.NextCursor = encodeCursor(strconv.FormatUint(evs[q.limit-1].Position, 10))
	}
	return c.JSON(http.StatusOK, page)
}

// streamEvents pages through one stream by version.
func (s *server) streamEvents(c echo.Context) error {
	q, err := parsePage(c)
	if err != nil {
		return err
	}
	after, has, err := cursorNumber(q)
	if err != nil {
		return err
	}
	stream := c.Param("stream")
	if eventstore.ValidateStreamName(stream) != nil {
		return errNotFound("stream", "no stream %q", stream)
	}
	from := uint64(0)
	if has {
		from = after + 1
	}
	evs, err := s.l.Store.ReadStream(c.Request().Context(), stream, from, q.limit+1)
	if err != nil {
		return err
	}
	if len(evs) == 0 && !has {
		return errNotFound("stream", "no stream %q", stream)
	}
	page := Page[RawEvent]{Items: rawEvents(evs[:min(len(evs), q.limit)])}
	if len(evs) > q.limit {
		page.NextCursor = encodeCursor(strconv.FormatUint(evs[q.limit-1].Version, 10))
	}
	return c.JSON(http.StatusOK, page)
}

// asOf replays the log recorded at or before ?at= (RFC 3339) into fresh
// read models, leaving the live ones alone.
func (s *server) asOf(c echo.Context) (*datadir.Views, projections.Progress, error) {
	raw := c.QueryParam("at")
	if raw == "" {
		return nil, projections.Progress{}, errParam("at", "required", "at (an RFC 3339 time) is required")
	}
	at, err := time.Parse(time.RFC3339Nano, raw)
	if err != nil {
		return nil, projections.Progress{}, errParam("at", "rfc3339", "at must be an RFC 3339 time such as 2025-03-31T16:00:00Z")
	}
	views := datadir.NewViews()
	p, err := projections.AsOf(c.Request().Context(), s.l.Store, s.l.Codec, at, views.All()...)
	if err != nil {
		return nil, p, err
	}
	return views, p, nil
}

// AsOfPage is a list read as of an instant: the position the replay
// reached is the last event it includes.
type AsOfPage[T any] struct {
	Position uint64 `json:"position"`
	Page[T]
}

func (s *server) asOfBudgetLines(c echo.Context) error {
	q, err := parsePage(c)
	if err != nil {
		return err
	}
	views, p, err := s.asOf(c)
	if err != nil {
		return err
	}
	page := paginate(views.Budgets.Lines(), func(l projections.BudgetLine) string { return l.ID }, q)
	return c.JSON(http.StatusOK, AsOfPage[projections.BudgetLine]{Position: p.Position, Page: page})
}

// AsOfClaim is a claim as it stood at an instant.
type AsOfClaim struct {
	Position uint64               `json:"position"`
	Claim    projections.ClaimRow `json:"claim"`
}

func (s *server) asOfClaim(c echo.Context) error {
	views, p, err := s.asOf(c)
	if err != nil {
		return err
	}
	id := c.Param("claimId")
	row, ok := views.Claims.Claim(id)
	if !ok {
		return errNotFound("claimId", "no claim %q at that instant", id)
	}
	return c.JSON(http.StatusOK, AsOfClaim{Position: p.Position, Claim: row})
}

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
func (s *server) verify(c echo.Context) error {
	var opts integrity.Options
	if e := c.QueryParam("expect"); e != "" {
		d, err := integrity.ParseDigest(e)
		if err != nil {
			return errParam("expect", "digest", "expect must be a digest as verify prints it")
		}
		opts.Expect = &d
	}
	rep, err := integrity.Verify(c.Request().Context(), s.l.Store, opts)
	out := Verification{OK: err == nil, Streams: rep.Streams, Events: rep.Events, LastPosition: rep.LastPosition}
	if err == nil {
		out.Digest = rep.Digest.String()
		if opts.Expect != nil {
			out.ExpectMatched = &rep.ExpectMatched
		}
		return c.JSON(http.StatusOK, out)
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
	return c.JSON(http.StatusOK, out)
}

// anomalies lists the auditors' anomaly report, of ?kind= when given, in
// the order the log revealed them.
func (s *server) anomalies(c echo.Context) error {
	q, err := parsePage(c)
	if err != nil {
		return err
	}
	kind := projections.AnomalyKind(c.QueryParam("kind"))
	if kind != "" && !slices.Contains(anomalyKinds, kind) {
		return errParam("kind", "anomaly-kind", "%q is not a kind of anomaly", kind)
	}
	var list []projections.Anomaly
	if err := s.readViews(c.Request().Context(), func() { list = s.l.Views.Anomalies.List(projections.AnomalyFilter{Kind: kind}) }); err != nil {
		return err
	}
	// The report only grows at its end, so an anomaly's place in it is a
	// stable cursor.
	idx := make([]int, len(list))
	for i := range idx {
		idx[i] = i
	}
	p := paginate(idx, func(i int) string { return fmt.Sprintf("%09d", i) }, q)
	page := Page[projections.Anomaly]{Items: make([]projections.Anomaly, 0, len(p.Items)), NextCursor: p.NextCursor}
	for _, i := range p.Items {
		page.Items = append(page.Items, list[i])
	}
	return c.JSON(http.StatusOK, page)
}

var anomalyKinds = []projections.AnomalyKind{projections.ExclusiveProgrammes, projections.PaymentAfterClawback,
	projections.SelfApproval, projections.PaymentToDishonestEmployer}
