package ledger

import (
	"context"
	"errors"
	"fmt"
	"slices"

	"github.com/google/uuid"

	"github.com/haixi-hrss/fundledger/domain"
	"github.com/haixi-hrss/fundledger/domain/claim"
	"github.com/haixi-hrss/fundledger/domain/identity"
	"github.com/haixi-hrss/fundledger/eventstore"
)

// ClaimCheck is a claim's eligibility check taken as the next step of the
// request that submits the claim (SubmitClaimChecked).
type ClaimCheck struct {
	// Check is decided on the claim as the submission leaves it.
	Check claim.Check
	// Env is the check's envelope. It carries no IdempotencyKey: the
	// submission's binds the request's input, and a retry finds the
	// check by its event IDs, so Env.ID must derive from the request's
	// key (Env.StepKey names the step in the events' metadata).
	Env Command
}

// SubmitClaimChecked submits a claim (SubmitClaim) and then checks it
// (chk) as one request, and returns both results. Both are decided on a
// new claim before anything is appended, so a check that refuses the
// claim leaves no submitted claim behind.
//
// On a store that is an eventstore.MultiAppender, when the submission
// takes its one-commit path (its keys and claim stream fresh), the
// check's events go into that commit, right after the submission's in
// the claim's stream, with the metadata and event IDs of chk.Env: the
// request costs one commit, and its results are those of the two steps
// one after the other. Otherwise, and whenever that commit is refused,
// the check is appended after the submission by HandleNext, which on a
// repeated request finds and replays it by its event IDs.
//
// An ineligible claim is rejected by the check; its keys are released by
// ReleaseClaimKeys, which the caller runs afterwards.
func SubmitClaimChecked(ctx context.Context, s *Service, cmd claim.Submit, env Command, chk ClaimCheck) (sub, checked Result, err error) {
	return submitChecked(ctx, s, cmd, env, chk, nil)
}

// SubmitPersonClaimChecked is SubmitPersonClaim followed by chk as
// SubmitClaimChecked takes it. A check that refuses the claim registers
// nobody.
func SubmitPersonClaimChecked(ctx context.Context, s *Service, p *People, id identity.ResidentID, name string,
	build func(identity.PersonRef, identity.Facts) claim.Submit, env Command, chk ClaimCheck) (sub, checked Result, err error) {
	cmd, register, err := personClaim(ctx, p, id, name, build)
	if err != nil {
		return Result{}, Result{}, err
	}
	return submitChecked(ctx, s, cmd, env, chk, register)
}

// submitChecked is SubmitClaimChecked, with submitClaim's prepare.
func submitChecked(ctx context.Context, s *Service, cmd claim.Submit, env Command, chk ClaimCheck, prepare func() error) (Result, Result, error) {
	if err := chk.Env.validate(); err != nil {
		return Result{}, Result{}, err
	}
	if chk.Env.IdempotencyKey != "" {
		return Result{}, Result{}, errors.New("ledger: a claim's check is bound by its submission's idempotency key; give it a StepKey")
	}
	decide := func(st claim.State) ([]domain.Event, error) { return claim.Decide(st, chk.Check) }
	submitted, err := claim.Decide(claim.State{}, cmd)
	if err != nil {
		return Result{}, Result{}, fmt.Errorf("ledger: submit claim %s: %w", cmd.ClaimID, err)
	}
	if _, err := decide(claim.Fold(submitted)); err != nil {
		return Result{}, Result{}, fmt.Errorf("ledger: check claim %s: %w", cmd.ClaimID, err)
	}
	chk.Env.named("CheckClaim", chk.Check)
	next := &nextCommand[claim.State]{cmd: chk.Env, decide: decide}
	env.next = next
	sub, err := submitClaim(ctx, s, cmd, env, prepare)
	if err != nil {
		return sub, Result{}, err
	}
	if next.done {
		return sub, next.res, nil
	}
	res, err := HandleNext(ctx, s, ClaimAggregate(cmd.ClaimID), chk.Env, decide, sub)
	return sub, res, err
}

// nextCommand is a request's next command on the stream of the command
// that carries it (Command.next). run appends it with that command when
// it commits with other streams, and then sets res and done; otherwise
// the caller runs it on its own.
type nextCommand[S any] struct {
	cmd    Command
	decide func(S) ([]domain.Event, error)
	res    Result
	done   bool
}

// chained is a next command decided within a run, until its commit:
// its events, their IDs, and the state after both commands.
type chained[S any] struct {
	nx       *nextCommand[S]
	events   []domain.Event
	eventIDs []uuid.UUID
	after    S
}

// chainNext decides cmd's next command (Command.next) on the fold of
// state and cmd's decision, when run appends
// cmd with other streams (with) on a store that is an
// eventstore.MultiAppender: that commit is all or nothing, so a refusal
// (errWithTaken) writes neither command and leaves the next one to the
// caller. It returns data, cmd's encoded events, with the next command's
// after them, encoded under its own envelope as Handle would. Without a
// next command, on another path, or when the next command decides
// nothing, it returns nil and data as it is. A refusal of the next
// command is returned: both are appended or neither.
func chainNext[S any](s *Service, agg Aggregate[S], cmd *Command, state S, decided []domain.Event, data []eventstore.EventData) (*chained[S], []eventstore.EventData, error) {
	nx, ok := cmd.next.(*nextCommand[S])
	if !ok || s.multi == nil || len(cmd.with) == 0 {
		return nil, data, nil
	}
	after := agg.fold(state, decided)
	events, err := nx.decide(after)
	if err != nil {
		return nil, nil, fmt.Errorf("ledger: %s on %s: %w", nx.cmd.label(), agg.Stream, err)
	}
	if len(events) == 0 {
		return nil, data, nil
	}
	more, eventIDs, err := s.encode(&nx.cmd, agg.Stream, events)
	if err != nil {
		return nil, nil, err
	}
	c := &chained[S]{nx: nx, events: events, eventIDs: eventIDs, after: agg.fold(after, events)}
	return c, append(slices.Clip(data), more...), nil
}

// committed returns the first command's result (its events decided,
// with IDs firstIDs, after the events with IDs ids) from res, the append
// of both commands' events, and sets the next command's; the stream's
// cached fold becomes the state after both. One part of a commit takes
// consecutive positions (eventstore.MultiAppender), so the first
// command's last event is the next's first less one.
func (c *chained[S]) committed(s *Service, agg Aggregate[S], res eventstore.AppendResult, ids []uuid.UUID, decided []domain.Event, firstIDs []uuid.UUID) Result {
	n := uint64(len(c.events))
	c.nx.res = Result{Stream: agg.Stream, FirstVersion: res.LastVersion - n + 1, LastVersion: res.LastVersion,
		Position: res.Position, Events: c.events, EventIDs: c.eventIDs}
	c.nx.done = true
	remember(s, agg, res.LastVersion+1, c.after, slices.Concat(ids, firstIDs, c.eventIDs))
	return Result{Stream: agg.Stream, FirstVersion: res.FirstVersion, LastVersion: res.LastVersion - n,
		Position: res.Position - n, Events: decided, EventIDs: firstIDs}
}
