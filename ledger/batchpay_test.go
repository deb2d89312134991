package ledger_test

import (
	"context"
	"errors"
	"fmt"
	"testing"

	"github.com/google/uuid"

	"github.com/haixi-hrss/fundledger/domain"
	"github.com/haixi-hrss/fundledger/domain/budget"
	"github.com/haixi-hrss/fundledger/domain/claim"
	"github.com/haixi-hrss/fundledger/domain/money"
	"github.com/haixi-hrss/fundledger/domain/paymentbatch"
	"github.com/haixi-hrss/fundledger/domain/role"
	"github.com/haixi-hrss/fundledger/eventstore"
	"github.com/haixi-hrss/fundledger/ledger"
	"github.com/haixi-hrss/fundledger/ledger/schema"
)

const batchID = "pb-2025-03-01"

func onBatch(t testing.TB, svc *ledger.Service, id string, cmd paymentbatch.Command) {
	t.Helper()
	if _, err := ledger.Handle(context.Background(), svc, schema.PaymentBatch(id), ledger.Command{ID: uuid.New(), Payload: cmd},
		func(s paymentbatch.State) ([]domain.Event, error) { return paymentbatch.Decide(s, cmd) }); err != nil {
		t.Fatalf("%T on batch %s: %v", cmd, id, err)
	}
}

// batchPayID is the payment ID claim i is sent under in the test batch.
func batchPayID(i int) string { return fmt.Sprintf("%s-%03d", batchID, i) }

// closedBatch opens batch id on scope with one item per claim in claims,
// each for amount (the grant unless overridden), and closes it.
func closedBatch(t testing.TB, svc *ledger.Service, id string, scope paymentbatch.Scope, claims []int, amount map[int]money.Amount) {
	t.Helper()
	onBatch(t, svc, id, paymentbatch.Open{BatchID: id, Scope: scope, Actor: "tre1", Role: role.Treasurer, At: claimAt})
	for _, i := range claims {
		a, ok := amount[i]
		if !ok {
			a = grant
		}
		onBatch(t, svc, id, paymentbatch.AddItem{ClaimID: expansionClaimID(i), Instalment: 1, PaymentID: batchPayID(i), Amount: a,
			BudgetLineID: expansionLine, BeneficiaryRef: string(employerCode(i)), Actor: "tre1", Role: role.Treasurer, At: claimAt})
	}
	onBatch(t, svc, id, paymentbatch.Close{Actor: "tre1", Role: role.Treasurer, At: claimAt})
}

func sendBatch() paymentbatch.Send {
	return paymentbatch.Send{Actor: "tre1", Role: role.Treasurer, At: claimAt}
}

func bankFile(paid []int, failed []int) paymentbatch.RecordResults {
	cmd := paymentbatch.RecordResults{Actor: "tre1", Role: role.Treasurer, At: claimAt}
	for _, i := range paid {
		cmd.Results = append(cmd.Results, paymentbatch.Result{ClaimID: expansionClaimID(i), Instalment: 1, PaymentID: batchPayID(i),
			Paid: true, BankRef: "ICBC-" + batchPayID(i), On: claimEffective.AddDays(9)})
	}
	for _, i := range failed {
		cmd.Results = append(cmd.Results, paymentbatch.Result{ClaimID: expansionClaimID(i), Instalment: 1, PaymentID: batchPayID(i),
			Reason: "account closed", On: claimEffective.AddDays(9)})
	}
	return cmd
}

func itemStatuses(b paymentbatch.State) map[string]paymentbatch.ItemStatus {
	out := map[string]paymentbatch.ItemStatus{}
	for _, it := range b.Items {
		out[it.ClaimID] = it.Status
	}
	return out
}

func countType(t testing.TB, st eventstore.Store, stream, typ string) int {
	t.Helper()
	n := 0
	for _, ev := range readStream(t, st, stream) {
		if ev.Type == typ {
			n++
		}
	}
	return n
}

