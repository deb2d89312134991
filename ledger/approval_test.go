package ledger_test

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"

	"github.com/google/uuid"
	"github.com/shopspring/decimal"

	"github.com/haixi-hrss/fundledger/domain"
	"github.com/haixi-hrss/fundledger/domain/budget"
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
	"github.com/haixi-hrss/fundledger/ledger/codec"
)

// expansionLine is the budget line submitExpansion's claims name.
const expansionLine = "line-expansion-2025"

// grant is the seeded 2025 expansion grant every test claim is approved for.
var grant = money.MustParse("1500.00")

// times is n grants.
func times(n int64) money.Amount { return grant.MulRate(decimal.NewFromInt(n)) }

func approvalService(t testing.TB, st eventstore.Store, opts ...ledger.Option) *ledger.Service {
	t.Helper()
	c, err := codec.New(codec.Types(claim.EventTypes()), codec.Types(budget.EventTypes()), codec.Types(ledger.Records()))
	if err != nil {
		t.Fatal(err)
	}
	return ledger.New(st, c, opts...)
}

// allocate gives the expansion line grants × grant.
func allocate(ctx context.Context, svc *ledger.Service, grants int64) error {
	cmd := budget.RecordAllocation{
		AllocationID: "alloc-1", BudgetLineID: expansionLine, FundID: "fund-1", Programme: programme.Expansion,
		Region: region.Haixi, FiscalYear: programme.FiscalYear(2025), Amount: times(grants),
		Actor: "admin1", Role: role.Administrator, At: claimAt,
	}
	_, err := ledger.Handle(ctx, svc, ledger.Aggregate[budget.State]{Stream: budget.Stream(expansionLine), Evolve: budget.Evolve},
		ledger.Command{ID: uuid.New(), Payload: cmd}, func(s budget.State) ([]domain.Event, error) { return budget.Decide(s, cmd) })
	return err
}

// checkedClaim submits and checks employer i's claim for a person of its
// own, leaving it under review.
func checkedClaim(ctx context.Context, svc *ledger.Service, i int) error {
	f := hire(identity.PersonRef(fmt.Sprintf("%064x", i+1)), i)
	if _, err := ledger.SubmitClaim(ctx, svc, submitExpansion(i, f), ledger.Command{ID: uuid.New(), Actor: "clerk1", Role: role.Clerk}); err != nil {
		return err
	}
	vs, err := policy.Seed()
	if err != nil {
		return err
	}
	v, err := policy.Select(vs, programme.Expansion, claimEffective)
	if err != nil {
		return err
	}
	a, err := expansion.Assess(v, claimEffective, f)
	if err != nil {
		return err
	}
	cmd := claim.Check{Assessment: a, Policy: v, Actor: "clerk1", Role: role.Clerk, At: claimAt}
	_, err = ledger.Handle(ctx, svc, ledger.Aggregate[claim.State]{Stream: claim.Stream(expansionClaimID(i)), Evolve: claim.Evolve},
		ledger.Command{ID: uuid.New(), Payload: cmd}, func(s claim.State) ([]domain.Event, error) { return claim.Decide(s, cmd) })
	return err
}

// setUpClaims allocates grants to the line and checks claims 0..n-1, a few
// at a time.
func setUpClaims(t testing.TB, svc *ledger.Service, grants int64, n int) {
	t.Helper()
	ctx := context.Background()
	if err := allocate(ctx, svc, grants); err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	errs := make([]error, n)
	sem := make(chan struct{}, 16)
	for i := range n {
		wg.Go(func() {
			sem <- struct{}{}
			defer func() { <-sem }()
			errs[i] = checkedClaim(ctx, svc, i)
		})
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		t.Fatal(err)
	}
}

func approve(actor string) claim.Approve {
	return claim.Approve{Reason: "evidence complete", Actor: actor, Role: role.Approver, At: claimAt}
}

func approverEnv(actor string) ledger.Command {
	return ledger.Command{ID: uuid.New(), Actor: actor, Role: role.Approver}
}

func lineState(t testing.TB, svc *ledger.Service, st eventstore.Store) budget.State {
	t.Helper()
	c, err := codec.New(codec.Types(budget.EventTypes()))
	if err != nil {
		t.Fatal(err)
	}
	raw := readStream(t, st, budget.Stream(expansionLine))
	evs := make([]domain.Event, len(raw))
	for i := range raw {
		if evs[i], err = c.Decode(&raw[i]); err != nil {
			t.Fatal(err)
		}
	}
	return budget.Fold(evs)
}

func claimState(t testing.TB, st eventstore.Store, id string) claim.State {
	t.Helper()
	c, err := codec.New(codec.Types(claim.EventTypes()))
	if err != nil {
		t.Fatal(err)
	}
	var s claim.State
	for _, r := range readStream(t, st, claim.Stream(id)) {
		ev, err := c.Decode(&r)
		if err != nil {
			t.Fatal(err)
		}
		s = claim.Evolve(s, ev)
	}
	return s
}

