package ledger_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/haixi-hrss/fundledger/domain"
	"github.com/haixi-hrss/fundledger/domain/calendar"
	"github.com/haixi-hrss/fundledger/domain/claim"
	"github.com/haixi-hrss/fundledger/domain/expansion"
	"github.com/haixi-hrss/fundledger/domain/identity"
	"github.com/haixi-hrss/fundledger/domain/money"
	"github.com/haixi-hrss/fundledger/domain/programme"
	"github.com/haixi-hrss/fundledger/domain/region"
	"github.com/haixi-hrss/fundledger/domain/role"
	"github.com/haixi-hrss/fundledger/domain/uniqueness"
	"github.com/haixi-hrss/fundledger/eventstore"
	"github.com/haixi-hrss/fundledger/ledger"
	"github.com/haixi-hrss/fundledger/ledger/codec"
)

var (
	claimAt        = time.Date(2025, 3, 3, 9, 0, 0, 0, time.UTC)
	claimEffective = calendar.MustParse("2025-03-03")
	hiredPerson    = identity.PersonRef(strings.Repeat("3f", 32))
)

func claimService(t testing.TB, st eventstore.Store) *ledger.Service {
	t.Helper()
	c, err := codec.New(codec.Types(claim.EventTypes()), codec.Types(ledger.Records()))
	if err != nil {
		t.Fatal(err)
	}
	return ledger.New(st, c)
}

// employerCode returns the valid credit code of the i-th test employer.
func employerCode(i int) identity.CreditCode {
	body := fmt.Sprintf("91632801MA%07d", i)
	c, ok := identity.CreditCheckChar(body)
	if !ok {
		panic(body)
	}
	return identity.CreditCode(body + string(c))
}

// hire is an eligible graduate hire of person by employer i in 2025.
func hire(person identity.PersonRef, i int) expansion.Facts {
	return expansion.Facts{
		Person: person, Employer: employerCode(i), Group: expansion.Graduate,
		GraduationDate: calendar.MustParse("2024-06-30"), RegularDegreeCourse: true,
		ContractDate:              calendar.MustParse("2025-03-01"),
		InsuredMonthsUnemployment: 3, InsuredMonthsWorkInjury: 3, InsuredMonthsPension: 3,
		InsuredAtCheck: true,
	}
}

// expansionClaimID names the claim employer i files.
func expansionClaimID(i int) string { return fmt.Sprintf("exp-2025-%03d", i) }

// submitExpansion is employer i's expansion grant claim for f's person.
func submitExpansion(i int, f expansion.Facts) claim.Submit {
	return claim.Submit{
		ClaimID: expansionClaimID(i), Programme: programme.Expansion,
		Beneficiary: claim.Beneficiary{Kind: claim.Employer, Ref: string(f.Employer)},
		Region:      region.Haixi, BudgetLineID: "line-expansion-2025", EffectiveDate: claimEffective,
		UniquenessKeys: expansion.Keys(f), Actor: "clerk1", Role: role.Clerk, At: claimAt,
	}
}

func envelope(key string) ledger.Command {
	return ledger.Command{ID: uuid.New(), IdempotencyKey: key, Actor: "clerk1", Role: role.Clerk}
}

// onClaim runs any claim command through Handle, as the API will.
func onClaim(t *testing.T, svc *ledger.Service, id string, cmd claim.Command) {
	t.Helper()
	agg := ledger.Aggregate[claim.State]{Stream: claim.Stream(id), Evolve: claim.Evolve}
	if _, err := ledger.Handle(context.Background(), svc, agg, ledger.Command{ID: uuid.New(), Payload: cmd},
		func(s claim.State) ([]domain.Event, error) { return claim.Decide(s, cmd) }); err != nil {
		t.Fatalf("%T on %s: %v", cmd, id, err)
	}
}

