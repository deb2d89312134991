// Package projbench measures the read side on a realistic ledger: it
// generates a ledger of funds, budget lines, employers, stabilization
// refund claims through their whole lifecycle and hire outcomes, by
// deciding the real domain commands and recording their events encoded
// with the ledger's own codec, and then times a rebuild of every read
// model, a restart from the snapshot and the officers' queries.
//
// A generated ledger is kept in a cache directory and reused (see Cached),
// so a benchmark pays for the generation once.
package projbench

import (
	"context"
	"fmt"
	"time"

	"github.com/google/uuid"

	"github.com/haixi-hrss/fundledger/domain"
	"github.com/haixi-hrss/fundledger/domain/budget"
	"github.com/haixi-hrss/fundledger/domain/calendar"
	"github.com/haixi-hrss/fundledger/domain/fund"
	"github.com/haixi-hrss/fundledger/domain/money"
	"github.com/haixi-hrss/fundledger/domain/policy"
	"github.com/haixi-hrss/fundledger/domain/programme"
	"github.com/haixi-hrss/fundledger/domain/region"
	"github.com/haixi-hrss/fundledger/domain/role"
	"github.com/haixi-hrss/fundledger/eventstore"
	"github.com/haixi-hrss/fundledger/ledger/schema"
)

// Options size a generated ledger.
type Options struct {
	// Employers is the number of insured units. Each has three years of
	// monthly reports and three yearly refund claims: about 71 events per
	// unit in all.
	Employers int
	// Workers is how many appends run at once (default 32).
	Workers int
}

// Summary counts what Generate recorded.
type Summary struct {
	Events    int
	Employers int
	Claims    int
	Hires     int
}

// Years are the fiscal years the ledger covers; the seed policy file has
// a version of each programme for each of them.
var Years = []programme.FiscalYear{2023, 2024, 2025}

// Today is the generated ledger's last business day: claims of the last
// year stop at every stage of their lifecycle, and checkpoints of hires
// due after it are not recorded yet.
var Today = calendar.MustNew(2025, time.October, 15)

// counties are Haixi's county-level units, each with a clerk, two
// approvers and a stabilization budget line per year.
var counties = []region.Code{region.Golmud, region.Delingha, region.Mangya, region.Ulan, region.Dulan, region.Tianjun, region.DaQaidam}

const (
	administrator      = "admin-haixi-1"
	treasurer          = "treasurer-haixi-1"
	prefectureApprover = "approver-haixi-1"
)

func clerk(c region.Code) string           { return "clerk-" + string(c) }
func approver(c region.Code, n int) string { return fmt.Sprintf("approver-%s-%d", c, n) }
func at(d calendar.Date) time.Time         { return d.Start().Add(10 * time.Hour) }
func fundID(y programme.FiscalYear) string { return fmt.Sprintf("haixi-uif-%d", y) }
func workCalendar() calendar.WorkCalendar  { return calendar.NewWorkCalendar(nil, nil) }
func line(c region.Code, y programme.FiscalYear) string {
	return budget.LineID(fundID(y), programme.Stabilization, c, y)
}

// commandNamespace derives the correlation and causation IDs of the
// generated commands.
var commandNamespace = uuid.MustParse("0b8c2d7e-51a4-4f93-9e06-7d3a1c5b8e22")

// meta is the envelope metadata of one command, named by key.
func meta(key, actor, actingRole string, on calendar.Date, policyVersion string) eventstore.Metadata {
	cmd := uuid.NewSHA1(commandNamespace, []byte("command/"+key))
	return eventstore.Metadata{
		Actor: actor, Role: actingRole,
		CorrelationID: uuid.NewSHA1(commandNamespace, []byte("request/"+key)).String(), CausationID: cmd.String(),
		EffectiveDate: on.String(), PolicyVersion: policyVersion,
	}
}

// generator holds the in-memory state of every aggregate it writes, so
// each command is decided on the state its stream's events give.
type generator struct {
	out      *appender
	policies []policy.Version
	lines    map[string]budget.State
	units    []*unit
	sum      Summary
}

// Generate records a ledger of opts' size into store, which should be
// empty: it appends at exact expected versions from version 0.
func Generate(ctx context.Context, store eventstore.Store, opts Options) (Summary, error) {
	if opts.Employers < 1 {
		return Summary{}, fmt.Errorf("projbench: %d employers: at least one is needed", opts.Employers)
	}
	vs, err := policy.Seed()
	if err != nil {
		return Summary{}, err
	}
	g := &generator{out: newAppender(store, schema.Codec(), orDefault(opts.Workers, 32)), policies: vs, lines: map[string]budget.State{}}
	if err := g.publishPolicies(ctx); err != nil {
		return g.sum, err
	}
	if err := g.register(ctx, opts.Employers); err != nil {
		return g.sum, err
	}
	for _, y := range Years {
		for _, step := range []func(context.Context, programme.FiscalYear) error{g.openFund, g.reports, g.refunds, g.hires} {
			if err := step(ctx, y); err != nil {
				return g.sum, err
			}
		}
	}
	g.sum.Events = g.out.events
	g.sum.Employers = len(g.units)
	return g.sum, nil
}

