package api

import (
	"cmp"
	"context"
	"errors"
	"net/http"

	"github.com/labstack/echo/v4"

	"github.com/haixi-hrss/fundledger/domain"
	"github.com/haixi-hrss/fundledger/domain/calendar"
	"github.com/haixi-hrss/fundledger/eventstore"
	"github.com/haixi-hrss/fundledger/ledger"
)

// oneCommand is what differs between the requests that run one command on
// one aggregate: In is the body, S the aggregate's state, C its domain's
// command type. runOne does what they share.
type oneCommand[In, S, C any] struct {
	// name is the command's name in its envelope; step, from which the
	// command ID derives, is name when empty.
	name, step string
	// emptyBody lets a client send no body for an input with no fields.
	emptyBody bool
	// prepare checks and completes the decoded input before anything is
	// read, e.g. turns a resident ID into a person reference; optional.
	prepare func(r *request, in *In) error

	// The aggregate is either existing, named by path parameter param,
	// which must exist (404 naming param and what otherwise), or created,
	// named by the input, with the URL of the new resource for the
	// Location header (none when empty).
	existing    func(id string) ledger.Aggregate[S]
	param, what string
	created     func(in In) (agg ledger.Aggregate[S], location string, err error)

	// effective is the business date the input names; optional.
	effective func(in In) calendar.Date
	// command builds the domain command, which decide decides.
	command func(r *request, in In) C
	decide  func(S, C) ([]domain.Event, error)
	// process, set in place of command and decide, runs a ledger process
	// spanning several aggregates (an approval also reserves money) on
	// the existing aggregate. It answers 200 even on a first run. It must
	// refuse, or decide nothing for, an aggregate that does not exist:
	// whether it exists is checked only when it did.
	process func(ctx context.Context, id string, r *request, in In, env ledger.Command) (ledger.Result, error)
	// original, optional, finds what an earlier command appended that
	// already records the input, when decide appended nothing because of
	// it (publishing a published version again): the answer is then that
	// result, as a replay, not an empty first run.
	original func(ctx context.Context, in In) (ledger.Result, error)
}

// runOne serves a oneCommand request: decode the body, start the request,
// find the aggregate, decide and append under the request's envelope, and
// answer with what was appended (201 on a first run, 200 on a replay or
// when original finds the input already recorded).
func runOne[In, S, C any](s *server, c echo.Context, o oneCommand[In, S, C]) error {
	var in In
	if err := decodeMaybe(c, &in, o.emptyBody); err != nil {
		return err
	}
	r, err := s.begin(c)
	if err != nil {
		return err
	}
	if o.prepare != nil {
		if err := o.prepare(r, &in); err != nil {
			return err
		}
	}
	ctx := c.Request().Context()
	var (
		agg          ledger.Aggregate[S]
		id, location string
	)
	if o.existing != nil {
		id = c.Param(o.param)
		agg = o.existing(id)
		// A process reads the aggregate itself and refuses one that does
		// not exist (see missing), so the read is saved on success.
		if o.process == nil {
			if err := exists(ctx, s, agg.Stream, o.param, o.what, id); err != nil {
				return err
			}
		}
	} else if agg, location, err = o.created(in); err != nil {
		return err
	}
	var decide func(S) ([]domain.Event, error)
	if o.process == nil {
		cmd := o.command(r, in)
		decide = func(st S) ([]domain.Event, error) { return o.decide(st, cmd) }
		if o.existing == nil {
			// Tried on the new aggregate first, so malformed input never
			// reaches the store, not even as a stream name. Only malformed
			// input is refused here: a rule may depend on what the stream
			// holds (an amendment needs the version it supersedes), so
			// rules are decided on the real stream.
			_, err := decide(agg.Initial)
			if err != nil && (errors.Is(err, domain.ErrInvalid) || eventstore.ValidateStreamName(agg.Stream) != nil) {
				return err
			}
		}
	}
	var eff calendar.Date
	if o.effective != nil {
		eff = o.effective(in)
	}
	env := r.env(cmp.Or(o.step, o.name), o.name, eff, in)
	var res ledger.Result
	if o.process != nil {
		res, err = o.process(ctx, id, r, in, env)
		if err != nil || (len(res.Events) == 0 && !res.Replayed) {
			// Every process decides on the aggregate's state and refuses
			// the empty state of one never created, or decides nothing:
			// either way, a missing aggregate is the answer.
			if xerr := exists(ctx, s, agg.Stream, o.param, o.what, id); xerr != nil {
				return xerr
			}
		}
	} else {
		res, err = ledger.Handle(ctx, s.svc, agg, env, decide)
	}
	if err != nil {
		return err
	}
	if len(res.Events) == 0 && !res.Replayed && o.original != nil {
		if res, err = o.original(ctx, in); err != nil {
			return err
		}
		res.Replayed = true
	}
	if location != "" {
		c.Response().Header().Set(echo.HeaderLocation, location)
	}
	status := created(res)
	if o.process != nil {
		status = http.StatusOK
	}
	return s.respond(r, status, res)
}

// decodeMaybe decodes the body, which may be absent when optional.
func decodeMaybe(c echo.Context, v any, optional bool) error {
	if optional && c.Request().ContentLength == 0 {
		return nil
	}
	return decode(c, v)
}