// checkExpansion assesses f under the seeded policy in force and records it.
func checkExpansion(t *testing.T, svc *ledger.Service, id string, f expansion.Facts) {
	t.Helper()
	check := checkOf(t, f)
	if !check.Assessment.Eligible {
		t.Fatalf("assessment %+v, want an eligible hire", check.Assessment)
	}
	onClaim(t, svc, id, check)
}

func approveExpansion(t *testing.T, svc *ledger.Service, id string) {
	t.Helper()
	onClaim(t, svc, id, claim.Approve{Reason: "evidence complete", Actor: "appr1", Role: role.Approver, At: claimAt})
}

func payExpansion(t *testing.T, svc *ledger.Service, id string) {
	t.Helper()
	onClaim(t, svc, id, claim.StartDisclosure{On: claimEffective, Masked: "6328**********1230", Actor: "clerk1", Role: role.Clerk, At: claimAt})
	onClaim(t, svc, id, claim.CompleteDisclosure{On: claimEffective.AddDays(7), Actor: "clerk1", Role: role.Clerk, At: claimAt})
	onClaim(t, svc, id, claim.ReleasePayment{Instalment: 1, PaymentID: "pay-1", Actor: "tre1", Role: role.Treasurer, At: claimAt})
	onClaim(t, svc, id, claim.RecordPaymentResult{Instalment: 1, PaymentID: "pay-1", Paid: true, BankRef: "B-1",
		On: claimEffective.AddDays(9), Actor: "tre1", Role: role.Treasurer, At: claimAt})
}

func holder(t *testing.T, svc *ledger.Service, key uniqueness.Key) string {
	t.Helper()
	h, err := svc.Holder(context.Background(), key)
	if err != nil {
		t.Fatal(err)
	}
	return h
}

// wantKeysFree fails for each uniqueness key of f that a claim holds;
// whose says whose keys they are.
func wantKeysFree(t *testing.T, svc *ledger.Service, f expansion.Facts, whose string) {
	t.Helper()
	for _, k := range expansion.Keys(f) {
		if h := holder(t, svc, k); h != "" {
			t.Errorf("key %s of %s is held by %q, want free", k.Rule, whose, h)
		}
	}
}

// wantDuplicate fails unless err matches ErrDuplicate naming owner.
func wantDuplicate(t *testing.T, err error, owner string) {
	t.Helper()
	var de *ledger.DuplicateError
	if !errors.Is(err, ledger.ErrDuplicate) || !errors.As(err, &de) || de.Owner != owner {
		t.Fatalf("err = %v, want ErrDuplicate naming %s", err, owner)
	}
}

// The proof: 200 employers claim the expansion grant for one person
// at once; exactly one claim exists afterwards.
func TestSubmitClaimOnePersonOneGrantOf200(t *testing.T) {
	ctx := context.Background()
	st := openStore(t, t.TempDir())
	svc := claimService(t, st)
	const n = 200
	envs := make([]ledger.Command, n)
	results := make([]ledger.Result, n)
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i := range n {
		envs[i] = envelope("submit-" + expansionClaimID(i))
		wg.Go(func() {
			results[i], errs[i] = ledger.SubmitClaim(ctx, svc, submitExpansion(i, hire(hiredPerson, i)), envs[i])
		})
	}
	wg.Wait()

	winner := -1
	for i, err := range errs {
		if err == nil {
			if winner >= 0 {
				t.Fatalf("claims %d and %d were both submitted", winner, i)
			}
			winner = i
		}
	}
	if winner < 0 {
		t.Fatalf("no claim was submitted; first error: %v", errs[0])
	}
	owner := claim.Stream(expansionClaimID(winner))
	for i, err := range errs {
		if i != winner {
			wantDuplicate(t, err, owner)
		}
	}
	streams := 0
	for i := range n {
		if len(readStream(t, st, claim.Stream(expansionClaimID(i)))) > 0 {
			streams++
		}
	}
	if streams != 1 {
		t.Errorf("%d claim streams exist, want 1", streams)
	}
	key := expansion.Keys(hire(hiredPerson, 0))[0]
	if h := holder(t, svc, key); h != owner {
		t.Errorf("holder = %q, want %s", h, owner)
	}
	if n := len(readStream(t, st, key.Stream())); n != 1 {
		t.Errorf("reservation stream has %d events, want the winner's one", n)
	}

	// A retry of the winning command, by its ID or with a new ID under its
	// idempotency key, returns the first result and appends nothing.
	head := lastPosition(t, st)
	first := results[winner]
	again, err := ledger.SubmitClaim(ctx, svc, submitExpansion(winner, hire(hiredPerson, winner)), envs[winner])
	if err != nil {
		t.Fatal(err)
	}
	sameResult(t, again, first)
	retry := envs[winner]
	retry.ID = uuid.New()
	byKey, err := ledger.SubmitClaim(ctx, svc, submitExpansion(winner, hire(hiredPerson, winner)), retry)
	if err != nil {
		t.Fatal(err)
	}
	sameResult(t, byKey, first)
	// A loser's retry is refused the same way and appends nothing either.
	loser := (winner + 1) % n
	_, err = ledger.SubmitClaim(ctx, svc, submitExpansion(loser, hire(hiredPerson, loser)), envs[loser])
	wantDuplicate(t, err, owner)
	if got := lastPosition(t, st); got != head {
		t.Errorf("log head moved from %d to %d on retries", head, got)
	}
}

