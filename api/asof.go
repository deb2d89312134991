package api

import (
	"context"
	"fmt"
	"net/http"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/haixi-hrss/fundledger/domain/claim"
	"github.com/haixi-hrss/fundledger/eventstore"
	"github.com/haixi-hrss/fundledger/projections"
)

// An as-of read answers from the log itself, not from the live read
// models: it reads the log from its start to the instant asked for. The
// time that takes grows with the log, so the read streams: it holds one
// page of events and the one read model the answer needs, never the log,
// and it stops when the client goes away.
const (
	// asOfPageSize is how many events an as-of read holds at a time.
	asOfPageSize = 500
	// maxAsOfReads is how many as-of reads run at once; more wait for a
	// turn, for as long as their clients do.
	maxAsOfReads = 2
)

// asOfInstant reads the ?at= instant (RFC 3339).
func asOfInstant(c echo.Context) (time.Time, error) {
	raw := c.QueryParam("at")
	if raw == "" {
		return time.Time{}, errParam("at", "required", "at (an RFC 3339 time) is required")
	}
	at, err := time.Parse(time.RFC3339Nano, raw)
	if err != nil {
		return time.Time{}, errParam("at", "rfc3339", "at must be an RFC 3339 time such as 2025-03-31T16:00:00Z")
	}
	return at, nil
}

// foldAsOf folds into model the events recorded at or before at that
// match and that model reads, and returns the position of the last event
// recorded by then (0 for none). It waits for its turn among the as-of
// reads, then reads the log a page at a time under ctx; only the events
// model folds are decoded. RecordedAt never decreases along the log, so
// the read ends at the first later event.
func (s *server) foldAsOf(ctx context.Context, at time.Time, match func(*eventstore.Event) bool, model projections.Projection) (uint64, error) {
	select {
	case s.asOfReads <- struct{}{}:
		defer func() { <-s.asOfReads }()
	case <-ctx.Done():
		return 0, ctx.Err()
	}
	reads := func(*eventstore.Event) bool { return true }
	if sel, ok := model.(projections.Selective); ok {
		reads = func(ev *eventstore.Event) bool { return sel.Interest(ev.Type) == projections.Payload }
	}
	var last uint64
	for {
		evs, err := s.l.Store.ReadAll(ctx, last, asOfPageSize)
		if err != nil {
			return last, fmt.Errorf("api: as-of read after position %d: %w", last, err)
		}
		for i := range evs {
			ev := &evs[i]
			if ev.RecordedAt.After(at) {
				return last, nil
			}
			last = ev.Position
			if !match(ev) || !reads(ev) {
				continue
			}
			d, err := s.l.Codec.Decode(ev)
			if err != nil {
				return last, fmt.Errorf("api: as-of read: decode %s version %d: %w", ev.Stream, ev.Version, err)
			}
			if err := model.Apply(d, ev); err != nil {
				return last, fmt.Errorf("api: as-of read: %s at position %d: %w", ev.Type, ev.Position, err)
			}
		}
		if len(evs) < asOfPageSize {
			return last, nil
		}
		if err := ctx.Err(); err != nil {
			return last, err
		}
	}
}

// everyEvent matches the whole log.
func everyEvent(*eventstore.Event) bool { return true }

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
	at, err := asOfInstant(c)
	if err != nil {
		return err
	}
	budgets := projections.NewBudgets()
	pos, err := s.foldAsOf(c.Request().Context(), at, everyEvent, budgets)
	if err != nil {
		return err
	}
	page := paginate(budgets.Lines(), func(l projections.BudgetLine) string { return l.ID }, q)
	return writeJSON(c, http.StatusOK, AsOfPage[projections.BudgetLine]{Position: pos, Page: page})
}

// AsOfClaim is a claim as it stood at an instant.
type AsOfClaim struct {
	Position uint64               `json:"position"`
	Claim    projections.ClaimRow `json:"claim"`
}

// asOfClaim folds only the claim's own stream, so it holds one claim
// whatever the size of the ledger.
func (s *server) asOfClaim(c echo.Context) error {
	at, err := asOfInstant(c)
	if err != nil {
		return err
	}
	id := c.Param("claimId")
	stream := claim.Stream(id)
	claims := projections.NewClaims()
	pos, err := s.foldAsOf(c.Request().Context(), at, func(ev *eventstore.Event) bool { return ev.Stream == stream }, claims)
	if err != nil {
		return err
	}
	row, ok := claims.Claim(id)
	if !ok {
		return errNotFound("claimId", "no claim %q at that instant", id)
	}
	return writeJSON(c, http.StatusOK, AsOfClaim{Position: pos, Claim: row})
}
