package main

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/haixi-hrss/fundledger/api/auth"
	"github.com/haixi-hrss/fundledger/domain"
	"github.com/haixi-hrss/fundledger/domain/budget"
	"github.com/haixi-hrss/fundledger/domain/calendar"
	"github.com/haixi-hrss/fundledger/domain/claim"
	"github.com/haixi-hrss/fundledger/domain/expansion"
	"github.com/haixi-hrss/fundledger/domain/identity"
	"github.com/haixi-hrss/fundledger/domain/money"
	"github.com/haixi-hrss/fundledger/domain/policy"
	"github.com/haixi-hrss/fundledger/domain/programme"
	"github.com/haixi-hrss/fundledger/domain/region"
	"github.com/haixi-hrss/fundledger/domain/role"
	"github.com/haixi-hrss/fundledger/eventstore"
	"github.com/haixi-hrss/fundledger/ledger"
	"github.com/haixi-hrss/fundledger/ledger/datadir"
	"github.com/haixi-hrss/fundledger/ledger/schema"
)

var errCutOff = errors.New("process killed here")

// claimAppendsFail is a store whose appends to one stream fail, standing
// in for a process killed between an approval's reservation and the
// approval itself.
type claimAppendsFail struct {
	eventstore.Store
	stream string
}

func (s claimAppendsFail) Append(ctx context.Context, stream string, expected eventstore.ExpectedVersion, events ...eventstore.EventData) (eventstore.AppendResult, error) {
	if stream == s.stream {
		return eventstore.AppendResult{}, errCutOff
	}
	return s.Store.Append(ctx, stream, expected, events...)
}

const recoveryLine = "line-expansion-632801-2025"

// interruptedApproval makes a ledger in dir whose claim exp-1 is checked
// and whose budget line holds its reservation, but whose approval was cut
// off before the claim recorded it.
func interruptedApproval(t *testing.T, dir string) {
	t.Helper()
	ctx := context.Background()
	clock := time.Date(2025, 3, 3, 1, 0, 0, 0, time.UTC)
	l := testLedger(t, dir, &clock)
	defer l.Close()
	publishSeedPolicies(t, l)
	alloc := budget.RecordAllocation{AllocationID: "alloc-1", BudgetLineID: recoveryLine, FundID: "f1", Programme: programme.Expansion,
		Region: region.Golmud, FiscalYear: 2025, Amount: money.MustParse("15000.00"), Actor: "admin-1", Role: role.Administrator, At: clock}
	if _, err := ledger.Handle(ctx, l.Service, schema.BudgetLine(recoveryLine), ledger.Command{ID: uuid.New(), Name: "RecordAllocation", Payload: alloc},
		func(s budget.State) ([]domain.Event, error) { return budget.Decide(s, alloc) }); err != nil {
		t.Fatal(err)
	}
	body := "91632801MA0000001"
	c, _ := identity.CreditCheckChar(body)
	facts := expansion.Facts{Person: identity.PersonRef(strings.Repeat("3f", 32)), Employer: identity.CreditCode(body + string(c)),
		Group: expansion.Graduate, GraduationDate: calendar.MustParse("2024-06-30"), RegularDegreeCourse: true,
		ContractDate: calendar.MustParse("2025-03-01"), InsuredMonthsUnemployment: 3, InsuredMonthsWorkInjury: 3, InsuredMonthsPension: 3,
		InsuredAtCheck: true}
	effective := calendar.MustParse("2025-03-03")
	submit := claim.Submit{ClaimID: "exp-1", Programme: programme.Expansion, Beneficiary: claim.Beneficiary{Kind: claim.Employer, Ref: string(facts.Employer)},
		Region: region.Golmud, BudgetLineID: recoveryLine, EffectiveDate: effective, UniquenessKeys: expansion.Keys(facts),
		Actor: "clerk-1", Role: role.Clerk, At: clock}
	if _, err := ledger.SubmitClaim(ctx, l.Service, submit, ledger.Command{ID: uuid.New(), Actor: "clerk-1", Role: role.Clerk}); err != nil {
		t.Fatal(err)
	}
	versions, err := policy.Seed()
	if err != nil {
		t.Fatal(err)
	}
	v, err := policy.Select(versions, programme.Expansion, effective)
	if err != nil {
		t.Fatal(err)
	}
	a, err := expansion.Assess(v, effective, facts)
	if err != nil {
		t.Fatal(err)
	}
	check := claim.Check{Assessment: a, Policy: v, Actor: "clerk-1", Role: role.Clerk, At: clock}
	if _, err := ledger.Handle(ctx, l.Service, schema.Claim("exp-1"), ledger.Command{ID: uuid.New(), Name: "CheckClaim", Payload: check},
		func(s claim.State) ([]domain.Event, error) { return claim.Decide(s, check) }); err != nil {
		t.Fatal(err)
	}

	cut := ledger.New(claimAppendsFail{Store: l.Store, stream: claim.Stream("exp-1")}, l.Codec)
	approve := claim.Approve{Reason: "evidence complete", Actor: "approver-1", Role: role.Approver, At: clock}
	if _, err := ledger.ApproveClaim(ctx, cut, "exp-1", approve, ledger.Command{ID: uuid.New(), Actor: "approver-1", Role: role.Approver}); !errors.Is(err, errCutOff) {
		t.Fatalf("approval: %v, want it cut off", err)
	}
	st, line := foldRecovery(t, l)
	if st.Status != claim.StatusChecked || !line.Claims["exp-1"].Pending.Equal(money.MustParse("1500.00")) {
		t.Fatalf("after the cut: claim %s, line holds %s; want checked and 1500.00", st.Status, line.Claims["exp-1"].Pending)
	}
}