// TestBatchReleaseAndResults runs a batch of six items end to end: four
// payable claims, one cancelled claim and one item whose amount differs
// from its claim. The two are withdrawn with the rule; of the four, three
// are paid and one fails. Line and claims agree throughout, and re-runs
// append nothing.
func TestBatchReleaseAndResults(t *testing.T) {
	ctx := context.Background()
	st := openStore(t, t.TempDir())
	svc := paymentService(t, st)
	disclosedClaims(t, svc, 10, 6)
	cancel := claim.Cancel{Reason: "employer closed", Actor: "appr2", Role: role.Approver, At: claimAt}
	if _, err := ledger.CancelClaim(ctx, svc, expansionClaimID(4), cancel, approverEnv("appr2")); err != nil {
		t.Fatal(err)
	}
	closedBatch(t, svc, batchID, paymentbatch.Scope{Kind: paymentbatch.ScopeBudgetLine, ID: expansionLine},
		[]int{0, 1, 2, 3, 4, 5}, map[int]money.Amount{5: money.MustParse("1600.00")})

	// Only a treasurer sends a batch.
	head := lastPosition(t, st)
	clerk := sendBatch()
	clerk.Role = role.Clerk
	var rule *domain.RuleError
	if _, err := ledger.ReleaseBatch(ctx, svc, batchID, clerk, clerkEnv()); !errors.As(err, &rule) || rule.Rule != "role-treasurer" {
		t.Fatalf("clerk sends: err = %v, want role-treasurer", err)
	}
	if got := lastPosition(t, st); got != head {
		t.Fatalf("the refusal appended: log at %d, was %d", got, head)
	}

	b, err := ledger.ReleaseBatch(ctx, svc, batchID, sendBatch(), treasurerEnv())
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]paymentbatch.ItemStatus{}
	for i := range 6 {
		want[expansionClaimID(i)] = paymentbatch.Released
	}
	want[expansionClaimID(4)], want[expansionClaimID(5)] = paymentbatch.Withdrawn, paymentbatch.Withdrawn
	if got := itemStatuses(b); fmt.Sprint(got) != fmt.Sprint(want) || b.Status != paymentbatch.StatusSent {
		t.Fatalf("batch %s items %v, want sent with %v", b.Status, got, want)
	}
	if it := b.Items[4]; it.Rule != "claim-disclosed" {
		t.Errorf("cancelled claim's item withdrawn under %q (%s), want claim-disclosed", it.Rule, it.Reason)
	}
	if it := b.Items[5]; it.Rule != "item-matches-claim" {
		t.Errorf("mismatched item withdrawn under %q (%s), want item-matches-claim", it.Rule, it.Reason)
	}
	for i := range 4 {
		c := claimState(t, st, expansionClaimID(i))
		if in := c.Instalments[0]; in.Status != claim.InstalmentInFlight || in.PaymentID != batchPayID(i) {
			t.Errorf("claim %d instalment %+v, want released under %s", i, in, batchPayID(i))
		}
	}
	if c := claimState(t, st, expansionClaimID(5)); c.Instalments[0].Status != claim.InstalmentScheduled {
		t.Errorf("the mismatched item's claim was released: %+v", c.Instalments[0])
	}

	// A re-run of the sent batch finds nothing left to do.
	head = lastPosition(t, st)
	if again, err := ledger.ReleaseBatch(ctx, svc, batchID, sendBatch(), treasurerEnv()); err != nil || fmt.Sprint(itemStatuses(again)) != fmt.Sprint(want) {
		t.Fatalf("re-run: %v, %v", itemStatuses(again), err)
	}
	if got := lastPosition(t, st); got != head {
		t.Errorf("the re-run appended: log at %d, was %d", got, head)
	}

	// A bank file naming a withdrawn item is refused whole.
	if _, err := ledger.RecordBatchResults(ctx, svc, batchID, bankFile([]int{0, 5}, nil), treasurerEnv()); !errors.As(err, &rule) || rule.Rule != "item-released" {
		t.Fatalf("answer for a withdrawn item: err = %v, want item-released", err)
	}
	if got := lastPosition(t, st); got != head {
		t.Fatalf("the refused file appended: log at %d, was %d", got, head)
	}

	b, err = ledger.RecordBatchResults(ctx, svc, batchID, bankFile([]int{0, 1, 2}, []int{3}), treasurerEnv())
	if err != nil {
		t.Fatal(err)
	}
	if b.Status != paymentbatch.StatusSettled || b.Count(paymentbatch.Paid) != 3 || b.Count(paymentbatch.Failed) != 1 || !b.Sum(paymentbatch.Paid).Equal(times(3)) {
		t.Errorf("batch %s: %d paid (%s), %d failed; want settled with 3 paid, 1 failed", b.Status, b.Count(paymentbatch.Paid), b.Sum(paymentbatch.Paid), b.Count(paymentbatch.Failed))
	}
	paid, _ := checkPayments(t, svc, st, 6)
	line := lineState(t, svc, st)
	if !paid.Equal(times(3)) || !line.Spent.Equal(times(3)) || !line.Claims[expansionClaimID(3)].Pending.Equal(grant) {
		t.Errorf("paid %s, line spent %s, failed claim holds %s; want 3 grants spent and the failed one still reserved", paid, line.Spent, line.Claims[expansionClaimID(3)].Pending)
	}

	head = lastPosition(t, st)
	if _, err := ledger.RecordBatchResults(ctx, svc, batchID, bankFile([]int{0, 1, 2}, []int{3}), treasurerEnv()); err != nil {
		t.Fatal(err)
	}
	if got := lastPosition(t, st); got != head {
		t.Errorf("the repeated bank file appended: log at %d, was %d", got, head)
	}
}

