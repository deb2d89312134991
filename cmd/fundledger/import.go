package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"slices"
	"text/tabwriter"
	"time"

	"github.com/haixi-hrss/fundledger/domain/calendar"
	"github.com/haixi-hrss/fundledger/domain/money"
	"github.com/haixi-hrss/fundledger/domain/policy"
	"github.com/haixi-hrss/fundledger/domain/programme"
	"github.com/haixi-hrss/fundledger/domain/region"
	"github.com/haixi-hrss/fundledger/domain/role"
	"github.com/haixi-hrss/fundledger/ledger"
	"github.com/haixi-hrss/fundledger/ledger/batch"
	"github.com/haixi-hrss/fundledger/ledger/datadir"
)

const importHelp = `
Imports data into the ledger. Subcommands:

  stabilization   evaluate a CSV of employers for the stabilization refund
                  (稳岗返还, paid without application) and record each one

Run 'fundledger import <subcommand> --help' for its flags.`

const importStabilizationHelp = `
Reads the employers of refund year Y from a CSV file (header: credit_code,
unit_name, insured_staff, premium_months_paid_in_full,
premiums_paid_last_year, new_ui_claimants, average_monthly_insured,
insured_last_year_end, insured_this_year_end, seriously_dishonest,
province_reserves_one_year) and evaluates each under the stabilization
policy version the ledger has published for the effective date. Every
employer gets a claim (stab-Y-<credit code>) submitted with the
one-refund-per-employer-per-year key and checked with the assessment: an
eligible or needs-review claim waits for approval, an ineligible one is
rejected with the rules it failed.

The import is idempotent: claims get IDs derived from the employer and the
year, so running it again appends nothing for employers already recorded
and completes any an interrupted run left half done. An employer whose
refund another claim already holds is reported as a duplicate.

The batch is a clerk's act (design invariant 8: every command records
its actor and role and is authorised): its claims are submitted and
checked by --actor in the role clerk. The command line has no login of
its own, so --actor is checked against the register the API authorises
against, the tokens file (--tokens, default DIR/tokens.json, managed with
'fundledger tokens'): it must name a principal holding an active (not
revoked) clerk token. Any other actor (unknown, revoked, or holding only
other roles) is refused before anything is recorded, and the claims
record the actor with the role clerk the register confirmed. The claims'
submitter is that clerk, so maker-checker keeps them from approving their
own batch.

A row with a bad field is reported on stderr (line, column, rule) and not
imported; the others are, and the command then exits 1. When stderr is a
terminal a progress bar is shown there.

Examples:
  fundledger import stabilization --data /var/lib/fundledger --year 2024 \
      --file employers-2024.csv --line line-stabilization-2025 --actor clerk-haixi
  fundledger import stabilization --data ./cache --store esdb://kurrent:2113?tls=false \
      --year 2024 --file employers-2024.csv --line line-stabilization-2025 \
      --actor clerk-haixi --date 2025-03-31
  fundledger tokens create --data /var/lib/fundledger --principal clerk-haixi --role clerk   # once, to make the actor a clerk`

// importChunk is how many employers, per worker, are recorded between two
// progress updates: the batch runs chunk by chunk, which it allows
// because a re-run of any part of it appends nothing. A chunk drains its
// workers before the next one starts, so it holds many times their number.
const importChunk = 16

// batchWorkers is how many employers the stabilization batch records at
// once, by default. Their appends share the store's group commits, so more
// of them make fewer, larger commits: over 100,000 employers on the
// development machine, 8 took 44 s, 32 took 26.5 s and 128 took 20 s
// (fundledger bench batch --workers N, load 2-3; docs/performance.md).
const batchWorkers = 64

func runImport(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := newFlagSet("import", "import <subcommand> [flags]", importHelp)
	if len(args) == 0 {
		return usageError(fs, stderr, "a subcommand is required")
	}
	switch args[0] {
	case "stabilization":
		return runImportStabilization(ctx, args[1:], stdout, stderr)
	case "-h", "-help", "--help", "help":
		fs.SetOutput(stdout)
		fs.Usage()
		return exitOK
	}
	return usageError(fs, stderr, fmt.Sprintf("unknown subcommand %q", args[0]))
}

// stabilizationImport is one import run's input.
type stabilizationImport struct {
	dir, storeURL, file string
	// tokens is the tokens file the actor must be a clerk in.
	tokens string
	year   programme.FiscalYear
	env    batch.StabilizationEnv
}

