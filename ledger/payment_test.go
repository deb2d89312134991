package ledger_test

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"

	"github.com/google/uuid"

	"github.com/haixi-hrss/fundledger/domain"
	"github.com/haixi-hrss/fundledger/domain/claim"
	"github.com/haixi-hrss/fundledger/domain/role"
	"github.com/haixi-hrss/fundledger/ledger"
)

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
