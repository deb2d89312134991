package claim

import (
	"testing"

	"github.com/haixi-hrss/fundledger/domain"
	"github.com/haixi-hrss/fundledger/domain/money"
	"github.com/haixi-hrss/fundledger/domain/programme"
	"github.com/haixi-hrss/fundledger/domain/role"
)

func TestPaidAtMostOnce(t *testing.T) {
	l := disclosedLog(t, programme.StartUp, "5000")
	_, err := l.Do(ReleasePayment{Instalment: 1, PaymentID: "p1", Actor: "appr1", Role: role.Approver, At: at})
	wantRule(t, err, domain.ErrRejected, "role-treasurer")
	l.Must(release(1, "p1"))
	_, err = l.Do(release(1, "p2"))
	wantRule(t, err, domain.ErrRejected, "instalment-payable")
	_, err = l.Do(paid(1, "p0"))
	wantRule(t, err, domain.ErrRejected, "payment-in-flight")
	events := l.Must(paid(1, "p1"))
	if p := events[0].(*InstalmentPaid); !p.Amount.Equal(money.Yuan(5000)) || p.PaymentID != "p1" || p.SpendID != "c1/spend/p1" || p.BudgetLineID != "line1" {
		t.Fatalf("ClaimInstalmentPaid = %+v", p)
	}
	wantStatus(t, l.State, StatusPaid)
	_, err = l.Do(paid(1, "p1"))
	wantRule(t, err, domain.ErrRejected, "payment-in-flight")
	_, err = l.Do(release(1, "p3"))
	wantRule(t, err, domain.ErrRejected, "claim-disclosed")
	if !l.State.Paid.Equal(l.State.Approved) {
		t.Fatalf("paid %s, approved %s", l.State.Paid, l.State.Approved)
	}
}

func TestFailedPaymentRetriedOrCancelled(t *testing.T) {
	l := disclosedLog(t, programme.StartUp, "5000")
	l.Must(release(1, "p1"))
	_, err := l.Do(Cancel{Reason: "applicant withdrew", Actor: "tre1", Role: role.Treasurer, At: at})
	wantRule(t, err, domain.ErrRejected, "no-payment-in-flight")
	noReason := failed(1, "p1")
	noReason.Reason = ""
	_, err = l.Do(noReason)
	wantRule(t, err, domain.ErrInvalid, "required")
	l.Must(failed(1, "p1"))
	_, err = l.Do(release(1, "p1"))
	wantRule(t, err, domain.ErrRejected, "payment-id-unique")
	l.Must(release(1, "p2"))
	l.Must(failed(1, "p2"))
	if in := l.State.Instalments[0]; in.Attempts != 2 || in.Status != InstalmentFailed {
		t.Fatalf("instalment after two failures: %+v", in)
	}
	events := l.Must(Cancel{Reason: "bank account cannot be fixed", Actor: "tre1", Role: role.Treasurer, At: at})
	if c := events[0].(*Cancelled); !c.Release.Equal(money.Yuan(5000)) || c.ReleaseID != "c1/cancel" {
		t.Fatalf("cancellation releases %s under %s", c.Release, c.ReleaseID)
	}
	wantStatus(t, l.State, StatusCancelled)
	if l.State.Instalments[0].Status != InstalmentCancelled || !l.State.Payable.IsZero() {
		t.Fatalf("after cancel: %+v, payable %s", l.State.Instalments[0], l.State.Payable)
	}
	_, err = l.Do(release(1, "p3"))
	wantRule(t, err, domain.ErrRejected, "claim-disclosed")
}

func TestMonthlyInstalmentsEachPaidOnce(t *testing.T) {
	l := disclosedLog(t, programme.Absorption, "2437.20", months(3, "812.40")...)
	for n := 1; n <= 2; n++ {
		id := "p" + string(rune('0'+n))
		l.Must(release(n, id))
		l.Must(paid(n, id))
	}
	_, err := l.Do(release(2, "p9"))
	wantRule(t, err, domain.ErrRejected, "instalment-payable")
	_, err = l.Do(release(4, "p4"))
	wantRule(t, err, domain.ErrInvalid, "instalment-number")
	wantStatus(t, l.State, StatusDisclosed)
	events := l.Must(Cancel{Reason: "employee left", Actor: "appr1", Role: role.Approver, At: at})
	if c := events[0].(*Cancelled); !c.Release.Equal(money.MustParse("812.40")) {
		t.Fatalf("cancelling after two of three months releases %s, want 812.40", c.Release)
	}
	if !l.State.Paid.Equal(money.MustParse("1624.80")) || !l.State.Payable.Equal(l.State.Paid) {
		t.Fatalf("paid %s, payable %s", l.State.Paid, l.State.Payable)
	}
}

func TestClawbackAtMostPaid(t *testing.T) {
	l := disclosedLog(t, programme.StartUp, "5000")
	claw := func(id, amount string) RecordClawback {
		return RecordClawback{RecoveryID: id, Amount: money.MustParse(amount), Reason: Fraudulent, Detail: "business never operated",
			On: monday.AddDays(30), Actor: "tre1", Role: role.Treasurer, At: at}
	}
	_, err := l.Do(claw("k1", "0.01"))
	wantRule(t, err, domain.ErrRejected, "recovered-within-paid")
	l.Must(release(1, "p1"))
	l.Must(paid(1, "p1"))
	_, err = l.Do(claw("k1", "5000.01"))
	wantRule(t, err, domain.ErrRejected, "recovered-within-paid")
	if k := l.Must(claw("k1", "3000"))[0].(*ClawedBack); k.RecoverID != "c1/recover/k1" {
		t.Fatalf("recovery is credited under %s, want the claim-scoped c1/recover/k1", k.RecoverID)
	}
	_, err = l.Do(claw("k1", "1"))
	wantRule(t, err, domain.ErrRejected, "recovery-id-unique")
	_, err = l.Do(claw("k2", "2000.01"))
	wantRule(t, err, domain.ErrRejected, "recovered-within-paid")
	l.Must(claw("k2", "2000.00"))
	if !l.State.Recovered.Equal(l.State.Paid) {
		t.Fatalf("recovered %s, paid %s", l.State.Recovered, l.State.Paid)
	}
	bad := claw("k3", "1")
	bad.Reason = "late"
	_, err = l.Do(bad)
	wantRule(t, err, domain.ErrInvalid, "clawback-reason")
	clerk := claw("k3", "1")
	clerk.Role = role.Clerk
	_, err = l.Do(clerk)
	wantRule(t, err, domain.ErrRejected, "role-treasurer")
}