// TestBatchScopedToAFund: a fund-scoped batch pays items whose budget line
// belongs to the fund and withdraws the others.
func TestBatchScopedToAFund(t *testing.T) {
	ctx := context.Background()
	st := openStore(t, t.TempDir())
	svc := paymentService(t, st)
	disclosedClaims(t, svc, 10, 2)
	closedBatch(t, svc, "pb-fund-1", paymentbatch.Scope{Kind: paymentbatch.ScopeFund, ID: "fund-1"}, []int{0}, nil)
	closedBatch(t, svc, "pb-fund-2", paymentbatch.Scope{Kind: paymentbatch.ScopeFund, ID: "fund-2"}, []int{1}, nil)
	b1, err := ledger.ReleaseBatch(ctx, svc, "pb-fund-1", sendBatch(), treasurerEnv())
	if err != nil {
		t.Fatal(err)
	}
	b2, err := ledger.ReleaseBatch(ctx, svc, "pb-fund-2", sendBatch(), treasurerEnv())
	if err != nil {
		t.Fatal(err)
	}
	if b1.Items[0].Status != paymentbatch.Released || b2.Items[0].Status != paymentbatch.Withdrawn || b2.Items[0].Rule != "item-in-scope" {
		t.Errorf("fund-1 item %+v, fund-2 item %+v; want released and withdrawn as out of scope", b1.Items[0], b2.Items[0])
	}
	if b2.Status != paymentbatch.StatusSettled {
		t.Errorf("a batch with every item withdrawn is %s, want settled", b2.Status)
	}
}

// TestBatchResumesAfterCrash: a process dies after the claims' steps and
// before the batch records them, first in the release, then in the
// results. A re-run replays the claims' steps (their command IDs derive
// from the batch and item) and records them: each instalment released
// once, paid once, spent once.
func TestBatchResumesAfterCrash(t *testing.T) {
	ctx := context.Background()
	st := openStore(t, t.TempDir())
	healthy := paymentService(t, st)
	disclosedClaims(t, healthy, 10, 3)
	closedBatch(t, healthy, batchID, paymentbatch.Scope{Kind: paymentbatch.ScopeBudgetLine, ID: expansionLine}, []int{0, 1, 2}, nil)
	// dies is a service whose process dies at any append to the batch
	// after it was sent: the claims' steps go through, the batch's do not.
	dies := func() *ledger.Service {
		return paymentService(t, &faultyStore{Store: st, fail: func(stream string) error {
			if stream == paymentbatch.Stream(batchID) && countType(t, st, stream, "PaymentBatchSent") > 0 {
				return errCrashed
			}
			return nil
		}})
	}
	if _, err := ledger.ReleaseBatch(ctx, dies(), batchID, sendBatch(), treasurerEnv()); !errors.Is(err, errCrashed) {
		t.Fatalf("err = %v, want the crash", err)
	}
	for i := range 3 {
		if c := claimState(t, st, expansionClaimID(i)); c.Instalments[0].Status != claim.InstalmentInFlight {
			t.Fatalf("claim %d is %s before the batch recorded it, want released", i, c.Instalments[0].Status)
		}
	}
	b, err := ledger.ReleaseBatch(ctx, healthy, batchID, sendBatch(), treasurerEnv())
	if err != nil {
		t.Fatal(err)
	}
	if b.Count(paymentbatch.Released) != 3 {
		t.Fatalf("after the re-run %v, want all released", itemStatuses(b))
	}

	if _, err := ledger.RecordBatchResults(ctx, dies(), batchID, bankFile([]int{0, 1, 2}, nil), treasurerEnv()); !errors.Is(err, errCrashed) {
		t.Fatalf("err = %v, want the crash", err)
	}
	if line := lineState(t, healthy, st); !line.Spent.Equal(times(3)) {
		t.Fatalf("line spent %s before the batch recorded the answers, want %s", line.Spent, times(3))
	}
	if b, err = ledger.RecordBatchResults(ctx, healthy, batchID, bankFile([]int{0, 1, 2}, nil), treasurerEnv()); err != nil {
		t.Fatal(err)
	}
	if b.Status != paymentbatch.StatusSettled || b.Count(paymentbatch.Paid) != 3 {
		t.Errorf("batch %s with %v, want settled and all paid", b.Status, itemStatuses(b))
	}
	for i := range 3 {
		if n := countType(t, st, claim.Stream(expansionClaimID(i)), "ClaimPaymentReleased"); n != 1 {
			t.Errorf("claim %d released %d times, want once", i, n)
		}
	}
	if n := countType(t, st, budget.Stream(expansionLine), "FundsSpent"); n != 3 {
		t.Errorf("line has %d spends, want 3", n)
	}
	if paid, _ := checkPayments(t, healthy, st, 3); !paid.Equal(times(3)) {
		t.Errorf("paid %s, want %s", paid, times(3))
	}
}

