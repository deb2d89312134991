package batch

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"time"

	"github.com/google/uuid"

	"github.com/haixi-hrss/fundledger/domain"
	"github.com/haixi-hrss/fundledger/domain/calendar"
	"github.com/haixi-hrss/fundledger/domain/claim"
	"github.com/haixi-hrss/fundledger/domain/money"
	"github.com/haixi-hrss/fundledger/domain/policy"
	"github.com/haixi-hrss/fundledger/domain/programme"
	"github.com/haixi-hrss/fundledger/domain/region"
	"github.com/haixi-hrss/fundledger/domain/stabilization"
	"github.com/haixi-hrss/fundledger/ledger"
)

// StabilizationEnv is what a stabilization batch runs under.
type StabilizationEnv struct {
	// EffectiveDate is the batch's business date; it selects the policy
	// version and becomes every claim's effective date.
	EffectiveDate calendar.Date
	// Policies is the published policy history to select from.
	Policies []policy.Version
	// BudgetLineID and Region are every claim's budget line and region.
	BudgetLineID string
	Region       region.Code
	// Actor, Role and At say which clerk ran the batch and when.
	Actor, Role string
	At          time.Time
	// Workers is how many employers are recorded at once (1 when 0 or
	// less). Employers touch disjoint streams, so their order does not
	// matter, and concurrent appends share the store's group commits.
	Workers int
}

// Outcome statuses of one employer.
const (
	StatusEligible    = "eligible"
	StatusIneligible  = "ineligible"
	StatusNeedsReview = "needs-review"
	// StatusDuplicate: another claim already holds the employer's refund
	// for the year, so this batch recorded nothing for it.
	StatusDuplicate = "duplicate"
)

// Outcome is what the batch decided for one employer.
type Outcome struct {
	Line        int
	ClaimID     string
	Status      string
	Amount      money.Amount
	FailedRules []string
	// Detail is the reason for a duplicate: the claim holding the key.
	Detail string
	// Earlier is set when an earlier run of the batch submitted this claim,
	// so this run appended no submission for it (a re-run after a stop).
	Earlier bool
}

// StabilizationReport sums a batch run up. Amounts are of eligible claims
// only; claims needing review are counted apart with their own total.
type StabilizationReport struct {
	PolicyVersion string
	Eligible      int
	Ineligible    int
	NeedsReview   int
	Duplicates    int
	// IneligibleByRule counts ineligible employers by each rule they
	// failed; one employer may fail several.
	IneligibleByRule map[string]int
	Total            money.Amount
	ReviewTotal      money.Amount
	// Outcomes are in row order, one per employer recorded.
	Outcomes []Outcome
}

// claimIDSpace is the UUID namespace of the batch's command IDs. It is
// fixed forever: a re-run must derive the IDs of the first run.
var claimIDSpace = uuid.MustParse("3c0b8f2a-7d41-4e59-a6c2-9e5d1f08b7c4")

// StabilizationClaimID is the claim of employer code's refund for year;
// it is deterministic so a re-run of the batch finds the first run's claim.
func StabilizationClaimID(code string, year programme.FiscalYear) string {
	return fmt.Sprintf("stab-%d-%s", year, code)
}

// RunStabilization evaluates every row for refund year under the policy
// version in force on env.EffectiveDate and records the result of each
// employer as a claim: submitted with the employer-year uniqueness key,
// then checked with the assessment. An eligible or needs-review claim
// stays checked for approval; an ineligible one is rejected by the check
// with its failed rules and releases its key, so a corrected later claim
// may still be filed. Every employer thus has a claim stream that shows,
// rule by rule, why it did or did not qualify — the same record an
// auditor reads for a claim filed at the counter.
//
// Commands get IDs derived from the claim ID, so a re-run of the same
// batch replays the first run's events and appends nothing. An employer
// whose refund another claim already holds is reported as a duplicate.
// Any other error stops the run and is returned with the report of the
// employers recorded so far: what was recorded stays, and a re-run
// completes the rest. Rows must be for year and name each employer once.
func RunStabilization(ctx context.Context, svc *ledger.Service, year programme.FiscalYear, rows []StabilizationRow, env StabilizationEnv) (StabilizationReport, error) {
	v, err := policy.Select(env.Policies, programme.Stabilization, env.EffectiveDate)
	if err != nil {
		return StabilizationReport{}, fmt.Errorf("batch: stabilization %d: %w", year, err)
	}
	seen := make(map[string]int, len(rows))
	for _, row := range rows {
		if row.Facts.Year != year {
			return StabilizationReport{}, fmt.Errorf("batch: line %d: %w", row.Line, domain.Invalid("year", "batch-year", "row is for %d, the batch for %d", row.Facts.Year, year))
		}
		if first, dup := seen[row.Facts.Employer.String()]; dup {
			return StabilizationReport{}, fmt.Errorf("batch: line %d: %w", row.Line, domain.Invalid("employer", "once-per-batch", "employer %s is already on line %d", row.Facts.Employer, first))
		}
		seen[row.Facts.Employer.String()] = row.Line
	}
	outcomes, err := runAll(ctx, svc, v, rows, env)
	rep := StabilizationReport{PolicyVersion: v.ID, IneligibleByRule: map[string]int{}, Outcomes: make([]Outcome, 0, len(rows))}
	for _, o := range outcomes {
		if o.ClaimID != "" {
			rep.add(o)
		}
	}
	return rep, err
}