func TestSubmitClaimAfterRejectionFreesThePerson(t *testing.T) {
	ctx := context.Background()
	st := openStore(t, t.TempDir())
	svc := claimService(t, st)
	a, b := hire(hiredPerson, 1), hire(hiredPerson, 2)
	key := expansion.Keys(a)[0]
	if _, err := ledger.SubmitClaim(ctx, svc, submitExpansion(1, a), envelope("")); err != nil {
		t.Fatal(err)
	}
	checkExpansion(t, svc, expansionClaimID(1), a)
	_, err := ledger.SubmitClaim(ctx, svc, submitExpansion(2, b), envelope(""))
	wantDuplicate(t, err, claim.Stream(expansionClaimID(1)))

	reject := claim.Reject{Reason: "contract forged", Actor: "appr1", Role: role.Approver, At: claimAt}
	env := envelope("reject-1")
	if _, err := ledger.RejectClaim(ctx, svc, expansionClaimID(1), reject, env); err != nil {
		t.Fatal(err)
	}
	if h := holder(t, svc, key); h != "" {
		t.Fatalf("after rejection the person is held by %q, want free", h)
	}
	if _, err := ledger.SubmitClaim(ctx, svc, submitExpansion(2, b), envelope("")); err != nil {
		t.Fatalf("new claim after rejection: %v", err)
	}
	if h := holder(t, svc, key); h != claim.Stream(expansionClaimID(2)) {
		t.Errorf("holder = %q, want the new claim", h)
	}

	// Retrying the rejection replays it and leaves the new claim's key be.
	head := lastPosition(t, st)
	res, err := ledger.RejectClaim(ctx, svc, expansionClaimID(1), reject, env)
	if err != nil || !res.Replayed {
		t.Fatalf("retried rejection: replayed=%v err=%v", res.Replayed, err)
	}
	if got := lastPosition(t, st); got != head {
		t.Errorf("log head moved from %d to %d on a retried rejection", head, got)
	}
	if h := holder(t, svc, key); h != claim.Stream(expansionClaimID(2)) {
		t.Errorf("holder = %q after the retry, want the new claim", h)
	}
}

func TestCancelledUnpaidClaimFreesThePerson(t *testing.T) {
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
	cancel := claim.Cancel{Reason: "employer withdrew", Actor: "appr1", Role: role.Approver, At: claimAt}
	if _, err := ledger.CancelClaim(ctx, svc, id, cancel, envelope("")); err != nil {
		t.Fatal(err)
	}
	if h := holder(t, svc, expansion.Keys(a)[0]); h != "" {
		t.Fatalf("after cancellation the person is held by %q, want free", h)
	}
	if _, err := ledger.SubmitClaim(ctx, svc, submitExpansion(2, hire(hiredPerson, 2)), envelope("")); err != nil {
		t.Fatalf("new claim after cancellation: %v", err)
	}
}