// BenchmarkBatchOf100 sends a batch of 100 disclosed claims on one budget
// line and records the bank's answers (all paid): 100 claim releases, 100
// claim payments, each spent on the line, and the batch's records.
func BenchmarkBatchOf100(b *testing.B) {
	const n = 100
	ctx := context.Background()
	items := make([]int, n)
	for i := range items {
		items[i] = i
	}
	for b.Loop() {
		b.StopTimer()
		st := openStore(b, b.TempDir())
		svc := paymentService(b, st)
		disclosedClaims(b, svc, n, n)
		closedBatch(b, svc, batchID, paymentbatch.Scope{Kind: paymentbatch.ScopeBudgetLine, ID: expansionLine}, items, nil)
		b.StartTimer()
		if _, err := ledger.ReleaseBatch(ctx, svc, batchID, sendBatch(), treasurerEnv()); err != nil {
			b.Fatal(err)
		}
		s, err := ledger.RecordBatchResults(ctx, svc, batchID, bankFile(items, nil), treasurerEnv())
		if err != nil || s.Count(paymentbatch.Paid) != n {
			b.Fatalf("%d paid, %v", s.Count(paymentbatch.Paid), err)
		}
	}
	b.ReportMetric(float64(n*b.N)/b.Elapsed().Seconds(), "items/s")
}

// TestInstalmentInTwoBatchesIsPaidOnce: the same instalment put in two
// batches under two payment IDs is released by the first batch sent; the
// second withdraws it with the claim's rule.
func TestInstalmentInTwoBatchesIsPaidOnce(t *testing.T) {
	ctx := context.Background()
	st := openStore(t, t.TempDir())
	svc := paymentService(t, st)
	disclosedClaims(t, svc, 10, 1)
	scope := paymentbatch.Scope{Kind: paymentbatch.ScopeBudgetLine, ID: expansionLine}
	closedBatch(t, svc, "pb-first", scope, []int{0}, nil)
	onBatch(t, svc, "pb-second", paymentbatch.Open{BatchID: "pb-second", Scope: scope, Actor: "tre1", Role: role.Treasurer, At: claimAt})
	onBatch(t, svc, "pb-second", paymentbatch.AddItem{ClaimID: expansionClaimID(0), Instalment: 1, PaymentID: "other-payment", Amount: grant,
		BudgetLineID: expansionLine, BeneficiaryRef: string(employerCode(0)), Actor: "tre1", Role: role.Treasurer, At: claimAt})
	onBatch(t, svc, "pb-second", paymentbatch.Close{Actor: "tre1", Role: role.Treasurer, At: claimAt})
	first, err := ledger.ReleaseBatch(ctx, svc, "pb-first", sendBatch(), treasurerEnv())
	if err != nil {
		t.Fatal(err)
	}
	second, err := ledger.ReleaseBatch(ctx, svc, "pb-second", sendBatch(), treasurerEnv())
	if err != nil {
		t.Fatal(err)
	}
	if first.Items[0].Status != paymentbatch.Released || second.Items[0].Status != paymentbatch.Withdrawn || second.Items[0].Rule != "instalment-payable" {
		t.Fatalf("first %+v, second %+v; want released once and withdrawn under instalment-payable", first.Items[0], second.Items[0])
	}
	if _, err := ledger.RecordBatchResults(ctx, svc, "pb-first", bankFile([]int{0}, nil), treasurerEnv()); err != nil {
		t.Fatal(err)
	}
	if n := countType(t, st, claim.Stream(expansionClaimID(0)), "ClaimPaymentReleased"); n != 1 {
		t.Errorf("claim released %d times, want once", n)
	}
	if paid, _ := checkPayments(t, svc, st, 1); !paid.Equal(grant) {
		t.Errorf("paid %s, want %s once", paid, grant)
	}
}
