package ledger_test

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/haixi-hrss/fundledger/domain"
	"github.com/haixi-hrss/fundledger/domain/budget"
	"github.com/haixi-hrss/fundledger/eventstore"
	"github.com/haixi-hrss/fundledger/ledger"
)

// The bench's finding: 64 treasurers settling 64 different claims on one
// county line at once. Two services share the store, as two server
// processes would, each with only 2 attempts per command: within a
// service the line's writers queue, between the services they collide at
// the store's expected version. Every payment is recorded on its claim
// before its spend, so no call may answer a conflict; each must succeed,
// with the line's spend the sum of the payments and no claim left
// unfinished for a restart to reconcile.
func TestSettleManyClaimsOnOneLineConcurrently(t *testing.T) {
	const n = 64
	ctx := context.Background()
	st := openStore(t, t.TempDir())
	releasedClaims(t, paymentService(t, st), n, n)
	services := []*ledger.Service{
		paymentService(t, st, ledger.WithMaxAttempts(2)),
		paymentService(t, st, ledger.WithMaxAttempts(2)),
	}
	// Both services start from a cached fold of the line that the other
	// will make stale.
	for _, svc := range services {
		if _, err := ledger.ReconcileClaim(ctx, svc, expansionClaimID(0)); err != nil {
			t.Fatal(err)
		}
	}
	errs := make([]error, n)
	start := make(chan struct{})
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			<-start
			_, errs[i] = ledger.RecordPaymentResult(ctx, services[i%2], expansionClaimID(i), bankPaid(payID(i)), treasurerEnv())
		})
	}
	close(start)
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Errorf("settling claim %d: %v", i, err)
		}
	}
	paid, _ := checkPayments(t, services[0], st, n)
	if want := times(n); !paid.Equal(want) || !lineState(t, services[0], st).Spent.Equal(want) {
		t.Errorf("claims paid %s, line spent %s; want %s", paid, lineState(t, services[0], st).Spent, want)
	}
	if left := unfinishedClaims(t, st); len(left) > 0 {
		t.Errorf("claims left for reconciliation: %v", left)
	}
}

// A spend that cannot be made before the caller gives up is reported as
// pending, not as a conflict: the payment is recorded, and reconciliation
// later spends it.
func TestSettleStepPendingIsNotAConflict(t *testing.T) {
	ctx := context.Background()
	st := openStore(t, t.TempDir())
	releasedClaims(t, paymentService(t, st), 1, 1)
	line := budget.Stream(expansionLine)
	beaten := &faultyStore{Store: st, fail: func(stream string) error {
		if stream == line {
			return eventstore.ErrConcurrency
		}
		return nil
	}}
	svc := paymentService(t, beaten)
	short, cancel := context.WithTimeout(ctx, 50*time.Millisecond)
	defer cancel()
	_, err := ledger.RecordPaymentResult(short, svc, expansionClaimID(0), bankPaid(payID(0)), treasurerEnv())
	var pending *ledger.StepPendingError
	if !errors.As(err, &pending) || !errors.Is(err, ledger.ErrStepPending) || errors.Is(err, ledger.ErrConflict) {
		t.Fatalf("settle with the line always beaten: %v, want a *StepPendingError that is not ErrConflict", err)
	}
	if got := claimState(t, st, expansionClaimID(0)).Paid; !got.Equal(grant) {
		t.Fatalf("claim paid %s, want the recorded %s", got, grant)
	}
	if left := unfinishedClaims(t, st); len(left) != 1 {
		t.Fatalf("unfinished claims %v, want the one whose spend is pending", left)
	}
	rep, err := ledger.ReconcileClaim(ctx, paymentService(t, st), expansionClaimID(0))
	if err != nil || !rep.Spent {
		t.Fatalf("reconcile: %+v, %v; want the spend made", rep, err)
	}
	checkPayments(t, svc, st, 1)
	if left := unfinishedClaims(t, st); len(left) > 0 {
		t.Errorf("claims left for reconciliation after it: %v", left)
	}
}

// Each service's cached fold of the line goes stale as soon as the other
// service reserves; a service deciding on its cache alone would
// over-reserve. 40 approvals on two services whose caches were warmed
// before any of them, against a budget for 20: exactly 20 are approved,
// the rest refused for lack of budget, and the line holds what the claims
// say.
func TestApprovalsOnTwoServicesNeverOverReserve(t *testing.T) {
	const claims, covered = 40, 20
	ctx := context.Background()
	st := openStore(t, t.TempDir())
	setUpClaims(t, approvalService(t, st), covered, claims)
	services := []*ledger.Service{
		approvalService(t, st, ledger.WithMaxAttempts(1000)),
		approvalService(t, st, ledger.WithMaxAttempts(1000)),
	}
	for _, svc := range services {
		if _, err := ledger.ReconcileClaim(ctx, svc, expansionClaimID(0)); err != nil {
			t.Fatal(err)
		}
	}
	errs := make([]error, claims)
	start := make(chan struct{})
	var wg sync.WaitGroup
	for i := range claims {
		wg.Go(func() {
			<-start
			_, errs[i] = ledger.ApproveClaim(ctx, services[i%2], expansionClaimID(i), approve("appr1"), approverEnv("appr1"))
		})
	}
	close(start)
	wg.Wait()
	ok := 0
	for i, err := range errs {
		var rule *domain.RuleError
		switch {
		case err == nil:
			ok++
		case errors.As(err, &rule) && rule.Rule == "budget-available":
		default:
			t.Errorf("claim %d: %v", i, err)
		}
	}
	if ok != covered {
		t.Errorf("%d approved, want %d", ok, covered)
	}
	if n := checkAgreement(t, services[0], st, claims); n != covered {
		t.Errorf("%d claims approved in the log, want %d", n, covered)
	}
}