func orDefault(v, def int) int {
	if v > 0 {
		return v
	}
	return def
}

// publishPolicies records every version of the seed file on its
// programme's policy stream.
func (g *generator) publishPolicies(ctx context.Context) error {
	states := map[programme.Code]policy.State{}
	on := calendar.MustNew(2023, time.January, 2)
	for _, v := range g.policies {
		evs, err := policy.Decide(states[v.Programme], policy.PublishVersion{Version: v, Actor: administrator, Role: role.Administrator, At: on.Start()})
		if err != nil {
			return fmt.Errorf("projbench: publish %s: %w", v.ID, err)
		}
		for _, e := range evs {
			states[v.Programme] = policy.Evolve(states[v.Programme], e)
		}
		if err := g.out.add(policy.Stream(v.Programme), meta("policy/"+v.ID, administrator, role.Administrator, on, v.ID), evs...); err != nil {
			return err
		}
	}
	return g.out.flush(ctx)
}

// openFund opens year y's unemployment-insurance fund, receives its
// transfers and allocates the stabilization money to every county's line.
func (g *generator) openFund(ctx context.Context, y programme.FiscalYear) error {
	id := fundID(y)
	on := calendar.MustNew(int(y), time.January, 6)
	var st fund.State
	cmds := []fund.Command{
		fund.Open{FundID: id, Name: fmt.Sprintf("海西州失业保险基金 %d（基准）", y), FiscalYear: y, Kind: programme.UnemploymentInsurance,
			Level: fund.Prefecture, Region: region.Haixi, Actor: administrator, Role: role.Administrator, At: at(on)},
		fund.ReceiveTransfer{Document: fmt.Sprintf("青人社〔%d〕3号", y), Amount: money.MustParse("6000000000.00"),
			Source: "青海省失业保险基金（基准）", ReceivedOn: on, Actor: administrator, Role: role.Administrator, At: at(on)},
		fund.ReceiveTransfer{Document: fmt.Sprintf("青人社〔%d〕19号", y), Amount: money.MustParse("4000000000.00"),
			Source: "青海省失业保险基金（基准）", ReceivedOn: on.AddDays(60), Actor: administrator, Role: role.Administrator, At: at(on.AddDays(60))},
	}
	for _, c := range counties {
		cmds = append(cmds, fund.Allocate{AllocationID: fmt.Sprintf("%s/stabilization/%s", id, c), Programme: programme.Stabilization,
			Region: c, Amount: money.MustParse("1400000000.00"), Actor: administrator, Role: role.Administrator, At: at(on.AddDays(61))})
	}
	for i, cmd := range cmds {
		evs, err := fund.Decide(st, cmd)
		if err != nil {
			return fmt.Errorf("projbench: fund %s command %d: %w", id, i, err)
		}
		for _, e := range evs {
			st = fund.Evolve(st, e)
		}
		key := fmt.Sprintf("fund/%s/%d", id, i)
		if err := g.out.add(fund.Stream(id), meta(key, administrator, role.Administrator, on, ""), evs...); err != nil {
			return err
		}
		for _, e := range evs {
			if a, ok := e.(*fund.Allocated); ok {
				record := budget.RecordAllocation{AllocationID: a.AllocationID, BudgetLineID: a.BudgetLineID, FundID: a.FundID,
					Programme: a.Programme, Region: a.Region, FiscalYear: a.FiscalYear, Amount: a.Amount,
					Actor: administrator, Role: role.Administrator, At: at(on.AddDays(61))}
				if err := g.budget(a.BudgetLineID, meta(key+"/record", administrator, role.Administrator, on, ""), record); err != nil {
					return err
				}
			}
		}
	}
	return g.out.flush(ctx)
}

// budget decides cmd on line id's state and queues its events.
func (g *generator) budget(id string, m eventstore.Metadata, cmd budget.Command) error {
	st := g.lines[id]
	evs, err := budget.Decide(st, cmd)
	if err != nil {
		return fmt.Errorf("projbench: budget line %s: %w", id, err)
	}
	g.lines[id] = budget.FoldFrom(st, evs...)
	return g.out.add(budget.Stream(id), m, evs...)
}

// queue queues the events a decision gave, or returns its error.
func (g *generator) queue(stream string, m eventstore.Metadata, evs []domain.Event, err error) error {
	if err != nil {
		return fmt.Errorf("projbench: %s: %w", stream, err)
	}
	return g.out.add(stream, m, evs...)
}