func runImportStabilization(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := newFlagSet("import stabilization",
		"import stabilization --data DIR [--store URL] --year Y --file F.csv --line ID --actor NAME [--tokens FILE] [--date D] [--region CODE] [--workers N]",
		importStabilizationHelp)
	dir := fs.String("data", "", "the ledger's data `directory` (required)")
	storeURL := storeFlag(fs, "holding the events; the data directory then keeps only the read models' snapshot")
	year := fs.Int("year", 0, "the refund `year` the file is for (required)")
	file := fs.String("file", "", "the employers' CSV `file` (required)")
	line := fs.String("line", "", "the budget line `ID` the refunds are charged to (required)")
	actor := fs.String("actor", "", "the clerk `name` recorded as running the batch, a principal with an active clerk token in the tokens file (required)")
	tokens := fs.String("tokens", "", "the tokens `file` the actor must be a clerk in (default DIR/tokens.json)")
	date := fs.String("date", "", "the batch's effective `date` (YYYY-MM-DD, Asia/Shanghai), which selects the policy version (default today)")
	regionText := fs.String("region", string(region.Haixi), "the `code` of the region the claims are filed in")
	workers := fs.Int("workers", batchWorkers, "employers recorded at once")
	if code, done := parseFlags(fs, args, stdout, stderr); done {
		return code
	}
	in := stabilizationImport{dir: *dir, storeURL: *storeURL, file: *file, tokens: *tokens}
	for _, req := range []struct{ name, value string }{{"data", *dir}, {"file", *file}, {"line", *line}, {"actor", *actor}} {
		if req.value == "" {
			return usageError(fs, stderr, "--"+req.name+" is required")
		}
	}
	if in.tokens == "" {
		in.tokens = tokensPath(*dir)
	}
	y, err := programme.ParseFiscalYear("year", *year)
	if err != nil {
		return usageError(fs, stderr, fmt.Sprintf("--year: %v", err))
	}
	in.year = y
	effective := calendar.FromTime(time.Now())
	if *date != "" {
		if effective, err = calendar.Parse("date", *date); err != nil {
			return usageError(fs, stderr, fmt.Sprintf("--date: %v", err))
		}
	}
	reg, err := region.Parse("region", *regionText)
	if err != nil {
		return usageError(fs, stderr, fmt.Sprintf("--region: %v", err))
	}
	if *workers < 1 {
		return usageError(fs, stderr, "--workers must be at least 1")
	}
	in.env = batch.StabilizationEnv{EffectiveDate: effective, BudgetLineID: *line, Region: reg,
		Actor: *actor, Role: role.Clerk, At: time.Now(), Workers: *workers}

	code, err := importStabilization(ctx, in, stdout, stderr)
	if errors.Is(err, datadir.ErrStoreURL) {
		return usageError(fs, stderr, err.Error())
	}
	if err != nil {
		fmt.Fprintf(stderr, "fundledger import stabilization: %v\n", err)
		return exitFailure
	}
	return code
}

// importStabilization reads the file, runs the batch on the ledger chunk
// by chunk and prints the summary. An error is returned for what stops the
// run before anything is recorded; a run that stopped part way prints what
// it recorded, then the error, and returns exitFailure.
func importStabilization(ctx context.Context, in stabilizationImport, stdout, stderr io.Writer) (int, error) {
	f, err := os.Open(in.file)
	if err != nil {
		return exitFailure, err
	}
	rows, rowErrs, err := batch.ReadStabilizationCSV(f, in.year)
	f.Close()
	if err != nil {
		return exitFailure, fmt.Errorf("%s: %w", in.file, err)
	}
	for i := range rowErrs {
		fmt.Fprintf(stderr, "%s: %v\n", in.file, &rowErrs[i])
	}

	l, err := openLedger(ctx, in.dir, in.storeURL, false, storeLog(stderr))
	if err != nil {
		return exitFailure, err
	}
	defer l.Close()
	if err := holdsRole(in.tokens, in.env.Actor, in.env.Role, "the batch"); err != nil {
		return exitFailure, err
	}
	if in.env.Policies, err = publishedPolicies(ctx, l, programme.Stabilization); err != nil {
		return exitFailure, err
	}
	if _, err := policy.Select(in.env.Policies, programme.Stabilization, in.env.EffectiveDate); err != nil {
		return exitFailure, fmt.Errorf("the ledger has no stabilization policy in force on %s (publish one first): %w", in.env.EffectiveDate, err)
	}

	sum := importSummary{rows: len(rows), rejected: len(rowErrs), byRule: map[string]int{}}
	bar := newProgress(stderr, int64(len(rows)), "importing", "employers")
	runErr := recordStabilization(ctx, l.Service, in.year, rows, in.env, &sum, func(n int) { bar.Add(n) })
	bar.Finish()

	sum.print(stdout, in)
	switch {
	case runErr != nil:
		fmt.Fprintf(stderr, "fundledger import stabilization: stopped: %v\n"+
			"what was recorded stays; run the same import again to complete it\n", runErr)
		return exitFailure, nil
	case len(rowErrs) > 0:
		fmt.Fprintf(stderr, "fundledger import stabilization: %d rows were not imported; "+
			"fix them and run the import again (employers already recorded are not recorded twice)\n", len(rowErrs))
		return exitFailure, nil
	}
	return exitOK, nil
}

