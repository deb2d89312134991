package api

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/google/uuid"
	"github.com/labstack/echo/v4"

	"github.com/haixi-hrss/fundledger/api/auth"
	"github.com/haixi-hrss/fundledger/domain/calendar"
	"github.com/haixi-hrss/fundledger/eventstore"
	"github.com/haixi-hrss/fundledger/ledger"
)

// HeaderReplayed is set on a command's response when the command had
// already been applied under its idempotency key and nothing was appended.
const HeaderReplayed = "Idempotent-Replayed"

// maxKeyLen bounds a client's Idempotency-Key.
const maxKeyLen = 200

// commandSpace derives command IDs from idempotency keys; fixed forever,
// because a retry must derive the first attempt's event IDs.
var commandSpace = uuid.MustParse("6f1d3a52-0b7e-4c8a-9e2f-5d4c3b2a1908")

func (s *server) authenticate(c echo.Context) (auth.Principal, bool) {
	scheme, token, ok := strings.Cut(c.Request().Header.Get(echo.HeaderAuthorization), " ")
	if !ok || !strings.EqualFold(scheme, "Bearer") {
		return auth.Principal{}, false
	}
	return s.cfg.Tokens.Verify(strings.TrimSpace(token))
}

// principalOf is the principal guard authenticated; zero on a public
// route.
func principalOf(c echo.Context) auth.Principal {
	if k, ok := c.(*call); ok {
		return k.p
	}
	return auth.Principal{}
}

// request is one command request: who sent it, when, and under which
// idempotency key.
type request struct {
	c   echo.Context
	p   auth.Principal
	at  time.Time
	key string
	// id is the request's command ID base: random, or derived from the
	// idempotency key.
	id uuid.UUID
	// correlation is the request ID of the access log.
	correlation string
	// params are the path parameters, as fingerprinted; made by the
	// request's first env and shared by its steps, which only read them.
	params map[string]string
}

// begin starts a command request. It checks the Idempotency-Key header.
func (s *server) begin(c echo.Context) (*request, error) {
	key := c.Request().Header.Get("Idempotency-Key")
	if len(key) > maxKeyLen {
		return nil, newProblem("invalid-header", "Idempotency-Key", "max-length", "the key may have at most %d bytes", maxKeyLen)
	}
	for _, r := range key {
		if r < 0x21 || r > 0x7e {
			return nil, newProblem("invalid-header", "Idempotency-Key", "printable-ascii", "the key must be printable ASCII without spaces")
		}
	}
	r := &request{c: c, p: principalOf(c), at: s.cfg.Now().UTC(), id: uuid.New(), correlation: requestID(c)}
	if key != "" {
		r.setKey(key)
	}
	return r, nil
}

// setKey binds the request to idempotency key key. The key is the
// principal's: two clerks picking the same key do not collide, and the
// command ID follows the key so a retry produces the first attempt's
// event IDs.
func (r *request) setKey(key string) {
	sum := sha256.Sum256([]byte(r.p.Name + "\x00" + key))
	r.key = "api:" + hex.EncodeToString(sum[:])
	r.id = uuid.NewSHA1(commandSpace, []byte(r.key))
}

// naturalKey makes key (e.g. the claim ID) the request's idempotency key
// when the client sent none. A request of several steps then completes
// on a plain retry after a failure between its steps, and the same ID
// with other input is refused as a reused key rather than half-applied.
func (r *request) naturalKey(key string) {
	if r.key == "" {
		r.setKey("natural:" + key)
	}
}

// fingerprinted is what an idempotency key binds to: the endpoint, its
// path parameters, the step within the request and the body. The clock is
// not in it, so a retry later is the same command.
type fingerprinted struct {
	Route  string            `json:"route"`
	Params map[string]string `json:"params"`
	Step   string            `json:"step"`
	Input  any               `json:"input"`
}

// noParams are the path parameters of a route without any; shared, as
// every request's are, because nothing writes to them.
var noParams = map[string]string{}

// env is the ledger envelope of one step of the request. A request that
// runs several commands names each step, and each gets its own command ID
// and idempotency key derived from the request's. effective is the
// business date the input names, if any; it is not taken from the clock,
// because the envelope is fingerprinted and a retry after midnight must
// still be the same command.
func (r *request) env(step, name string, effective calendar.Date, input any) ledger.Command {
	if r.params == nil {
		r.params = noParams
		if names := r.c.ParamNames(); len(names) > 0 {
			values := r.c.ParamValues()
			r.params = make(map[string]string, len(names))
			for i, n := range names {
				r.params[n] = values[i]
			}
		}
	}
	cmd := ledger.Command{
		ID:            uuid.NewSHA1(r.id, []byte(step)),
		Name:          name,
		Actor:         r.p.Name,
		Role:          r.p.Role,
		CorrelationID: r.correlation,
		EffectiveDate: effective.String(),
		Payload:       fingerprinted{Route: r.c.Path(), Params: r.params, Step: step, Input: input},
	}
	if r.key != "" {
		cmd.IdempotencyKey = r.key + "/" + step
	}
	return cmd
}

// EventView is one event a command appended (or, on a replay, had
// appended), as the response shows it.
type EventView struct {
	Stream  string `json:"stream"`
	Version uint64 `json:"version"`
	Type    string `json:"type"`
	Data    any    `json:"data"`
}

