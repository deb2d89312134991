package batch_test

import (
	"bytes"
	"context"
	"encoding/csv"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"testing"
	"time"

	"github.com/haixi-hrss/fundledger/domain"
	"github.com/haixi-hrss/fundledger/domain/calendar"
	"github.com/haixi-hrss/fundledger/domain/claim"
	"github.com/haixi-hrss/fundledger/domain/identity"
	"github.com/haixi-hrss/fundledger/domain/money"
	"github.com/haixi-hrss/fundledger/domain/policy"
	"github.com/haixi-hrss/fundledger/domain/programme"
	"github.com/haixi-hrss/fundledger/domain/region"
	"github.com/haixi-hrss/fundledger/domain/role"
	"github.com/haixi-hrss/fundledger/domain/stabilization"
	"github.com/haixi-hrss/fundledger/eventstore"
	"github.com/haixi-hrss/fundledger/eventstore/sqlite"
	"github.com/haixi-hrss/fundledger/ledger"
	"github.com/haixi-hrss/fundledger/ledger/batch"
	"github.com/haixi-hrss/fundledger/ledger/codec"
	"github.com/shopspring/decimal"
)

const refundYear programme.FiscalYear = 2024

// The batch runs on 2025-03-31, under stabilization-2025 of the seed: SME
// 60 % (90 % with a year of provincial reserves), large (≥ 300 staff)
// 30 %, layoffs ≤ 5.5 % or, for ≤ 30 staff, ≤ 20 %, 12 months paid.
var batchEnv = batch.StabilizationEnv{
	EffectiveDate: calendar.MustParse("2025-03-31"),
	BudgetLineID:  "line-stabilization-2025", Region: region.Haixi,
	Actor: "clerk1", Role: role.Clerk, At: time.Date(2025, 3, 31, 9, 0, 0, 0, time.UTC),
}

func env(t testing.TB) batch.StabilizationEnv {
	t.Helper()
	vs, err := policy.Seed()
	if err != nil {
		t.Fatal(err)
	}
	e := batchEnv
	e.Policies = vs
	return e
}

// code returns a valid credit code of unit i with type prefix.
func code(prefix string, i int) string {
	body := fmt.Sprintf("%s632801MA%07d", prefix, i)
	c, ok := identity.CreditCheckChar(body)
	if !ok {
		panic(body)
	}
	return body + string(c)
}

// badCheckChar returns code with a wrong (but well-formed) check character.
func badCheckChar(c string) string {
	last := byte('0')
	if c[17] == '0' {
		last = '1'
	}
	return c[:17] + string(last)
}

// employer is one generated CSV row with the outcome the rules, worked
// out by hand, give it.
type employer struct {
	code, name          string
	staff, months       int
	premiums            string
	claimants           int
	avg                 string
	lastEnd, thisEnd    int
	dishonest, reserves bool
	wantStatus          string
	wantAmount          string
	wantFailed          []string
}

func (e employer) record() []string {
	return []string{e.code, e.name, strconv.Itoa(e.staff), strconv.Itoa(e.months), e.premiums,
		strconv.Itoa(e.claimants), e.avg, strconv.Itoa(e.lastEnd), strconv.Itoa(e.thisEnd),
		strconv.FormatBool(e.dishonest), strconv.FormatBool(e.reserves)}
}

