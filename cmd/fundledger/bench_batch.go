package main

import (
	"bytes"
	"context"
	"encoding/csv"
	"fmt"
	"io"
	"os"
	"strconv"
	"time"

	"github.com/haixi-hrss/fundledger/domain/calendar"
	"github.com/haixi-hrss/fundledger/domain/identity"
	"github.com/haixi-hrss/fundledger/domain/policy"
	"github.com/haixi-hrss/fundledger/domain/programme"
	"github.com/haixi-hrss/fundledger/domain/region"
	"github.com/haixi-hrss/fundledger/domain/role"
	"github.com/haixi-hrss/fundledger/eventstore/sqlite"
	"github.com/haixi-hrss/fundledger/ledger"
	"github.com/haixi-hrss/fundledger/ledger/batch"
	"github.com/haixi-hrss/fundledger/ledger/schema"
)

const benchBatchHelp = `
Times the stabilization refund batch run (免申即享) end to end on a fresh
embedded ledger in a temporary directory under --dir: reading a generated
CSV of --employers insured units, assessing each and recording its claim
(submitted with its uniqueness key, then checked) with durable appends,
--workers employers at a time, chunk by chunk as import stabilization
records them. The directory is removed afterwards.`

// benchRefundYear is the refund year of the generated CSV; the batch runs
// on benchBatchDay, under the seed's stabilization-2025.
const benchRefundYear programme.FiscalYear = 2024

var benchBatchDay = calendar.MustNew(2025, time.March, 31)

func runBenchBatch(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := newFlagSet("bench batch", "bench batch [--employers N] [--workers N] [--dir DIR]", benchBatchHelp)
	employers := fs.Int("employers", 100_000, "insured units in the CSV")
	workers := fs.Int("workers", batchWorkers, "employers recorded at once")
	dir := fs.String("dir", "", "`directory` for the temporary ledger (default the system temp directory)")
	if code, done := parseFlags(fs, args, stdout, stderr); done {
		return code
	}
	if *employers < 1 || *workers < 1 {
		return usageError(fs, stderr, "--employers and --workers must be at least 1")
	}
	fail := func(err error) int {
		fmt.Fprintf(stderr, "fundledger bench batch: %v\n", err)
		return exitFailure
	}
	data, err := stabilizationCSV(*employers)
	if err != nil {
		return fail(err)
	}
	vs, err := policy.Seed()
	if err != nil {
		return fail(err)
	}
	tmp, err := os.MkdirTemp(*dir, "fundledger-bench-batch-")
	if err != nil {
		return fail(err)
	}
	defer os.RemoveAll(tmp)
	store, err := sqlite.Open(tmp)
	if err != nil {
		return fail(err)
	}
	defer store.Close()
	svc := ledger.New(store, schema.Codec())
	env := batch.StabilizationEnv{
		EffectiveDate: benchBatchDay, Policies: vs, BudgetLineID: "line-stabilization-2025", Region: region.Haixi,
		Actor: "clerk-batch-1", Role: role.Clerk, At: benchBatchDay.Start().Add(9 * time.Hour), Workers: *workers,
	}

	start := time.Now()
	rows, bad, err := batch.ReadStabilizationCSV(bytes.NewReader(data), benchRefundYear)
	if err != nil || len(bad) > 0 {
		return fail(fmt.Errorf("the generated CSV does not read: %v, %d bad rows", err, len(bad)))
	}
	sum := importSummary{rows: len(rows), byRule: map[string]int{}}
	err = recordStabilization(ctx, svc, benchRefundYear, rows, env, &sum, func(int) {})
	elapsed := time.Since(start)
	if err != nil {
		return fail(err)
	}
	fmt.Fprintf(stdout, "%d employers, %d workers, ledger in %s\n", *employers, *workers, tmp)
	fmt.Fprintf(stdout, "batch run %s: %.0f employers/s (CSV read, assessment, durable appends)\n",
		elapsed.Round(time.Millisecond), float64(*employers)/elapsed.Seconds())
	fmt.Fprintf(stdout, "outcomes  %d eligible (%s), %d ineligible, %d to review, %d duplicates\n",
		sum.eligible, sum.total, sum.ineligible, sum.review, sum.duplicates)
	return exitOK
}

// stabilizationCSV returns a CSV of n units for benchRefundYear: sizes
// from 1 to 600 staff, most eligible, every 13th over the layoff limit,
// every 29th short of twelve months of premiums.
func stabilizationCSV(n int) ([]byte, error) {
	var buf bytes.Buffer
	w := csv.NewWriter(&buf)
	if err := w.Write(batch.StabilizationColumns); err != nil {
		return nil, err
	}
	for i := 1; i <= n; i++ {
		body := fmt.Sprintf("91632801MA%07d", i)
		c, ok := identity.CreditCheckChar(body)
		if !ok {
			return nil, fmt.Errorf("no credit code from %q", body)
		}
		staff := 1 + i*37%600
		months, claimants := 12, 0
		if i%13 == 0 {
			claimants = staff/5 + 1
		}
		if i%29 == 0 {
			months = 10
		}
		premiums := fmt.Sprintf("%d.%02d", 1+i*7919%100000, i%100)
		s := strconv.Itoa(staff)
		if err := w.Write([]string{body + string(c), fmt.Sprintf("unit %d", i), s, strconv.Itoa(months), premiums,
			strconv.Itoa(claimants), s, s, s, "false", "false"}); err != nil {
			return nil, err
		}
	}
	w.Flush()
	return buf.Bytes(), w.Error()
}