// checkAgreement fails unless, for each of claims 0..n-1, the claim is
// approved exactly when its line holds its approved amount under the
// approval's reservation, and the line's totals add up and stay ≥ 0. It
// returns how many claims are approved.
func checkAgreement(t testing.TB, svc *ledger.Service, st eventstore.Store, n int) int {
	t.Helper()
	line := lineState(t, svc, st)
	approved := 0
	held := money.Amount{}
	for i := range n {
		id := expansionClaimID(i)
		c := claimState(t, st, id)
		pending := line.Claims[id].Pending
		held = held.Add(pending)
		if c.Status == claim.StatusApproved {
			approved++
			op, ok := line.Ops[c.ReservationID()]
			if !ok || !pending.Equal(c.Approved) || !op.Amount.Equal(c.Approved) || op.ClaimID != id {
				t.Errorf("claim %s approved for %s, line holds %s (reservation %s: %+v)", id, c.Approved, pending, c.ReservationID(), op)
			}
		} else if !pending.IsZero() {
			t.Errorf("claim %s is %s, yet the line holds %s for it", id, c.Status, pending)
		}
	}
	if !line.Reserved.Equal(held) {
		t.Errorf("line reserved %s, claims hold %s", line.Reserved, held)
	}
	if line.Available().IsNegative() || line.Reserved.IsNegative() {
		t.Errorf("line went negative: available %s, reserved %s", line.Available(), line.Reserved)
	}
	return approved
}

func TestApproveClaimReservesThenApproves(t *testing.T) {
	st := openStore(t, t.TempDir())
	svc := approvalService(t, st)
	setUpClaims(t, svc, 10, 1)
	ctx := context.Background()
	id := expansionClaimID(0)
	before := lineState(t, svc, st)

	env := approverEnv("appr1")
	env.IdempotencyKey = "approve-" + id
	res, err := ledger.ApproveClaim(ctx, svc, id, approve("appr1"), env)
	if err != nil {
		t.Fatal(err)
	}
	after := lineState(t, svc, st)
	if got := before.Available().Sub(after.Available()); !got.Equal(grant) {
		t.Errorf("available dropped by %s, want %s", got, grant)
	}
	if !after.Reserved.Equal(grant) || !after.Claims[id].Pending.Equal(grant) {
		t.Errorf("reserved %s, claim holds %s, want %s", after.Reserved, after.Claims[id].Pending, grant)
	}
	if c := claimState(t, st, id); c.Status != claim.StatusApproved || !c.Approved.Equal(grant) {
		t.Errorf("claim %s for %s, want approved for %s", c.Status, c.Approved, grant)
	}
	events := lastPosition(t, st)

	again, err := ledger.ApproveClaim(ctx, svc, id, approve("appr1"), env)
	if err != nil {
		t.Fatalf("retry: %v", err)
	}
	if !again.Replayed || again.Position != res.Position {
		t.Errorf("retry gave %+v, want a replay of position %d", again, res.Position)
	}
	// A client's retry carries a new command ID and the same key.
	retry := env
	retry.ID = uuid.New()
	if again, err := ledger.ApproveClaim(ctx, svc, id, approve("appr1"), retry); err != nil || !again.Replayed || again.Position != res.Position {
		t.Errorf("retry under the key gave %+v, %v; want a replay of position %d", again, err, res.Position)
	}
	if got := lastPosition(t, st); got != events {
		t.Errorf("retries appended: log at %d, was %d", got, events)
	}
	checkAgreement(t, svc, st, 1)
}

func TestApproveClaimRefusedReservesNothing(t *testing.T) {
	st := openStore(t, t.TempDir())
	svc := approvalService(t, st)
	setUpClaims(t, svc, 10, 1)
	lineEvents := len(readStream(t, st, budget.Stream(expansionLine)))

	// clerk1 submitted the claim: maker-checker refuses its approval.
	_, err := ledger.ApproveClaim(context.Background(), svc, expansionClaimID(0), approve("clerk1"), approverEnv("clerk1"))
	var rule *domain.RuleError
	if !errors.As(err, &rule) || rule.Rule != "maker-checker" {
		t.Fatalf("err = %v, want the maker-checker rule", err)
	}
	if got := len(readStream(t, st, budget.Stream(expansionLine))); got != lineEvents {
		t.Errorf("line has %d events after the refusal, had %d", got, lineEvents)
	}
	if c := claimState(t, st, expansionClaimID(0)); c.Status != claim.StatusChecked {
		t.Errorf("claim is %s, want still checked", c.Status)
	}
	checkAgreement(t, svc, st, 1)
}

// TestApproveClaimsConcurrently races 1,000 approvals of 1,000 claims for
// a line covering 500, the proof (about 15 s under -race on 2
// cores since budget lines fold with one copy of their maps per read).
func TestApproveClaimsConcurrently(t *testing.T) {
	const claims, covered = 1000, 500
	st := openStore(t, t.TempDir())
	svc := approvalService(t, st, ledger.WithMaxAttempts(10_000))
	setUpClaims(t, svc, covered, claims)
	ctx := context.Background()

	var wg sync.WaitGroup
	errs := make([]error, claims)
	start := make(chan struct{})
	for i := range claims {
		wg.Go(func() {
			<-start
			_, errs[i] = ledger.ApproveClaim(ctx, svc, expansionClaimID(i), approve("appr1"), approverEnv("appr1"))
		})
	}
	close(start)
	wg.Wait()

	ok, refused := 0, 0
	for i, err := range errs {
		var rule *domain.RuleError
		switch {
		case err == nil:
			ok++
		case errors.As(err, &rule) && rule.Rule == "budget-available":
			refused++
		default:
			t.Errorf("claim %d: %v", i, err)
		}
	}
	if ok != covered || refused != claims-covered {
		t.Errorf("%d approved, %d refused for lack of budget; want %d and %d", ok, refused, covered, claims-covered)
	}
	if n := checkAgreement(t, svc, st, claims); n != covered {
		t.Errorf("%d claims approved in the log, want %d", n, covered)
	}
	line := lineState(t, svc, st)
	if want := times(covered); !line.Reserved.Equal(want) || !line.Available().IsZero() {
		t.Errorf("line reserved %s, available %s; want %s and 0", line.Reserved, line.Available(), want)
	}
}
