package ledger_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"

	"github.com/haixi-hrss/fundledger/domain/absorption"
	"github.com/haixi-hrss/fundledger/domain/calendar"
	"github.com/haixi-hrss/fundledger/domain/claim"
	"github.com/haixi-hrss/fundledger/domain/expansion"
	"github.com/haixi-hrss/fundledger/domain/identity"
	"github.com/haixi-hrss/fundledger/domain/policy"
	"github.com/haixi-hrss/fundledger/domain/programme"
	"github.com/haixi-hrss/fundledger/domain/region"
	"github.com/haixi-hrss/fundledger/domain/role"
	"github.com/haixi-hrss/fundledger/domain/uniqueness"
	"github.com/haixi-hrss/fundledger/ledger"
)

// The one-time expansion grant and the one-time absorption subsidy are
// never both paid for one person (一次性扩岗补助与一次性吸纳就业补贴不可重复享受).
// Their rule packages return a shared uniqueness key, so SubmitClaim lets
// whichever claim comes first hold the person and refuses the other with a
// DuplicateError, whatever the employers.

// oneTimeHire is person's hire by employer i, eligible for the one-time
// absorption subsidy in 2025; hire(person, i) is the same hire as the
// expansion grant sees it.
func oneTimeHire(person identity.PersonRef, i int) absorption.OneTimeFacts {
	return absorption.OneTimeFacts{
		Person: person, Employer: employerCode(i), GraduationDate: calendar.MustParse("2024-06-30"),
		ContractDate: calendar.MustParse("2025-03-01"), ContractEnd: calendar.MustParse("2027-02-28"),
		InsuredMonths: 3, SmallOrMedium: true,
	}
}

// oneTimeClaimID names the one-time absorption claim employer i files.
func oneTimeClaimID(i int) string { return fmt.Sprintf("ota-2025-%03d", i) }

// submitOneTime is employer i's one-time absorption claim for f's person.
func submitOneTime(i int, f absorption.OneTimeFacts) claim.Submit {
	return claim.Submit{
		ClaimID: oneTimeClaimID(i), Programme: programme.Absorption,
		Beneficiary: claim.Beneficiary{Kind: claim.Employer, Ref: string(f.Employer)},
		Region:      region.Haixi, BudgetLineID: "line-absorption-2025", EffectiveDate: claimEffective,
		UniquenessKeys: absorption.OneTimeKeys(f), Actor: "clerk1", Role: role.Clerk, At: claimAt,
	}
}

// bothEligible checks the premise: taken alone, each programme's rules
// would pay this hire, so only the shared key keeps the second claim out.
func bothEligible(t *testing.T, person identity.PersonRef) {
	t.Helper()
	vs, err := policy.Seed()
	if err != nil {
		t.Fatal(err)
	}
	ve, err := policy.Select(vs, programme.Expansion, claimEffective)
	if err != nil {
		t.Fatal(err)
	}
	va, err := policy.Select(vs, programme.Absorption, claimEffective)
	if err != nil {
		t.Fatal(err)
	}
	e, err := expansion.Assess(ve, claimEffective, hire(person, 1))
	if err != nil || !e.Eligible {
		t.Fatalf("expansion assessment eligible=%v err=%v", e.Eligible, err)
	}
	a, err := absorption.AssessOneTime(va, claimEffective, oneTimeHire(person, 2))
	if err != nil || !a.Eligible {
		t.Fatalf("one-time absorption assessment eligible=%v err=%v", a.Eligible, err)
	}
}

func TestExclusionFirstClaimWinsInEitherOrder(t *testing.T) {
	bothEligible(t, hiredPerson)
	expansionFirst := []struct {
		name  string
		first bool
	}{{"expansion grant first", true}, {"one-time absorption subsidy first", false}}
	for _, tt := range expansionFirst {
		t.Run(tt.name, func(t *testing.T) {
			ctx := context.Background()
			st := openStore(t, t.TempDir())
			svc := claimService(t, st)
			exp := submitExpansion(1, hire(hiredPerson, 1))
			ota := submitOneTime(2, oneTimeHire(hiredPerson, 2))
			first, second := exp, ota
			if !tt.first {
				first, second = ota, exp
			}
			if _, err := ledger.SubmitClaim(ctx, svc, first, envelope("")); err != nil {
				t.Fatalf("first claim: %v", err)
			}
			owner := claim.Stream(first.ClaimID)
			_, err := ledger.SubmitClaim(ctx, svc, second, envelope(""))
			wantDuplicate(t, err, owner)
			if n := len(readStream(t, st, claim.Stream(second.ClaimID))); n != 0 {
				t.Fatalf("the refused claim's stream holds %d events", n)
			}
			if h := holder(t, svc, uniqueness.HireOneTimeSubsidy(string(hiredPerson))); h != owner {
				t.Fatalf("shared key held by %q, want %s", h, owner)
			}
			// A refused expansion claim gives back the key it did take.
			wantPersonKey := owner
			if !tt.first {
				wantPersonKey = ""
			}
			if h := holder(t, svc, expansion.Keys(hire(hiredPerson, 1))[0]); h != wantPersonKey {
				t.Fatalf("expansion-person key held by %q, want %q", h, wantPersonKey)
			}
		})
	}
}

