package ledger_test

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"

	"github.com/google/uuid"

	"github.com/haixi-hrss/fundledger/domain"
	"github.com/haixi-hrss/fundledger/domain/budget"
	"github.com/haixi-hrss/fundledger/domain/claim"
	"github.com/haixi-hrss/fundledger/domain/money"
	"github.com/haixi-hrss/fundledger/domain/role"
	"github.com/haixi-hrss/fundledger/eventstore"
	"github.com/haixi-hrss/fundledger/ledger"
	"github.com/haixi-hrss/fundledger/ledger/schema"
)

// paymentService is a service with the ledger's whole catalogue, as the API
// builds it.
func paymentService(t testing.TB, st eventstore.Store, opts ...ledger.Option) *ledger.Service {
	t.Helper()
	return ledger.New(st, schema.Codec(), opts...)
}

// payID is the payment ID claim i is released under.
func payID(i int) string { return fmt.Sprintf("pay-%03d", i) }

func treasurerEnv() ledger.Command {
	return ledger.Command{ID: uuid.New(), Actor: "tre1", Role: role.Treasurer}
}

func clerkEnv() ledger.Command {
	return ledger.Command{ID: uuid.New(), Actor: "clerk1", Role: role.Clerk}
}

// disclosedClaims allocates grants to the line and takes claims 0..n-1
// through approval and disclosure with the ledger's processes, so each
// holds one grant reserved and is payable.
func disclosedClaims(t testing.TB, svc *ledger.Service, grants int64, n int) {
	t.Helper()
	setUpClaims(t, svc, grants, n)
	ctx := context.Background()
	for i := range n {
		id := expansionClaimID(i)
		if _, err := ledger.ApproveClaim(ctx, svc, id, approve("appr1"), approverEnv("appr1")); err != nil {
			t.Fatal(err)
		}
		start := claim.StartDisclosure{On: claimEffective, Masked: "6328**********1230", Actor: "clerk1", Role: role.Clerk, At: claimAt}
		if _, err := ledger.StartDisclosure(ctx, svc, id, start, clerkEnv()); err != nil {
			t.Fatal(err)
		}
		done := claim.CompleteDisclosure{On: claimEffective.AddDays(7), Actor: "clerk1", Role: role.Clerk, At: claimAt}
		if _, err := ledger.CompleteDisclosure(ctx, svc, id, done, clerkEnv()); err != nil {
			t.Fatal(err)
		}
	}
}

// releasedClaims is disclosedClaims with each claim i's instalment released
// for payment under payID(i).
func releasedClaims(t testing.TB, svc *ledger.Service, grants int64, n int) {
	t.Helper()
	disclosedClaims(t, svc, grants, n)
	for i := range n {
		if _, err := ledger.ReleasePayment(context.Background(), svc, expansionClaimID(i), release(payID(i)), treasurerEnv()); err != nil {
			t.Fatal(err)
		}
	}
}

func release(payment string) claim.ReleasePayment {
	return claim.ReleasePayment{Instalment: 1, PaymentID: payment, Actor: "tre1", Role: role.Treasurer, At: claimAt}
}

// bankPaid is the bank's confirmation of payment.
func bankPaid(payment string) claim.RecordPaymentResult {
	return claim.RecordPaymentResult{Instalment: 1, PaymentID: payment, Paid: true, BankRef: "B-" + payment,
		On: claimEffective.AddDays(9), Actor: "tre1", Role: role.Treasurer, At: claimAt}
}

func bankFailed(payment string) claim.RecordPaymentResult {
	return claim.RecordPaymentResult{Instalment: 1, PaymentID: payment, Reason: "account closed",
		On: claimEffective.AddDays(9), Actor: "tre1", Role: role.Treasurer, At: claimAt}
}