// boundaries are the rule boundaries, one employer each; amounts are
// premiums × rate rounded half-up to the fen once.
func boundaries() []employer {
	ok := func(i, staff int, premiums string) employer {
		return employer{code: code("91", i), name: fmt.Sprintf("unit %d", i), staff: staff, months: 12,
			premiums: premiums, avg: strconv.Itoa(staff), lastEnd: staff, thisEnd: staff, wantStatus: batch.StatusEligible}
	}
	with := func(e employer, f func(*employer)) employer { f(&e); return e }
	fail := func(rules ...string) func(*employer) {
		return func(e *employer) { e.wantStatus, e.wantAmount, e.wantFailed = batch.StatusIneligible, "0.00", rules }
	}
	return []employer{
		// layoffs exactly 5.5 % of 200 pass; 12 (6 %) fail.
		with(ok(1, 200, "10000.00"), func(e *employer) { e.claimants, e.wantAmount = 11, "6000.00" }),
		with(ok(2, 200, "10000.00"), func(e *employer) { e.claimants = 12; fail(stabilization.RuleLayoffRate)(e) }),
		// ≤ 30 staff: up to 20 % passes, 31 staff does not get the rule.
		with(ok(3, 30, "1234.57"), func(e *employer) { e.claimants, e.wantAmount = 6, "740.74" }),
		with(ok(4, 30, "1234.57"), func(e *employer) { e.claimants = 7; fail(stabilization.RuleLayoffRate)(e) }),
		with(ok(5, 31, "1234.57"), func(e *employer) { e.claimants, e.avg = 6, "30"; fail(stabilization.RuleLayoffRate)(e) }),
		// 300 staff is large (30 %), 299 an SME (60 %), reserves give SMEs 90 %.
		with(ok(6, 300, "12345.65"), func(e *employer) { e.wantAmount = "3703.70" }),
		with(ok(7, 299, "12345.65"), func(e *employer) { e.wantAmount = "7407.39" }),
		with(ok(8, 299, "12345.65"), func(e *employer) { e.reserves, e.wantAmount = true, "11111.09" }),
		with(ok(9, 300, "12345.65"), func(e *employer) { e.reserves, e.wantAmount = true, "3703.70" }),
		// half a fen rounds up: 0.05 × 30 % = 0.015.
		with(ok(10, 500, "0.05"), func(e *employer) { e.wantAmount = "0.02" }),
		with(ok(11, 50, "8000.00"), func(e *employer) { e.dishonest = true; fail(stabilization.RuleNotDishonest)(e) }),
		with(ok(12, 50, "8000.00"), func(e *employer) { e.months = 11; fail(stabilization.RulePremiumMonths)(e) }),
		with(ok(13, 50, "8000.00"), func(e *employer) { e.months, e.wantAmount = 12, "4800.00" }),
		with(ok(14, 50, "0"), func(e *employer) { fail(stabilization.RulePremiumsPaid)(e) }),
		with(ok(15, 0, "100.00"), func(e *employer) { e.avg = "0"; fail(stabilization.RuleLayoffRate)(e) }),
		with(ok(16, 50, "8000.00"), func(e *employer) {
			e.dishonest, e.months = true, 3
			fail(stabilization.RuleNotDishonest, stabilization.RulePremiumMonths)(e)
		}),
		// a code failing only its check character goes to review, with its amount.
		with(ok(17, 50, "8000.00"), func(e *employer) {
			e.code, e.wantStatus, e.wantAmount = badCheckChar(e.code), batch.StatusNeedsReview, "4800.00"
			e.wantFailed = []string{stabilization.RuleCreditCode}
		}),
		// a public institution is assessed like any insured unit.
		with(ok(18, 40, "500.00"), func(e *employer) { e.code, e.wantAmount = code("12", 18), "300.00" }),
	}
}

// population is the boundaries plus eligible fillers up to n employers.
func population(n int) []employer {
	es := boundaries()
	for i := len(es) + 1; len(es) < n; i++ {
		staff := 1 + i*37%600
		premiums := decimal.NewFromInt(int64(i * 7919 % 100000)).Add(decimal.New(int64(i%100), -2)).Add(decimal.NewFromInt(1))
		rate := decimal.RequireFromString("0.6")
		if staff >= 300 {
			rate = decimal.RequireFromString("0.3")
		}
		es = append(es, employer{code: code("91", i), name: fmt.Sprintf("unit %d", i), staff: staff, months: 12 + i%12,
			premiums: premiums.StringFixed(2), avg: strconv.Itoa(staff), lastEnd: staff, thisEnd: staff,
			wantStatus: batch.StatusEligible, wantAmount: premiums.Mul(rate).Round(2).StringFixed(2)})
	}
	return es
}