// publishedPolicies returns the versions of programme p the ledger has
// published: claims are assessed under what was published, not under a
// file on the clerk's machine.
func publishedPolicies(ctx context.Context, l *datadir.Ledger, p programme.Code) ([]policy.Version, error) {
	stream := policy.Stream(p)
	evs, err := l.Store.ReadStream(ctx, stream, 0, 0)
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", stream, err)
	}
	var s policy.State
	for i := range evs {
		e, err := l.Codec.Decode(&evs[i])
		if err != nil {
			return nil, fmt.Errorf("%s version %d: %w", stream, evs[i].Version, err)
		}
		s = policy.Evolve(s, e)
	}
	return s.Versions, nil
}

// recordStabilization records rows chunk by chunk, env.Workers at a time,
// adding each chunk's report to sum and calling done with its size; it
// stops at the first chunk that fails. import stabilization and bench
// batch both run it.
func recordStabilization(ctx context.Context, svc *ledger.Service, year programme.FiscalYear,
	rows []batch.StabilizationRow, env batch.StabilizationEnv, sum *importSummary, done func(n int)) error {
	for chunk := range slices.Chunk(rows, importChunk*max(env.Workers, 1)) {
		rep, err := batch.RunStabilization(ctx, svc, year, chunk, env)
		sum.add(rep)
		done(len(chunk))
		if err != nil {
			return err
		}
	}
	return nil
}

// importSummary adds up the chunks' reports.
type importSummary struct {
	rows, rejected                                     int
	policyVersion                                      string
	eligible, ineligible, review, duplicates, recorded int
	total, reviewTotal                                 money.Amount
	byRule                                             map[string]int
}

func (s *importSummary) add(rep batch.StabilizationReport) {
	if rep.PolicyVersion != "" {
		s.policyVersion = rep.PolicyVersion
	}
	s.eligible += rep.Eligible
	s.ineligible += rep.Ineligible
	s.review += rep.NeedsReview
	s.duplicates += rep.Duplicates
	s.total = s.total.Add(rep.Total)
	s.reviewTotal = s.reviewTotal.Add(rep.ReviewTotal)
	for rule, n := range rep.IneligibleByRule {
		s.byRule[rule] += n
	}
	for _, o := range rep.Outcomes {
		if o.Status != batch.StatusDuplicate && o.Earlier {
			s.recorded++
		}
	}
}

func (s *importSummary) print(w io.Writer, in stabilizationImport) {
	fmt.Fprintf(w, "stabilization refunds for %d, effective %s, policy %s, budget line %s\n",
		in.year, in.env.EffectiveDate, s.policyVersion, in.env.BudgetLineID)
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintf(tw, "  rows read\t%d\t\n", s.rows)
	fmt.Fprintf(tw, "  rows rejected\t%d\t(bad fields, see stderr; not imported)\n", s.rejected)
	fmt.Fprintf(tw, "  eligible\t%d\t%s yuan\n", s.eligible, s.total)
	fmt.Fprintf(tw, "  needs review\t%d\t%s yuan\n", s.review, s.reviewTotal)
	fmt.Fprintf(tw, "  not eligible\t%d\t\n", s.ineligible)
	rules := make([]string, 0, len(s.byRule))
	for r := range s.byRule {
		rules = append(rules, r)
	}
	slices.Sort(rules)
	for _, r := range rules {
		fmt.Fprintf(tw, "    %s\t%d\t\n", r, s.byRule[r])
	}
	fmt.Fprintf(tw, "  duplicates\t%d\t(refund already held by another claim)\n", s.duplicates)
	fmt.Fprintf(tw, "  already done\t%d\t(recorded by an earlier run)\n", s.recorded)
	tw.Flush()
}
