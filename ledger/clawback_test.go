package ledger_test

import (
	"context"
	"errors"
	"testing"

	"github.com/haixi-hrss/fundledger/domain"
	"github.com/haixi-hrss/fundledger/domain/claim"
	"github.com/haixi-hrss/fundledger/domain/money"
	"github.com/haixi-hrss/fundledger/domain/role"
	"github.com/haixi-hrss/fundledger/ledger"
)

func clawback(recovery, amount string) claim.RecordClawback {
	return claim.RecordClawback{RecoveryID: recovery, Amount: money.MustParse(amount), Reason: claim.Fraudulent,
		Detail: "contract forged (inspection report 2025-17)", On: claimEffective.AddDays(60), Actor: "tre1", Role: role.Treasurer, At: claimAt}
}

// TestClawbackCreditsTheLine: money recovered from a paid claim is
// credited back to its line under the event's RecoverID, never more than
// was paid, and a repeat credits nothing.
func TestClawbackCreditsTheLine(t *testing.T) {
	ctx := context.Background()
	st := openStore(t, t.TempDir())
	svc := paymentService(t, st)
	releasedClaims(t, svc, 10, 1)
	id := expansionClaimID(0)
	if _, err := ledger.RecordPaymentResult(ctx, svc, id, bankPaid(payID(0)), treasurerEnv()); err != nil {
		t.Fatal(err)
	}
	env := treasurerEnv()
	res, err := ledger.RecordClawback(ctx, svc, id, clawback("r1", "1000.00"), env)
	if err != nil {
		t.Fatal(err)
	}
	cb := res.Events[0].(*claim.ClawedBack)
	line := lineState(t, svc, st)
	if op := line.Ops[cb.RecoverID]; !line.Recovered.Equal(money.MustParse("1000.00")) || op.Kind != "recover" || !line.Available().Equal(times(9).Add(money.MustParse("1000.00"))) {
		t.Errorf("line recovered %s, available %s, op %+v", line.Recovered, line.Available(), op)
	}
	if _, rec := checkPayments(t, svc, st, 1); !rec.Equal(money.MustParse("1000.00")) {
		t.Errorf("recovered %s, want 1000.00", rec)
	}

	head := lastPosition(t, st)
	if again, err := ledger.RecordClawback(ctx, svc, id, clawback("r1", "1000.00"), env); err != nil || !again.Replayed {
		t.Errorf("retry: %+v, %v; want a replay", again, err)
	}
	var rule *domain.RuleError
	if _, err := ledger.RecordClawback(ctx, svc, id, clawback("r1", "1000.00"), treasurerEnv()); !errors.As(err, &rule) || rule.Rule != "recovery-id-unique" {
		t.Errorf("same recovery again: err = %v, want recovery-id-unique", err)
	}
	if _, err := ledger.RecordClawback(ctx, svc, id, clawback("r2", "500.01"), treasurerEnv()); !errors.As(err, &rule) || rule.Rule != "recovered-within-paid" {
		t.Errorf("recovering more than paid: err = %v, want recovered-within-paid", err)
	}
	bad := clawback("r3", "1.00")
	bad.Role = role.Approver
	if _, err := ledger.RecordClawback(ctx, svc, id, bad, treasurerEnv()); !errors.As(err, &rule) || rule.Rule != "role-treasurer" {
		t.Errorf("approver records a clawback: err = %v, want role-treasurer", err)
	}
	if got := lastPosition(t, st); got != head {
		t.Errorf("refusals and retries appended: log at %d, was %d", got, head)
	}
	// The rest is recovered exactly.
	if _, err := ledger.RecordClawback(ctx, svc, id, clawback("r2", "500.00"), treasurerEnv()); err != nil {
		t.Fatal(err)
	}
	if _, rec := checkPayments(t, svc, st, 1); !rec.Equal(grant) {
		t.Errorf("recovered %s, want all of %s", rec, grant)
	}
}

// TestClawbackOfUnpaidClaimIsRefused: nothing paid, nothing to recover.
func TestClawbackOfUnpaidClaimIsRefused(t *testing.T) {
	st := openStore(t, t.TempDir())
	svc := paymentService(t, st)
	releasedClaims(t, svc, 10, 1)
	head := lastPosition(t, st)
	var rule *domain.RuleError
	if _, err := ledger.RecordClawback(context.Background(), svc, expansionClaimID(0), clawback("r1", "1.00"), treasurerEnv()); !errors.As(err, &rule) || rule.Rule != "recovered-within-paid" {
		t.Errorf("err = %v, want recovered-within-paid", err)
	}
	if got := lastPosition(t, st); got != head {
		t.Errorf("the refusal appended: log at %d, was %d", got, head)
	}
}