func csvOf(t testing.TB, es []employer) []byte {
	t.Helper()
	var buf bytes.Buffer
	w := csv.NewWriter(&buf)
	w.Write(batch.StabilizationColumns)
	for _, e := range es {
		w.Write(e.record())
	}
	w.Flush()
	if err := w.Error(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func open(t testing.TB) (*sqlite.Store, *ledger.Service, *codec.Codec) {
	t.Helper()
	st, err := sqlite.Open(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	c, err := codec.New(codec.Types(claim.EventTypes()), codec.Types(ledger.Records()))
	if err != nil {
		t.Fatal(err)
	}
	return st, ledger.New(st, c), c
}

func lastPosition(t testing.TB, st eventstore.Store) uint64 {
	t.Helper()
	var last uint64
	for {
		evs, err := st.ReadAll(context.Background(), last, 1000)
		if err != nil {
			t.Fatal(err)
		}
		if len(evs) == 0 {
			return last
		}
		last = evs[len(evs)-1].Position
	}
}

func claimState(t testing.TB, st eventstore.Store, c *codec.Codec, id string) (claim.State, []string) {
	t.Helper()
	evs, err := st.ReadStream(context.Background(), claim.Stream(id), 0, 0)
	if err != nil {
		t.Fatal(err)
	}
	var s claim.State
	var failed []string
	for i := range evs {
		ev, err := c.Decode(&evs[i])
		if err != nil {
			t.Fatal(err)
		}
		if r, ok := ev.(*claim.Rejected); ok {
			failed = r.FailedRules
		}
		s = claim.Evolve(s, ev)
	}
	return s, failed
}

func readAll(t testing.TB, data []byte) []batch.StabilizationRow {
	t.Helper()
	rows, bad, err := batch.ReadStabilizationCSV(bytes.NewReader(data), refundYear)
	if err != nil || len(bad) > 0 {
		t.Fatalf("read: %v, bad rows %v", err, bad)
	}
	return rows
}

func TestRunStabilizationRecordsEveryEmployer(t *testing.T) {
	st, svc, c := open(t)
	es := population(200)
	rows := readAll(t, csvOf(t, es))
	if len(rows) != 200 {
		t.Fatalf("read %d rows, want 200", len(rows))
	}
	e := env(t)
	e.Workers = 8
	rep, err := batch.RunStabilization(context.Background(), svc, refundYear, rows, e)
	if err != nil {
		t.Fatal(err)
	}
	if rep.PolicyVersion != "stabilization-2025" {
		t.Errorf("policy version %s", rep.PolicyVersion)
	}
	var wantTotal, wantReview money.Amount
	want := map[string]int{}
	wantRules := map[string]int{}
	for i, e := range es {
		want[e.wantStatus]++
		o := rep.Outcomes[i]
		if o.Line != i+2 || o.Status != e.wantStatus || o.Amount.String() != e.wantAmount || o.Earlier {
			t.Errorf("line %d (%s): got line %d %s %s (earlier run: %v), want %s %s", i+2, e.code, o.Line, o.Status, o.Amount, o.Earlier, e.wantStatus, e.wantAmount)
		}
		s, failed := claimState(t, st, c, o.ClaimID)
		switch e.wantStatus {
		case batch.StatusEligible:
			wantTotal = wantTotal.Add(money.MustParse(e.wantAmount))
		case batch.StatusNeedsReview:
			wantReview = wantReview.Add(money.MustParse(e.wantAmount))
		case batch.StatusIneligible:
			for _, r := range e.wantFailed {
				wantRules[r]++
			}
		}
		// The claim stream is the auditor's record of the decision.
		if e.wantStatus == batch.StatusIneligible {
			if s.Status != claim.StatusRejected || !slices.Equal(sorted(failed), sorted(e.wantFailed)) {
				t.Errorf("%s: claim %s failed %v, want rejected for %v", e.code, s.Status, failed, e.wantFailed)
			}
		} else if s.Status != claim.StatusChecked || s.Approved.String() != e.wantAmount {
			t.Errorf("%s: claim %s approved %s, want checked for %s", e.code, s.Status, s.Approved, e.wantAmount)
		}
	}
	if rep.Eligible != want[batch.StatusEligible] || rep.Ineligible != want[batch.StatusIneligible] || rep.NeedsReview != want[batch.StatusNeedsReview] || rep.Duplicates != 0 {
		t.Errorf("report %d/%d/%d/%d, want %v", rep.Eligible, rep.Ineligible, rep.NeedsReview, rep.Duplicates, want)
	}
	if !rep.Total.Equal(wantTotal) || !rep.ReviewTotal.Equal(wantReview) {
		t.Errorf("totals %s / %s, want %s / %s", rep.Total, rep.ReviewTotal, wantTotal, wantReview)
	}
	for r, n := range wantRules {
		if rep.IneligibleByRule[r] != n {
			t.Errorf("rule %s failed by %d, want %d (%v)", r, rep.IneligibleByRule[r], n, rep.IneligibleByRule)
		}
	}

	// A re-run of the same batch appends nothing and reports the same.
	head := lastPosition(t, st)
	again, err := batch.RunStabilization(context.Background(), svc, refundYear, readAll(t, csvOf(t, es)), env(t))
	if err != nil {
		t.Fatal(err)
	}
	if got := lastPosition(t, st); got != head {
		t.Errorf("re-run moved the log head from %d to %d", head, got)
	}
	if again.Eligible != rep.Eligible || again.Ineligible != rep.Ineligible || !again.Total.Equal(rep.Total) {
		t.Errorf("re-run report %+v differs", again)
	}
	for _, o := range again.Outcomes {
		if !o.Earlier {
			t.Errorf("re-run: %s not reported as submitted by an earlier run", o.ClaimID)
		}
	}
}

func sorted(s []string) []string { return slices.Sorted(slices.Values(s)) }

func TestRunStabilizationKeys(t *testing.T) {
	st, svc, _ := open(t)
	es := boundaries()
	rows := readAll(t, csvOf(t, es))
	ctx := context.Background()
	// Another claim already holds employer 1's refund for the year.
	if err := svc.Reserve(ctx, stabilization.Keys(rows[0].Facts)[0], "claim-counter-1"); err != nil {
		t.Fatal(err)
	}
	rep, err := batch.RunStabilization(ctx, svc, refundYear, rows, env(t))
	if err != nil {
		t.Fatal(err)
	}
	if o := rep.Outcomes[0]; o.Status != batch.StatusDuplicate || rep.Duplicates != 1 {
		t.Errorf("held employer: %+v", o)
	}
	if evs, _ := st.ReadStream(ctx, claim.Stream(rep.Outcomes[0].ClaimID), 0, 0); len(evs) != 0 {
		t.Errorf("duplicate employer got a claim of %d events", len(evs))
	}
	// An ineligible employer's key is free again; an eligible one's is held.
	if err := svc.Reserve(ctx, stabilization.Keys(rows[1].Facts)[0], "claim-corrected"); err != nil {
		t.Errorf("ineligible employer's key not released: %v", err)
	}
	if err := svc.Reserve(ctx, stabilization.Keys(rows[2].Facts)[0], "claim-other"); err == nil {
		t.Error("eligible employer's key was free for a second claim")
	}
}

func TestRunStabilizationRefusesBadInput(t *testing.T) {
	st, svc, _ := open(t)
	ctx := context.Background()
	rows := readAll(t, csvOf(t, boundaries()))
	e := env(t)
	e.EffectiveDate = calendar.MustParse("2019-06-01")
	if _, err := batch.RunStabilization(ctx, svc, refundYear, rows, e); err == nil {
		t.Error("batch ran without a policy in force")
	}
	if _, err := batch.RunStabilization(ctx, svc, refundYear, append(rows, rows[3]), env(t)); !errors.Is(err, domain.ErrInvalid) {
		t.Errorf("employer twice in a batch: %v", err)
	}
	if _, err := batch.RunStabilization(ctx, svc, refundYear+1, rows, env(t)); !errors.Is(err, domain.ErrInvalid) {
		t.Errorf("rows of another year: %v", err)
	}
	if head := lastPosition(t, st); head != 0 {
		t.Errorf("appended up to %d", head)
	}
}

// BenchmarkRunStabilization reads and records 10,000 employers on a fresh
// embedded store (durable appends), one at a time and 32 at once.
func BenchmarkRunStabilization(b *testing.B) {
	for _, workers := range []int{1, 32} {
		b.Run(fmt.Sprintf("workers=%d", workers), func(b *testing.B) { benchmarkRun(b, workers) })
	}
}

func benchmarkRun(b *testing.B, workers int) {
	es := population(10_000)
	data := csvOf(b, es)
	e := env(b)
	e.Workers = workers
	for b.Loop() {
		b.StopTimer()
		_, svc, _ := open(b)
		b.StartTimer()
		rows, bad, err := batch.ReadStabilizationCSV(bytes.NewReader(data), refundYear)
		if err != nil || len(bad) > 0 {
			b.Fatal(err, bad)
		}
		if _, err := batch.RunStabilization(context.Background(), svc, refundYear, rows, e); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(len(es)*b.N)/b.Elapsed().Seconds(), "employers/s")
}

// failingStore refuses appends to one stream, as a process dying there
// would leave the log.
type failingStore struct {
	eventstore.Store
	stream string
}

var errInjected = errors.New("injected append failure")

func (f failingStore) Append(ctx context.Context, stream string, expected eventstore.ExpectedVersion, events ...eventstore.EventData) (eventstore.AppendResult, error) {
	if stream == f.stream {
		return eventstore.AppendResult{}, errInjected
	}
	return f.Store.Append(ctx, stream, expected, events...)
}

func TestRunStabilizationResumesAfterFailure(t *testing.T) {
	st, svc, c := open(t)
	ctx := context.Background()
	rows := readAll(t, csvOf(t, boundaries()))
	stuck := batch.StabilizationClaimID(rows[5].Facts.Employer.String(), refundYear)
	broken := ledger.New(failingStore{Store: st, stream: claim.Stream(stuck)}, c)
	rep, err := batch.RunStabilization(ctx, broken, refundYear, rows, env(t))
	if !errors.Is(err, errInjected) || len(rep.Outcomes) != 5 {
		t.Fatalf("broken run: %d outcomes, %v", len(rep.Outcomes), err)
	}
	rep, err = batch.RunStabilization(ctx, svc, refundYear, rows, env(t))
	if err != nil || len(rep.Outcomes) != len(rows) {
		t.Fatalf("resumed run: %d outcomes, %v", len(rep.Outcomes), err)
	}
	if s, _ := claimState(t, st, c, stuck); s.Status != claim.StatusChecked || s.Approved.String() != "3703.70" {
		t.Errorf("stuck claim after resume: %s %s", s.Status, s.Approved)
	}
	head := lastPosition(t, st)
	if _, err := batch.RunStabilization(ctx, svc, refundYear, rows, env(t)); err != nil {
		t.Fatal(err)
	}
	if got := lastPosition(t, st); got != head {
		t.Errorf("third run moved the head from %d to %d", head, got)
	}
}
