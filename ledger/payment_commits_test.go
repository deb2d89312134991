package ledger_test

import (
	"context"
	"testing"

	"github.com/haixi-hrss/fundledger/domain/budget"
	"github.com/haixi-hrss/fundledger/domain/claim"
	"github.com/haixi-hrss/fundledger/ledger"
)

// TestMoneyMovesWithTheClaimInOneCommit: on a store that appends to
// several streams at once, a keyed payment result records the key's
// claim, the payment and the spend it calls for in one commit, in that
// order, the spend naming the payment as its cause; a clawback records
// itself and its recovery likewise. Retries replay and append nothing.
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
		}, "ClaimClawedBack", "FundsRecovered", false},
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