// An approved claim keeps the person, and so does a paid one, for good.
func TestApprovedAndPaidClaimsKeepThePerson(t *testing.T) {
	ctx := context.Background()
	st := openStore(t, t.TempDir())
	svc := claimService(t, st)
	a := hire(hiredPerson, 1)
	id, owner := expansionClaimID(1), claim.Stream(expansionClaimID(1))
	key := expansion.Keys(a)[0]
	if _, err := ledger.SubmitClaim(ctx, svc, submitExpansion(1, a), envelope("")); err != nil {
		t.Fatal(err)
	}
	checkExpansion(t, svc, id, a)
	approveExpansion(t, svc, id)
	for _, stage := range []string{"approved", "paid"} {
		if stage == "paid" {
			payExpansion(t, svc, id)
		}
		released, err := ledger.ReleaseClaimKeys(ctx, svc, id)
		if err != nil || released {
			t.Fatalf("%s: ReleaseClaimKeys = %v, %v; want nothing released", stage, released, err)
		}
		if h := holder(t, svc, key); h != owner {
			t.Fatalf("%s: holder = %q, want %s", stage, h, owner)
		}
		_, err = ledger.SubmitClaim(ctx, svc, submitExpansion(2, hire(hiredPerson, 2)), envelope(""))
		wantDuplicate(t, err, owner)
	}
	// A paid claim cannot be cancelled, so nothing can release its key.
	cancel := claim.Cancel{Reason: "try", Actor: "appr1", Role: role.Approver, At: claimAt}
	if _, err := ledger.CancelClaim(ctx, svc, id, cancel, envelope("")); !errors.Is(err, domain.ErrRejected) {
		t.Fatalf("cancelling a paid claim: err = %v, want ErrRejected", err)
	}
	if h := holder(t, svc, key); h != owner {
		t.Errorf("holder = %q after a refused cancellation, want %s", h, owner)
	}
}

func TestKeysReleasableRules(t *testing.T) {
	for _, tc := range []struct {
		name string
		st   claim.State
		want bool
	}{
		{"submitted", claim.State{Status: claim.StatusSubmitted}, false},
		{"checked", claim.State{Status: claim.StatusChecked}, false},
		{"approved", claim.State{Status: claim.StatusApproved}, false},
		{"disclosed", claim.State{Status: claim.StatusDisclosed}, false},
		{"paid", claim.State{Status: claim.StatusPaid}, false},
		{"rejected", claim.State{Status: claim.StatusRejected}, true},
		{"cancelled unpaid", claim.State{Status: claim.StatusCancelled}, true},
		{"cancelled after an instalment was paid", claim.State{Status: claim.StatusCancelled, Paid: money.MustParse("500.00")}, false},
	} {
		if got, _ := ledger.KeysReleasable(tc.st); got != tc.want {
			t.Errorf("%s: releasable = %v, want %v", tc.name, got, tc.want)
		}
	}
}

