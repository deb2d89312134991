package api

import (
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"time"

	"github.com/google/uuid"
	"github.com/labstack/echo/v4"

	"github.com/haixi-hrss/fundledger/eventstore"
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
	return writeJSON(c, http.StatusOK, paginate(trail, func(e projections.TrailEntry) string { return positionKey(e.Position) }, q))
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
	return writeJSON(c, http.StatusOK, trace)
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
	return writeJSON(c, http.StatusOK, page)
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
	return writeJSON(c, http.StatusOK, page)
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
	return writeJSON(c, http.StatusOK, page)
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
	return writeJSON(c, http.StatusOK, page)
}

var anomalyKinds = []projections.AnomalyKind{projections.ExclusiveProgrammes, projections.PaymentAfterClawback,
	projections.SelfApproval, projections.PaymentToDishonestEmployer}