// checkPayments fails unless claims 0..n-1 and their budget line agree on
// the money and invariants 4 and 5 hold: for each claim the line's spend
// equals what the claim paid and its recoveries what the claim recovered,
// paid ≤ approved, recovered ≤ paid, each instalment paid at most once;
// the line's totals are the sums over the claims and never exceed the
// allocation. It returns the totals paid and recovered.
func checkPayments(t testing.TB, svc *ledger.Service, st eventstore.Store, n int) (paid, recovered money.Amount) {
	t.Helper()
	line := lineState(t, svc, st)
	c := schema.Codec()
	var held money.Amount
	for i := range n {
		id := expansionClaimID(i)
		cl := claimState(t, st, id)
		h := line.Claims[id]
		if !h.Spent.Equal(cl.Paid) || !h.Recovered.Equal(cl.Recovered) {
			t.Errorf("claim %s paid %s, recovered %s; the line spent %s, recovered %s", id, cl.Paid, cl.Recovered, h.Spent, h.Recovered)
		}
		if cl.Paid.GreaterThan(cl.Approved) || cl.Recovered.GreaterThan(cl.Paid) {
			t.Errorf("claim %s: approved %s, paid %s, recovered %s", id, cl.Approved, cl.Paid, cl.Recovered)
		}
		perInstalment := map[int]int{}
		for _, raw := range readStream(t, st, claim.Stream(id)) {
			ev, err := c.Decode(&raw)
			if err != nil {
				t.Fatal(err)
			}
			if p, ok := ev.(*claim.InstalmentPaid); ok {
				if perInstalment[p.Instalment]++; perInstalment[p.Instalment] > 1 {
					t.Errorf("claim %s: instalment %d paid twice", id, p.Instalment)
				}
			}
		}
		paid, recovered, held = paid.Add(cl.Paid), recovered.Add(cl.Recovered), held.Add(h.Pending)
	}
	if !line.Spent.Equal(paid) || !line.Recovered.Equal(recovered) || !line.Reserved.Equal(held) {
		t.Errorf("line spent %s, recovered %s, reserved %s; the claims paid %s, recovered %s, hold %s",
			line.Spent, line.Recovered, line.Reserved, paid, recovered, held)
	}
	if line.Available().IsNegative() || line.Reserved.Add(line.Spent).Sub(line.Recovered).GreaterThan(line.Allocated) {
		t.Errorf("line over its allocation: allocated %s, reserved %s, spent %s, recovered %s", line.Allocated, line.Reserved, line.Spent, line.Recovered)
	}
	return paid, recovered
}

func TestPaymentSpendsTheReservation(t *testing.T) {
	ctx := context.Background()
	st := openStore(t, t.TempDir())
	svc := paymentService(t, st)
	releasedClaims(t, svc, 10, 1)
	id := expansionClaimID(0)
	if line := lineState(t, svc, st); !line.Claims[id].Pending.Equal(grant) || !line.Spent.IsZero() {
		t.Fatalf("released but unpaid: line holds %s, spent %s; want %s held, nothing spent", line.Claims[id].Pending, line.Spent, grant)
	}

	env := treasurerEnv()
	env.IdempotencyKey = "bank-result-" + payID(0)
	res, err := ledger.RecordPaymentResult(ctx, svc, id, bankPaid(payID(0)), env)
	if err != nil {
		t.Fatal(err)
	}
	p, ok := res.Events[0].(*claim.InstalmentPaid)
	if !ok || p.SpendID != id+"/spend/"+payID(0) || p.BudgetLineID != expansionLine {
		t.Fatalf("events %+v, want the payment naming its spend and line", res.Events)
	}
	line := lineState(t, svc, st)
	if op := line.Ops[p.SpendID]; !line.Spent.Equal(grant) || !line.Reserved.IsZero() || op.Kind != "spend" || !op.Amount.Equal(grant) {
		t.Errorf("line spent %s, reserved %s, op %+v; want %s spent under %s", line.Spent, line.Reserved, op, grant, p.SpendID)
	}
	if c := claimState(t, st, id); c.Status != claim.StatusPaid {
		t.Errorf("claim is %s, want paid", c.Status)
	}
	if paid, _ := checkPayments(t, svc, st, 1); !paid.Equal(grant) {
		t.Errorf("paid %s, want %s", paid, grant)
	}

	// The client's retry under its key replays; a second answer for the
	// settled payment is refused; neither appends.
	head := lastPosition(t, st)
	retry := env
	retry.ID = uuid.New()
	if again, err := ledger.RecordPaymentResult(ctx, svc, id, bankPaid(payID(0)), retry); err != nil || !again.Replayed {
		t.Errorf("retry: %+v, %v; want a replay", again, err)
	}
	var rule *domain.RuleError
	if _, err := ledger.RecordPaymentResult(ctx, svc, id, bankPaid(payID(0)), treasurerEnv()); !errors.As(err, &rule) || rule.Rule != "payment-in-flight" {
		t.Errorf("second answer: err = %v, want the payment-in-flight rule", err)
	}
	if got := lastPosition(t, st); got != head {
		t.Errorf("retries appended: log at %d, was %d", got, head)
	}
	if rep, err := ledger.ReconcileClaim(ctx, svc, id); err != nil || rep != (ledger.Repair{}) {
		t.Errorf("reconcile after payment: %+v, %v; want nothing to repair", rep, err)
	}
}

