package ledger_test

import (
	"context"
	"sync"
	"testing"

	"github.com/haixi-hrss/fundledger/domain/budget"
	"github.com/haixi-hrss/fundledger/domain/claim"
	"github.com/haixi-hrss/fundledger/domain/money"
	"github.com/haixi-hrss/fundledger/ledger"
)

// TestMoneyMovesWithTheClaimInOneCommit: on a store that appends to
// several streams at once, a keyed payment result records the key's
// claim, the payment and the spend it calls for in one commit, in that
// order, the spend naming the payment as its cause; a keyed clawback
// records its key, itself and its recovery likewise. Retries replay and
// append nothing.
func TestMoneyMovesWithTheClaimInOneCommit(t *testing.T) {
	ctx := context.Background()
	m := &multiStore{MultiAppender: openStore(t, t.TempDir())}
	svc := paymentService(t, m)
	releasedClaims(t, svc, 10, 1)
	id := expansionClaimID(0)
	line := budget.Stream(expansionLine)

	steps := []struct {
		name    string
		run     func(env ledger.Command) (ledger.Result, error)
		claimEv string
		lineEv  string
		withKey bool
	}{
		{"payment", func(env ledger.Command) (ledger.Result, error) {
			return ledger.RecordPaymentResult(ctx, svc, id, bankPaid(payID(0)), env)
		}, "ClaimInstalmentPaid", "FundsSpent", true},
		{"clawback", func(env ledger.Command) (ledger.Result, error) {
			return ledger.RecordClawback(ctx, svc, id, clawback("r1", "1000.00"), env)
		}, "ClaimClawedBack", "FundsRecovered", true},
	}
	for _, step := range steps {
		env := treasurerEnv()
		if step.withKey {
			env.IdempotencyKey = step.name + "-" + id
		}
		appends, multis := m.appends.Load(), m.multis.Load()
		res, err := step.run(env)
		if err != nil {
			t.Fatalf("%s: %v", step.name, err)
		}
		if a, n := m.appends.Load()-appends, m.multis.Load()-multis; a != 0 || n != 1 {
			t.Errorf("%s: %d appends and %d multi-stream appends, want one commit", step.name, a, n)
		}
		recorded := readStream(t, m, claim.Stream(id))[res.FirstVersion]
		moved := readStream(t, m, line)
		money := moved[len(moved)-1]
		if recorded.Type != step.claimEv || money.Type != step.lineEv || money.Position != recorded.Position+1 {
			t.Errorf("%s: %s at %d and %s at %d, want %s then %s side by side", step.name,
				recorded.Type, recorded.Position, money.Type, money.Position, step.claimEv, step.lineEv)
		}
		if money.Metadata.CausationID != recorded.ID.String() {
			t.Errorf("%s: the line's %s names cause %s, want the claim's event %s", step.name, money.Type, money.Metadata.CausationID, recorded.ID)
		}
		if step.withKey {
			key := readStream(t, m, ledger.IdempotencyStream(env.IdempotencyKey))
			if len(key) != 1 || key[0].Position+1 != recorded.Position {
				t.Errorf("%s: the key's claim is not in the commit, just before the payment", step.name)
			}
		}
		head := lastPosition(t, m)
		if again, err := step.run(env); err != nil || !again.Replayed || again.Position != res.Position {
			t.Errorf("%s again: %+v, %v; want the first result replayed", step.name, again, err)
		}
		if got := lastPosition(t, m); got != head {
			t.Errorf("%s again appended: log at %d, was %d", step.name, got, head)
		}
		checkPayments(t, svc, m, 1)
	}
}

// TestMoneyMovesAfterTheClaimWithoutMultiAppends: on a store without
// multi-stream appends (KurrentDB's adapter) the payment is appended
// first and its spend after it, two appends.
func TestMoneyMovesAfterTheClaimWithoutMultiAppends(t *testing.T) {
	ctx := context.Background()
	p := &plainStore{Store: openStore(t, t.TempDir())}
	svc := paymentService(t, p)
	releasedClaims(t, svc, 10, 1)
	before := p.appends.Load()
	if _, err := ledger.RecordPaymentResult(ctx, svc, expansionClaimID(0), bankPaid(payID(0)), treasurerEnv()); err != nil {
		t.Fatal(err)
	}
	if n := p.appends.Load() - before; n != 2 {
		t.Errorf("%d appends for a payment result, want the payment and then the spend", n)
	}
	checkPayments(t, svc, p, 1)
}

// TestOneClaimTwiceInOneLineBatch: two clawbacks of one claim and an
// approval of another queue for one budget line behind a third command,
// and are combined into one line append. The second clawback's claim part
// names the claim's stream again, which one commit cannot hold twice: it
// is taken out and decided again on the claim as the first leaves it,
// and the others commit unharmed. The claim and the line agree on the
// 900.00 recovered.
func TestOneClaimTwiceInOneLineBatch(t *testing.T) {
	ctx := context.Background()
	g := gatedLine(t)
	svc := paymentService(t, g)
	releasedClaims(t, svc, 10, 1)
	id := expansionClaimID(0)
	if _, err := ledger.RecordPaymentResult(ctx, svc, id, bankPaid(payID(0)), treasurerEnv()); err != nil {
		t.Fatal(err)
	}
	for i := 1; i <= 2; i++ {
		if err := checkedClaim(ctx, svc, i); err != nil {
			t.Fatal(err)
		}
	}
	holder := holdLine(ctx, g, svc, 2)
	errs := make([]error, 3)
	var wg sync.WaitGroup
	wg.Go(func() { _, errs[0] = ledger.RecordClawback(ctx, svc, id, clawback("r1", "500.00"), treasurerEnv()) })
	wg.Go(func() { _, errs[1] = ledger.RecordClawback(ctx, svc, id, clawback("r2", "400.00"), treasurerEnv()) })
	wg.Go(func() {
		_, errs[2] = ledger.ApproveClaim(ctx, svc, expansionClaimID(1), approve("appr1"), approverEnv("appr1"))
	})
	waitQueued(t, svc, g, 3)
	close(g.release)
	wg.Wait()
	if err := <-holder; err != nil {
		t.Fatal(err)
	}
	for i, err := range errs {
		if err != nil {
			t.Errorf("command %d: %v", i, err)
		}
	}
	c, line := claimState(t, g, id), lineState(t, svc, g)
	if !c.Recovered.Equal(line.Recovered) || !c.Recovered.Equal(money.MustParse("900.00")) {
		t.Errorf("claim recovered %s, line %s; want 900.00 both", c.Recovered, line.Recovered)
	}
	if approved := checkAgreement(t, svc, g, 3); approved != 2 {
		t.Errorf("%d claims approved, want claims 1 and 2", approved)
	}
}