// A crash between the reservation and the claim's append leaves the key
// held by the claim itself: others are refused, and the retry completes.
func TestSubmitClaimRecoversFromCrashAfterReserving(t *testing.T) {
	ctx := context.Background()
	st := openStore(t, t.TempDir())
	crash := errors.New("process died")
	crashed := false
	var mu sync.Mutex
	faulty := &faultyStore{Store: st, fail: func(stream string) error {
		mu.Lock()
		defer mu.Unlock()
		if strings.HasPrefix(stream, "claim-") && !crashed {
			crashed = true
			return crash
		}
		return nil
	}}
	svc := claimService(t, faulty)
	a := hire(hiredPerson, 1)
	owner := claim.Stream(expansionClaimID(1))
	key := expansion.Keys(a)[0]
	env := envelope("submit-1")
	if _, err := ledger.SubmitClaim(ctx, svc, submitExpansion(1, a), env); !errors.Is(err, crash) {
		t.Fatalf("first attempt: err = %v, want the crash", err)
	}
	if n := len(readStream(t, st, owner)); n != 0 {
		t.Fatalf("claim stream has %d events after the crash, want 0", n)
	}
	if h := holder(t, svc, key); h != owner {
		t.Fatalf("holder after the crash = %q, want %s", h, owner)
	}
	_, err := ledger.SubmitClaim(ctx, svc, submitExpansion(2, hire(hiredPerson, 2)), envelope(""))
	wantDuplicate(t, err, owner)

	res, err := ledger.SubmitClaim(ctx, svc, submitExpansion(1, a), env)
	if err != nil || res.Replayed {
		t.Fatalf("retry: replayed=%v err=%v, want a fresh append", res.Replayed, err)
	}
	if n := len(readStream(t, st, owner)); n != 1 {
		t.Errorf("claim stream has %d events, want 1", n)
	}
	if n := len(readStream(t, st, key.Stream())); n != 1 {
		t.Errorf("reservation stream has %d events, want the one reservation", n)
	}
}

// A claim refused on one key gives back the keys it had reserved.
func TestSubmitClaimReleasesItsKeysOnDuplicate(t *testing.T) {
	ctx := context.Background()
	st := openStore(t, t.TempDir())
	svc := claimService(t, st)
	free := uniqueness.Key{Rule: "test-a", Value: "v"}
	taken := uniqueness.Key{Rule: "test-b", Value: "v"}
	if free.Stream() > taken.Stream() {
		free.Rule, taken.Rule = taken.Rule, free.Rule
	}
	// taken sorts after free, so free is reserved before the refusal.
	if err := svc.Reserve(ctx, taken, "claim-other"); err != nil {
		t.Fatal(err)
	}
	cmd := submitExpansion(1, hire(hiredPerson, 1))
	cmd.UniquenessKeys = []uniqueness.Key{taken, free}
	env := envelope("")
	_, err := ledger.SubmitClaim(ctx, svc, cmd, env)
	wantDuplicate(t, err, "claim-other")
	if h := holder(t, svc, free); h != "" {
		t.Errorf("key %s still held by %q after the refusal", free.Rule, h)
	}
	if n := len(readStream(t, st, free.Stream())); n != 2 {
		t.Errorf("%s has %d events, want a reservation and its release", free.Stream(), n)
	}
	if n := len(readStream(t, st, claim.Stream(cmd.ClaimID))); n != 0 {
		t.Errorf("refused claim stream has %d events", n)
	}

	if err := svc.Release(ctx, taken, "claim-other", "test"); err != nil {
		t.Fatal(err)
	}
	if _, err := ledger.SubmitClaim(ctx, svc, cmd, env); err != nil {
		t.Fatalf("retry once the key is free: %v", err)
	}
	for _, k := range cmd.UniquenessKeys {
		if h := holder(t, svc, k); h != claim.Stream(cmd.ClaimID) {
			t.Errorf("key %s held by %q, want the claim", k.Rule, h)
		}
	}
}

func TestSubmitClaimBadInputReservesNothing(t *testing.T) {
	ctx := context.Background()
	st := openStore(t, t.TempDir())
	svc := claimService(t, st)
	cmd := submitExpansion(1, hire(hiredPerson, 1))
	cmd.Region = "110000"
	_, err := ledger.SubmitClaim(ctx, svc, cmd, envelope(""))
	var fe *domain.FieldError
	if !errors.As(err, &fe) || fe.Field != "region" {
		t.Fatalf("err = %v, want a FieldError on region", err)
	}
	if got := lastPosition(t, st); got != 0 {
		t.Errorf("log head = %d after refused input, want an empty log", got)
	}
}