// TestFailedPaymentStaysReserved: a failed payment moves no money; the
// instalment is released again under a new payment ID and paid once.
func TestFailedPaymentStaysReserved(t *testing.T) {
	ctx := context.Background()
	st := openStore(t, t.TempDir())
	svc := paymentService(t, st)
	releasedClaims(t, svc, 10, 1)
	id := expansionClaimID(0)
	if _, err := ledger.RecordPaymentResult(ctx, svc, id, bankFailed(payID(0)), treasurerEnv()); err != nil {
		t.Fatal(err)
	}
	line := lineState(t, svc, st)
	if !line.Claims[id].Pending.Equal(grant) || !line.Spent.IsZero() || !line.Released.IsZero() {
		t.Errorf("after the failure the line holds %s, spent %s, released %s; want %s still held", line.Claims[id].Pending, line.Spent, line.Released, grant)
	}
	// The failed payment ID cannot be reused; a new one goes through.
	if _, err := ledger.ReleasePayment(ctx, svc, id, release(payID(0)), treasurerEnv()); !errors.Is(err, domain.ErrRejected) {
		t.Errorf("re-release under the failed ID: err = %v, want a refusal", err)
	}
	if _, err := ledger.ReleasePayment(ctx, svc, id, release("retry-1"), treasurerEnv()); err != nil {
		t.Fatal(err)
	}
	if _, err := ledger.RecordPaymentResult(ctx, svc, id, bankPaid("retry-1"), treasurerEnv()); err != nil {
		t.Fatal(err)
	}
	if c := claimState(t, st, id); c.Instalments[0].Attempts != 2 || c.Status != claim.StatusPaid {
		t.Errorf("claim %s after %d attempts, want paid after 2", c.Status, c.Instalments[0].Attempts)
	}
	if paid, _ := checkPayments(t, svc, st, 1); !paid.Equal(grant) {
		t.Errorf("paid %s, want %s once", paid, grant)
	}
}

// TestPaymentRefusalsChangeNothing: a wrong role, an unreleased payment and
// an undisclosed claim are refused with the claim's rule and append
// nothing anywhere.
func TestPaymentRefusalsChangeNothing(t *testing.T) {
	ctx := context.Background()
	st := openStore(t, t.TempDir())
	svc := paymentService(t, st)
	releasedClaims(t, svc, 10, 1)
	checkedClaimAt(t, svc, 1)
	head := lastPosition(t, st)
	clerk := bankPaid(payID(0))
	clerk.Role = role.Clerk
	tests := []struct {
		name string
		run  func() error
		rule string
	}{
		{"clerk records a result", func() error {
			_, err := ledger.RecordPaymentResult(ctx, svc, expansionClaimID(0), clerk, treasurerEnv())
			return err
		}, "role-treasurer"},
		{"unknown payment", func() error {
			_, err := ledger.RecordPaymentResult(ctx, svc, expansionClaimID(0), bankPaid("nope"), treasurerEnv())
			return err
		}, "payment-in-flight"},
		{"undisclosed claim", func() error {
			_, err := ledger.ReleasePayment(ctx, svc, expansionClaimID(1), release("p"), treasurerEnv())
			return err
		}, "claim-disclosed"},
	}
	for _, tt := range tests {
		var rule *domain.RuleError
		if err := tt.run(); !errors.As(err, &rule) || rule.Rule != tt.rule {
			t.Errorf("%s: err = %v, want rule %s", tt.name, err, tt.rule)
		}
	}
	if got := lastPosition(t, st); got != head {
		t.Errorf("refusals appended: log at %d, was %d", got, head)
	}
}

// checkedClaimAt checks one more claim (number n) on the same line,
// leaving it under review.
func checkedClaimAt(t testing.TB, svc *ledger.Service, n int) {
	t.Helper()
	if err := checkedClaim(context.Background(), svc, n); err != nil {
		t.Fatal(err)
	}
}

// TestPaymentResultRecordedConcurrently: 50 treasurers record the same
// successful bank answer at once, half as retries under one idempotency
// key, half as commands of their own. The claim is paid once and the line
// spends the grant exactly once.
func TestPaymentResultRecordedConcurrently(t *testing.T) {
	ctx := context.Background()
	st := openStore(t, t.TempDir())
	svc := paymentService(t, st, ledger.WithMaxAttempts(100))
	releasedClaims(t, svc, 10, 1)
	id := expansionClaimID(0)
	const n = 50
	errs := make([]error, n)
	start := make(chan struct{})
	var wg sync.WaitGroup
	for i := range n {
		env := treasurerEnv()
		if i%2 == 0 {
			env.IdempotencyKey = "bank-file-line-1"
		}
		wg.Go(func() {
			<-start
			_, errs[i] = ledger.RecordPaymentResult(ctx, svc, id, bankPaid(payID(0)), env)
		})
	}
	close(start)
	wg.Wait()
	// One answer wins. If it was under the shared key, every retry under
	// that key replays it; the other commands are refused by the claim.
	keyed, other := 0, 0
	for i, err := range errs {
		var rule *domain.RuleError
		switch {
		case err == nil && i%2 == 0:
			keyed++
		case err == nil:
			other++
		case !errors.As(err, &rule) || rule.Rule != "payment-in-flight":
			t.Errorf("answer %d: %v, want success or the payment-in-flight rule", i, err)
		}
	}
	if !(keyed == n/2 && other == 0) && !(keyed == 0 && other == 1) {
		t.Errorf("%d answers under the key and %d others accepted; want all %d keyed or exactly one other", keyed, other, n/2)
	}
	spends := 0
	for _, ev := range readStream(t, st, budget.Stream(expansionLine)) {
		if ev.Type == (budget.FundsSpent{}).EventType() {
			spends++
		}
	}
	if spends != 1 {
		t.Errorf("the line holds %d spends, want 1", spends)
	}
	if paid, _ := checkPayments(t, svc, st, 1); !paid.Equal(grant) || !lineState(t, svc, st).Spent.Equal(grant) {
		t.Errorf("paid %s, line spent %s; want %s once", paid, lineState(t, svc, st).Spent, grant)
	}
}