// CommandResponse is the body of every command's response: what it
// appended, and the global position the read models now include.
type CommandResponse struct {
	Position uint64      `json:"position"`
	Events   []EventView `json:"events"`
}

// respond brings the read models up to the command's writes, then answers
// with what the command appended. A replayed command answers with what the
// first attempt appended, and says so in HeaderReplayed.
//
// A process command (approve, reject, pay) appends to several streams
// and its result names only the claim's position, so the models are
// brought to the highest position any command of this server has
// appended, which is at or after every write of this one. That costs no
// read of the log, unlike its head (syncHead).
func (s *server) respond(r *request, status int, results ...ledger.Result) error {
	body := CommandResponse{Events: []EventView{}}
	replayed := len(results) > 0
	for _, res := range results {
		body.Position = max(body.Position, res.Position)
		replayed = replayed && res.Replayed
		for i, ev := range res.Events {
			body.Events = append(body.Events, EventView{Stream: res.Stream, Version: res.FirstVersion + uint64(i), Type: ev.EventType(), Data: ev})
		}
	}
	pos := max(body.Position, s.store.appended.Load())
	if err := s.l.Sync(r.c.Request().Context(), pos); err != nil {
		return fmt.Errorf("api: bring read models to position %d: %w", pos, err)
	}
	if replayed {
		r.c.Response().Header().Set(HeaderReplayed, "true")
	}
	return writeJSON(r.c, status, body)
}

// syncHead brings the read models to at least pos and to the log head as
// it is now, which includes what other processes wrote.
func (s *server) syncHead(ctx context.Context, pos uint64) error {
	head, err := s.head(ctx)
	if err != nil {
		return err
	}
	if err := s.l.Sync(ctx, max(pos, head)); err != nil {
		return fmt.Errorf("api: bring read models to position %d: %w", max(pos, head), err)
	}
	return nil
}

// header is a store that knows the log's head without reading the log
// (eventstore/sqlite).
type header interface {
	Head(ctx context.Context) (uint64, error)
}

// head returns the log's last position: from the store when it knows it,
// else by reading the log after the read models' checkpoint.
func (s *server) head(ctx context.Context) (uint64, error) {
	if h, ok := s.l.Store.(header); ok {
		s.metrics.reads.Inc()
		head, err := h.Head(ctx)
		if err != nil {
			return 0, fmt.Errorf("api: read the log head: %w", err)
		}
		return head, nil
	}
	_, head, err := s.behind(ctx, s.l.Runner.Checkpoint(), -1)
	return head, err
}

// behind counts the events after position after (a read model's
// checkpoint), stopping once it has counted more than limit (no limit
// when negative), and returns the last position it saw.
func (s *server) behind(ctx context.Context, after uint64, limit int) (n int, head uint64, err error) {
	const page = 1000
	head = after
	for {
		evs, err := s.l.Store.ReadAll(ctx, after, page)
		if err != nil {
			return n, head, fmt.Errorf("api: read the log: %w", err)
		}
		n += len(evs)
		if len(evs) > 0 {
			head = evs[len(evs)-1].Position
			after = head
		}
		if len(evs) < page || (limit >= 0 && n > limit) {
			return n, head, nil
		}
	}
}

// load folds aggregate agg's stream into its state; exists is false for a
// stream with no events.
func load[S any](ctx context.Context, s *server, agg ledger.Aggregate[S]) (state S, exists bool, err error) {
	state = agg.Initial
	if eventstore.ValidateStreamName(agg.Stream) != nil {
		// An ID no stream can have names nothing that exists.
		return state, false, nil
	}
	evs, err := s.store.ReadStream(ctx, agg.Stream, 0, 0)
	if err != nil {
		return state, false, fmt.Errorf("api: read %s: %w", agg.Stream, err)
	}
	for i := range evs {
		ev, err := s.l.Codec.Decode(&evs[i])
		if err != nil {
			return state, false, fmt.Errorf("api: %s version %d: %w", agg.Stream, evs[i].Version, err)
		}
		state = agg.Evolve(state, ev)
	}
	return state, len(evs) > 0, nil
}

// exists returns 404 naming field unless stream has events. It reads the
// last event only: a command about to load the stream itself needs to know
// that it exists, not its state.
func exists(ctx context.Context, s *server, stream, field, what, id string) error {
	if eventstore.ValidateStreamName(stream) == nil {
		evs, err := s.store.ReadStreamBackward(ctx, stream, 1)
		if err != nil {
			return fmt.Errorf("api: read %s: %w", stream, err)
		}
		if len(evs) > 0 {
			return nil
		}
	}
	return errNotFound(field, "no %s %q", what, id)
}

// mustExist returns 404 naming field unless agg's stream has events.
func mustExist[S any](ctx context.Context, s *server, agg ledger.Aggregate[S], field, what, id string) (S, error) {
	st, ok, err := load(ctx, s, agg)
	if err != nil {
		return st, err
	}
	if !ok {
		return st, errNotFound(field, "no %s %q", what, id)
	}
	return st, nil
}

// created answers 201 for a first run, 200 for a replay.
func created(res ...ledger.Result) int {
	for _, r := range res {
		if !r.Replayed {
			return http.StatusCreated
		}
	}
	return http.StatusOK
}