// foldRecovery folds claim exp-1 and its budget line.
func foldRecovery(t *testing.T, l *datadir.Ledger) (claim.State, budget.State) {
	t.Helper()
	st := fold(t, l.Store, schema.Claim("exp-1"))
	return st, fold(t, l.Store, schema.BudgetLine(recoveryLine))
}

func fold[S any](t *testing.T, store eventstore.Store, agg ledger.Aggregate[S]) S {
	t.Helper()
	evs, err := store.ReadStream(context.Background(), agg.Stream, 0, 0)
	if err != nil {
		t.Fatal(err)
	}
	st := agg.Initial
	c := schema.Codec()
	for i := range evs {
		ev, err := c.Decode(&evs[i])
		if err != nil {
			t.Fatal(err)
		}
		st = agg.Evolve(st, ev)
	}
	return st
}

// TestServeReconcilesBeforeReady: serve, started on a ledger where an
// approval was cut off after its reservation, completes the approval
// before /readyz first answers 200, and logs the repair. /readyz is polled
// from the moment serve starts, so an answer before the repair would
// find the claim still checked.
func TestServeReconcilesBeforeReady(t *testing.T) {
	dir := t.TempDir()
	interruptedApproval(t, dir)
	if _, _, err := auth.Create(filepath.Join(dir, auth.DefaultFile), "auditor-1", role.Auditor, time.Now()); err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()

	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	stdout, stderr := &syncBuffer{}, &syncBuffer{}
	done := make(chan int, 1)
	go func() { done <- run(ctx, []string{"serve", "--addr", addr, "--data", dir}, stdout, stderr) }()

	client := &http.Client{Timeout: 5 * time.Second}
	ready := false
	for deadline := time.Now().Add(30 * time.Second); !ready && time.Now().Before(deadline); {
		select {
		case code := <-done:
			t.Fatalf("serve exited %d:\n%s", code, stderr.String())
		default:
		}
		resp, err := client.Get(fmt.Sprintf("http://%s/readyz", addr))
		if err != nil {
			time.Sleep(2 * time.Millisecond)
			continue
		}
		resp.Body.Close()
		ready = resp.StatusCode == http.StatusOK
	}
	if !ready {
		t.Fatalf("serve never became ready:\n%s", stderr.String())
	}
	store, _, err := openReadOnly(context.Background(), dir, "", nil)
	if err != nil {
		t.Fatal(err)
	}
	st := fold(t, store, schema.Claim("exp-1"))
	line := fold(t, store, schema.BudgetLine(recoveryLine))
	store.Close()
	if st.Status != claim.StatusApproved || len(st.Approvals) != 1 || st.Approvals[0].Actor != "approver-1" {
		t.Errorf("when /readyz first said ready: claim %s, approvals %+v; want approved by approver-1", st.Status, st.Approvals)
	}
	if ops := len(line.Ops); !line.Claims["exp-1"].Pending.Equal(money.MustParse("1500.00")) || ops != 2 {
		t.Errorf("line holds %s for the claim in %d operations; want the one reservation of 1500.00 kept", line.Claims["exp-1"].Pending, ops)
	}
	logs := stderr.String()
	if !strings.Contains(logs, `"msg":"claim repaired","claim":"exp-1"`) || !strings.Contains(logs, `"completed":1`) {
		t.Errorf("the repair is not logged:\n%s", logs)
	}
	cancel()
	if code := <-done; code != exitOK {
		t.Fatalf("serve exited %d:\n%s", code, stderr.String())
	}
}