// 50 employers claim the expansion grant and 50 the one-time absorption
// subsidy for the same person, all at once: exactly one claim is accepted,
// every other gets a DuplicateError, and the keys end up held by the winner
// alone. Three people, so the race is run three times.
func TestExclusionConcurrent50EachWay(t *testing.T) {
	ctx := context.Background()
	st := openStore(t, t.TempDir())
	svc := claimService(t, st)
	const each = 50
	wins := map[programme.Code]int{}
	for round := range 3 {
		person := identity.PersonRef(strings.Repeat(fmt.Sprintf("%02x", 0xa0+round), 32))
		cmds := make([]claim.Submit, 0, 2*each)
		for i := range each {
			cmds = append(cmds, submitExpansion(100*round+i, hire(person, i)))
			cmds = append(cmds, submitOneTime(100*round+i, oneTimeHire(person, each+i)))
		}
		errs := make([]error, len(cmds))
		start := make(chan struct{})
		var wg sync.WaitGroup
		for i, cmd := range cmds {
			wg.Go(func() {
				<-start
				_, errs[i] = ledger.SubmitClaim(ctx, svc, cmd, envelope(""))
			})
		}
		close(start)
		wg.Wait()

		winner := -1
		for i, err := range errs {
			if err == nil {
				if winner >= 0 {
					t.Fatalf("round %d: claims %s and %s were both accepted", round, cmds[winner].ClaimID, cmds[i].ClaimID)
				}
				winner = i
			}
		}
		if winner < 0 {
			t.Fatalf("round %d: no claim was accepted; first error: %v", round, errs[0])
		}
		owner := claim.Stream(cmds[winner].ClaimID)
		wins[cmds[winner].Programme]++
		for i, err := range errs {
			var de *ledger.DuplicateError
			if i != winner && (!errors.Is(err, ledger.ErrDuplicate) || !errors.As(err, &de)) {
				t.Fatalf("round %d: %s: %v, want a DuplicateError", round, cmds[i].ClaimID, err)
			}
		}
		for i, cmd := range cmds {
			n := len(readStream(t, st, claim.Stream(cmd.ClaimID)))
			if (i == winner) != (n > 0) {
				t.Fatalf("round %d: claim %s has %d events (winner %s)", round, cmd.ClaimID, n, owner)
			}
		}
		if h := holder(t, svc, uniqueness.HireOneTimeSubsidy(string(person))); h != owner {
			t.Fatalf("round %d: shared key held by %q, want %s", round, h, owner)
		}
		wantPersonKey := ""
		if cmds[winner].Programme == programme.Expansion {
			wantPersonKey = owner
		}
		if h := holder(t, svc, expansion.Keys(hire(person, 0))[0]); h != wantPersonKey {
			t.Fatalf("round %d: expansion-person key held by %q, want %q", round, h, wantPersonKey)
		}
	}
	t.Logf("winners by programme: %v", wins)
}

// A rejected expansion claim frees the person, and then the one-time
// absorption subsidy may be claimed.
func TestExclusionRejectedGrantFreesThePerson(t *testing.T) {
	ctx := context.Background()
	st := openStore(t, t.TempDir())
	svc := claimService(t, st)
	f := hire(hiredPerson, 1)
	if _, err := ledger.SubmitClaim(ctx, svc, submitExpansion(1, f), envelope("")); err != nil {
		t.Fatal(err)
	}
	ota := submitOneTime(2, oneTimeHire(hiredPerson, 2))
	_, err := ledger.SubmitClaim(ctx, svc, ota, envelope(""))
	wantDuplicate(t, err, claim.Stream(expansionClaimID(1)))

	checkExpansion(t, svc, expansionClaimID(1), f)
	reject := claim.Reject{Reason: "contract forged", Actor: "appr1", Role: role.Approver, At: claimAt}
	if _, err := ledger.RejectClaim(ctx, svc, expansionClaimID(1), reject, envelope("")); err != nil {
		t.Fatal(err)
	}
	if _, err := ledger.SubmitClaim(ctx, svc, ota, envelope("")); err != nil {
		t.Fatalf("one-time absorption claim after the grant was rejected: %v", err)
	}
	if h := holder(t, svc, uniqueness.HireOneTimeSubsidy(string(hiredPerson))); h != claim.Stream(ota.ClaimID) {
		t.Fatalf("shared key held by %q, want the one-time absorption claim", h)
	}
	// And now the grant is the one refused.
	_, err = ledger.SubmitClaim(ctx, svc, submitExpansion(3, hire(hiredPerson, 3)), envelope(""))
	wantDuplicate(t, err, claim.Stream(ota.ClaimID))
}