// The proof: 100 treasurers' "release for payment" of one claim at
// once, each a different command with its own payment ID. Exactly one
// reaches the bank; every other is refused by the claim's rule, and the
// claim is paid exactly once.
func TestReleaseForPaymentOnceOf100(t *testing.T) {
	ctx := context.Background()
	st := openStore(t, t.TempDir())
	svc := claimService(t, st)
	a := hire(hiredPerson, 1)
	id := expansionClaimID(1)
	if _, err := ledger.SubmitClaim(ctx, svc, submitExpansion(1, a), envelope("")); err != nil {
		t.Fatal(err)
	}
	checkExpansion(t, svc, id, a)
	approveExpansion(t, svc, id)
	onClaim(t, svc, id, claim.StartDisclosure{On: claimEffective, Masked: "6328**********1230", Actor: "clerk1", Role: role.Clerk, At: claimAt})
	onClaim(t, svc, id, claim.CompleteDisclosure{On: claimEffective.AddDays(7), Actor: "clerk1", Role: role.Clerk, At: claimAt})

	const n = 100
	agg := ledger.Aggregate[claim.State]{Stream: claim.Stream(id), Evolve: claim.Evolve}
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			cmd := claim.ReleasePayment{Instalment: 1, PaymentID: fmt.Sprintf("pay-%d", i), Actor: fmt.Sprintf("tre%d", i), Role: role.Treasurer, At: claimAt}
			_, errs[i] = ledger.Handle(ctx, svc, agg, ledger.Command{ID: uuid.New(), Payload: cmd},
				func(s claim.State) ([]domain.Event, error) { return claim.Decide(s, cmd) })
		})
	}
	wg.Wait()
	winner := -1
	for i, err := range errs {
		switch {
		case err == nil && winner >= 0:
			t.Fatalf("releases %d and %d both succeeded", winner, i)
		case err == nil:
			winner = i
		case !errors.Is(err, domain.ErrRejected):
			t.Fatalf("release %d: err = %v, want a refusal by the claim's rule", i, err)
		}
	}
	if winner < 0 {
		t.Fatal("no release succeeded")
	}
	released := 0
	for _, ev := range readStream(t, st, claim.Stream(id)) {
		if ev.Type == (claim.PaymentReleased{}).EventType() {
			released++
		}
	}
	if released != 1 {
		t.Fatalf("the claim stream holds %d payment releases, want 1", released)
	}

	// Only the released payment can be settled, and only once.
	paid := func(payment string) error {
		cmd := claim.RecordPaymentResult{Instalment: 1, PaymentID: payment, Paid: true, BankRef: "B-" + payment,
			On: claimEffective.AddDays(9), Actor: "tre1", Role: role.Treasurer, At: claimAt}
		_, err := ledger.Handle(ctx, svc, agg, ledger.Command{ID: uuid.New(), Payload: cmd},
			func(s claim.State) ([]domain.Event, error) { return claim.Decide(s, cmd) })
		return err
	}
	other := fmt.Sprintf("pay-%d", (winner+1)%n)
	if err := paid(other); !errors.Is(err, domain.ErrRejected) {
		t.Fatalf("settling refused payment %s: err = %v, want ErrRejected", other, err)
	}
	if err := paid(fmt.Sprintf("pay-%d", winner)); err != nil {
		t.Fatal(err)
	}
	if err := paid(fmt.Sprintf("pay-%d", winner)); !errors.Is(err, domain.ErrRejected) {
		t.Fatalf("settling the payment twice: err = %v, want ErrRejected", err)
	}
	var final claim.State
	if _, err := ledger.Handle(ctx, svc, agg, ledger.Command{ID: uuid.New()},
		func(s claim.State) ([]domain.Event, error) { final = s; return nil, nil }); err != nil {
		t.Fatal(err)
	}
	if final.Status != claim.StatusPaid || !final.Paid.Equal(grant) {
		t.Fatalf("claim %s paid %s, want paid %s exactly once", final.Status, final.Paid, grant)
	}
}
