package haixi

import (
	"context"
	"fmt"
	"time"

	"github.com/google/uuid"

	"github.com/haixi-hrss/fundledger/domain"
	"github.com/haixi-hrss/fundledger/domain/calendar"
	"github.com/haixi-hrss/fundledger/domain/policy"
	"github.com/haixi-hrss/fundledger/domain/programme"
	"github.com/haixi-hrss/fundledger/eventstore"
	"github.com/haixi-hrss/fundledger/ledger"
	"github.com/haixi-hrss/fundledger/ledger/codec"
)

// namespace derives the scenario's command IDs. It must never change: the
// event IDs derive from the command IDs, and a rerun recognises its own
// events by them.
var namespace = uuid.NewSHA1(uuid.NameSpaceURL, []byte("https://github.com/haixi-hrss/fundledger/demo/haixi-2025-q1"))

// keyPrefix starts every idempotency key the scenario sends.
const keyPrefix = "demo/haixi-2025-q1/"

// Began reports whether first, the first event of a log, is the first
// step of this scenario: a ledger that began otherwise holds someone
// else's history, which the demo must not write into.
func Began(first eventstore.Event) bool {
	return first.Metadata.IdempotencyKey == keyPrefix+"fund/"+EmploymentSubsidyFund+"/open"
}

// Ledger is what the scenario records through and reads back from.
type Ledger struct {
	Service *ledger.Service
	Store   eventstore.Store
	Codec   *codec.Codec
	// People is the ledger's person register: the people the claims name
	// are registered there, with their invented names, as they are filed.
	People *ledger.People
}

// Tally counts the scenario's commands and the domain events they decided:
// those appended by this run and those an earlier run had appended.
type Tally struct {
	Commands, Appended, Present int
}

// run carries one run of the scenario.
type run struct {
	l      Ledger
	people people
	tally  Tally
	// versions caches each programme's published policy versions.
	versions map[programme.Code][]policy.Version
}

// Run records the whole scenario in l, in order: funds, policies,
// employers, targets, claims with their outcomes, and indicators. People
// are named by the references of l.People, keyed with the ledger's
// secret, so a rerun on the same ledger derives the same references; a
// claim about a person registers the person (ledger.SubmitPersonClaim)
// before it is first submitted, and not again when a rerun finds it
// recorded, so a person erased since is not registered anew. Run stops at
// the first error; what was recorded stays, and a rerun completes it.
func Run(ctx context.Context, l Ledger) (Tally, error) {
	p, err := newPeople(l.People)
	if err != nil {
		return Tally{}, err
	}
	r := &run{l: l, people: p}
	for _, step := range []func(context.Context) error{
		r.funds, r.policies, r.employers, r.targets, r.claims, r.indicators,
	} {
		if err := step(ctx); err != nil {
			return r.tally, err
		}
	}
	return r.tally, nil
}

// at is the business time of a step on day d: 10:00 Beijing time. Fixed
// times make a rerun send the very same commands.
func at(d calendar.Date) time.Time { return d.Start().Add(10 * time.Hour) }

// envelope is the ledger envelope of scenario step step: its command ID
// and idempotency key derive from the step's name.
func envelope(step, actor, role string, on calendar.Date, policyVersion string) ledger.Command {
	return ledger.Command{
		ID:             uuid.NewSHA1(namespace, []byte("command/"+step)),
		IdempotencyKey: keyPrefix + step,
		Actor:          actor,
		Role:           role,
		EffectiveDate:  on.String(),
		PolicyVersion:  policyVersion,
	}
}

// count adds a command's result to the tally.
func (r *run) count(res ledger.Result) {
	r.tally.Commands++
	if res.Replayed {
		r.tally.Present += len(res.Events)
	} else {
		r.tally.Appended += len(res.Events)
	}
}

// handle runs one step through ledger.Handle on agg.
func handle[S any](ctx context.Context, r *run, agg ledger.Aggregate[S], env ledger.Command, name string, payload any,
	decide func(S) ([]domain.Event, error)) (ledger.Result, error) {
	env.Name, env.Payload = name, payload
	res, err := ledger.Handle(ctx, r.l.Service, agg, env, decide)
	if err != nil {
		return res, fmt.Errorf("haixi: %s: %w", env.IdempotencyKey[len(keyPrefix):], err)
	}
	r.count(res)
	return res, nil
}

// decideAll decides cmds one after another on the state each leaves, so
// one command of the scenario can record, say, a year of monthly reports.
func decideAll[S, C any](s S, evolve func(S, domain.Event) S, decide func(S, C) ([]domain.Event, error), cmds ...C) ([]domain.Event, error) {
	var all []domain.Event
	for _, c := range cmds {
		evs, err := decide(s, c)
		if err != nil {
			return nil, err
		}
		for _, e := range evs {
			s = evolve(s, e)
		}
		all = append(all, evs...)
	}
	return all, nil
}

// Fold reads agg's stream and folds it into its state.
func Fold[S any](ctx context.Context, l Ledger, agg ledger.Aggregate[S]) (S, error) {
	s := agg.Initial
	evs, err := l.Store.ReadStream(ctx, agg.Stream, 0, 0)
	if err != nil {
		return s, fmt.Errorf("haixi: read %s: %w", agg.Stream, err)
	}
	decoded := make([]domain.Event, len(evs))
	for i := range evs {
		if decoded[i], err = l.Codec.Decode(&evs[i]); err != nil {
			return s, fmt.Errorf("haixi: %s version %d: %w", agg.Stream, evs[i].Version, err)
		}
	}
	if agg.Fold != nil {
		return agg.Fold(s, decoded...), nil
	}
	for _, e := range decoded {
		s = agg.Evolve(s, e)
	}
	return s, nil
}
