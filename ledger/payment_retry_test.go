package ledger_test

import (
	"context"
	"testing"

	"github.com/google/uuid"

	"github.com/haixi-hrss/fundledger/domain/money"
	"github.com/haixi-hrss/fundledger/ledger"
)

// TestPaymentStepsRetriedByKeyMoveNoMoney: the claim steps that move money
// after the claim event (RecordPaymentResult, RecordClawback) check their
// idempotency key before any budget step, so a retry by key after the
// claim moved on replays the first result and a key reused with other
// input is refused; neither moves money or appends.
func TestPaymentStepsRetriedByKeyMoveNoMoney(t *testing.T) {
	ctx := context.Background()
	st := openStore(t, t.TempDir())
	svc := paymentService(t, st)
	releasedClaims(t, svc, 10, 1)
	id := expansionClaimID(0)
	paidEnv := treasurerEnv()
	paidEnv.IdempotencyKey = "bank-answer-1"
	paid, err := ledger.RecordPaymentResult(ctx, svc, id, bankPaid(payID(0)), paidEnv)
	if err != nil {
		t.Fatal(err)
	}
	firstEnv := treasurerEnv()
	firstEnv.IdempotencyKey = "clawback-r1"
	first, err := ledger.RecordClawback(ctx, svc, id, clawback("r1", "500.00"), firstEnv)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := ledger.RecordClawback(ctx, svc, id, clawback("r2", "300.00"), treasurerEnv()); err != nil {
		t.Fatal(err)
	}
	head, before := lastPosition(t, st), lineState(t, svc, st)

	retry := func(env ledger.Command) ledger.Command {
		env.ID = uuid.New()
		return env
	}
	if again, err := ledger.RecordPaymentResult(ctx, svc, id, bankPaid(payID(0)), retry(paidEnv)); err != nil || !again.Replayed || again.Position != paid.Position {
		t.Errorf("bank answer retried: %+v, %v; want a replay of position %d", again, err, paid.Position)
	}
	if again, err := ledger.RecordClawback(ctx, svc, id, clawback("r1", "500.00"), retry(firstEnv)); err != nil || !again.Replayed || again.Position != first.Position {
		t.Errorf("clawback retried: %+v, %v; want a replay of position %d", again, err, first.Position)
	}
	_, err = ledger.RecordClawback(ctx, svc, id, clawback("r3", "100.00"), retry(firstEnv))
	wantMismatch(t, err, firstEnv.IdempotencyKey)

	if got := lastPosition(t, st); got != head {
		t.Errorf("retries appended: log at %d, was %d", got, head)
	}
	after := lineState(t, svc, st)
	if !after.Spent.Equal(before.Spent) || !after.Recovered.Equal(before.Recovered) || !after.Recovered.Equal(money.MustParse("800.00")) {
		t.Errorf("line spent %s, recovered %s; was %s and %s (800.00 recovered)", after.Spent, after.Recovered, before.Spent, before.Recovered)
	}
	checkPayments(t, svc, st, 1)
}