// runAll records rows with env.Workers goroutines; outcomes[i] is row i's,
// left zero for rows not recorded because another row failed first.
func runAll(ctx context.Context, svc *ledger.Service, v policy.Version, rows []StabilizationRow, env StabilizationEnv) ([]Outcome, error) {
	ctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	outcomes := make([]Outcome, len(rows))
	next := make(chan int)
	var wg sync.WaitGroup
	for range max(env.Workers, 1) {
		wg.Go(func() {
			for i := range next {
				row := rows[i]
				o, err := runEmployer(ctx, svc, v, row, env)
				if err != nil {
					cancel(fmt.Errorf("batch: line %d (%s): %w", row.Line, row.Facts.Employer, err))
					continue
				}
				outcomes[i] = o
			}
		})
	}
	for i := range rows {
		if ctx.Err() != nil {
			break
		}
		next <- i
	}
	close(next)
	wg.Wait()
	if err := context.Cause(ctx); err != nil {
		return outcomes, err
	}
	return outcomes, nil
}

func (r *StabilizationReport) add(o Outcome) {
	r.Outcomes = append(r.Outcomes, o)
	switch o.Status {
	case StatusEligible:
		r.Eligible++
		r.Total = r.Total.Add(o.Amount)
	case StatusNeedsReview:
		r.NeedsReview++
		r.ReviewTotal = r.ReviewTotal.Add(o.Amount)
	case StatusIneligible:
		r.Ineligible++
		for _, rule := range o.FailedRules {
			r.IneligibleByRule[rule]++
		}
	case StatusDuplicate:
		r.Duplicates++
	}
}

func runEmployer(ctx context.Context, svc *ledger.Service, v policy.Version, row StabilizationRow, env StabilizationEnv) (Outcome, error) {
	a, err := stabilization.Assess(v, env.EffectiveDate, row.Facts)
	if err != nil {
		return Outcome{}, err
	}
	id := StabilizationClaimID(row.Facts.Employer.String(), row.Facts.Year)
	out := Outcome{Line: row.Line, ClaimID: id, Amount: a.Amount}
	for _, f := range a.Failed() {
		out.FailedRules = append(out.FailedRules, f.Rule)
	}
	switch {
	case a.Eligible:
		out.Status = StatusEligible
	case a.NeedsManualReview:
		out.Status = StatusNeedsReview
	default:
		out.Status = StatusIneligible
	}

	submit := claim.Submit{
		ClaimID: id, Programme: programme.Stabilization,
		Beneficiary: claim.Beneficiary{Kind: claim.Employer, Ref: row.Facts.Employer.String()},
		Region:      env.Region, BudgetLineID: env.BudgetLineID, EffectiveDate: env.EffectiveDate,
		UniquenessKeys: stabilization.Keys(row.Facts), Actor: env.Actor, Role: env.Role, At: env.At,
	}
	submitted, err := ledger.SubmitClaim(ctx, svc, submit, command(id, "SubmitClaim", env, v))
	if err != nil {
		if dup, ok := errors.AsType[*ledger.DuplicateError](err); ok {
			return Outcome{Line: row.Line, ClaimID: id, Status: StatusDuplicate, Detail: "refund already held by " + dup.Owner}, nil
		}
		return Outcome{}, err
	}
	out.Earlier = submitted.Replayed
	check := claim.Check{Assessment: a, Policy: v, Actor: env.Actor, Role: env.Role, At: env.At}
	agg := ledger.Aggregate[claim.State]{Stream: claim.Stream(id), Evolve: claim.Evolve}
	if _, err := ledger.Handle(ctx, svc, agg, command(id, "CheckClaim", env, v),
		func(st claim.State) ([]domain.Event, error) { return claim.Decide(st, check) }); err != nil {
		return Outcome{}, err
	}
	if out.Status == StatusIneligible {
		if _, err := ledger.ReleaseClaimKeys(ctx, svc, id); err != nil {
			return Outcome{}, err
		}
	}
	slices.Sort(out.FailedRules)
	return out, nil
}

// command is the envelope of step name for claim id, with an ID derived
// from both so a re-run recognises the step's events.
func command(id, name string, env StabilizationEnv, v policy.Version) ledger.Command {
	return ledger.Command{
		ID:            uuid.NewSHA1(claimIDSpace, []byte(name+"|"+id)),
		Name:          name,
		Actor:         env.Actor,
		Role:          env.Role,
		EffectiveDate: env.EffectiveDate.String(),
		PolicyVersion: v.ID,
	}
}
