package ledger_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/google/uuid"

	"github.com/haixi-hrss/fundledger/domain"
	"github.com/haixi-hrss/fundledger/domain/budget"
	"github.com/haixi-hrss/fundledger/domain/claim"
	"github.com/haixi-hrss/fundledger/domain/role"
	"github.com/haixi-hrss/fundledger/eventstore"
	"github.com/haixi-hrss/fundledger/ledger"
)

// TestApproveClaimOnAStaleFold: a process whose fold of the claim
// predates another process's decision approves it. The approval is
// decided on that fold; on a store that appends to several streams at
// once it shares the reservation's commit, which its expected version
// refuses whole, and on another store its money is reserved before the
// append, which then fails and is compensated. Whatever the other
// decision was, the claim ends approved exactly when its line holds its
// amount, never approved twice, and a new review round gets its own
// reservation.
func TestApproveClaimOnAStaleFold(t *testing.T) {
	reject := claim.Reject{Reason: "forged contract", Actor: "appr2", Role: role.Approver, At: claimAt}
	tests := []struct {
		name string
		// before runs on the other process, after the stale one's fold.
		before func(t *testing.T, other *ledger.Service, id string)
		// wantErr is the stale process's outcome; nil means approved.
		wantErr error
		status  claim.Status
		round   int
		// FundsReserved events on the line, on a store with and without
		// multi-stream appends.
		reserved, reservedPlain int
	}{
		{"rejected", func(t *testing.T, other *ledger.Service, id string) {
			if _, err := ledger.RejectClaim(context.Background(), other, id, reject, approverEnv("appr2")); err != nil {
				t.Fatal(err)
			}
		}, domain.ErrRejected, claim.StatusRejected, 0, 0, 1},
		{"approved by another approver", func(t *testing.T, other *ledger.Service, id string) {
			if _, err := ledger.ApproveClaim(context.Background(), other, id, approve("appr2"), approverEnv("appr2")); err != nil {
				t.Fatal(err)
			}
		}, domain.ErrRejected, claim.StatusApproved, 0, 1, 1},
		{"approved and objected to: a new round", func(t *testing.T, other *ledger.Service, id string) {
			if _, err := ledger.ApproveClaim(context.Background(), other, id, approve("appr2"), approverEnv("appr2")); err != nil {
				t.Fatal(err)
			}
			objectToClaim(t, other, id)
		}, nil, claim.StatusApproved, 1, 2, 2},
	}
	for _, tt := range tests {
		for _, key := range []string{"", "approve-stale"} {
			for _, plain := range []bool{false, true} {
				t.Run(fmt.Sprintf("%s, key %s, plain store %t", tt.name, key, plain), func(t *testing.T) {
					ctx := context.Background()
					var st eventstore.Store = openStore(t, t.TempDir())
					reserved := tt.reserved
					if plain {
						st, reserved = &plainStore{Store: st}, tt.reservedPlain
					}
					stale, other := paymentService(t, st), paymentService(t, st)
					if err := allocate(ctx, other, 10); err != nil {
						t.Fatal(err)
					}
					reviewedClaim(t, stale, 0)
					id := expansionClaimID(0)
					tt.before(t, other, id)

					res, err := ledger.ApproveClaim(ctx, stale, id, approve("appr1"), keyedApproverEnv("appr1", key))
					switch {
					case tt.wantErr != nil && !errors.Is(err, tt.wantErr):
						t.Fatalf("err = %v, want %v", err, tt.wantErr)
					case tt.wantErr == nil && (err != nil || len(res.EventIDs) != 2):
						t.Fatalf("approval: %+v, %v; want it appended", res, err)
					}
					c := claimState(t, st, id)
					if c.Status != tt.status || c.Round != tt.round {
						t.Errorf("claim %s in round %d, want %s in round %d", c.Status, c.Round, tt.status, tt.round)
					}
					if n := countType(t, st, claim.Stream(id), "ClaimApproved"); n != tt.round+1 && tt.status == claim.StatusApproved {
						t.Errorf("claim records %d approvals, want one per round", n)
					}
					if n := countType(t, st, budget.Stream(expansionLine), "FundsReserved"); n != reserved {
						t.Errorf("line records %d reservations, want %d", n, reserved)
					}
					checkAgreement(t, other, st, 1)
				})
			}
		}
	}
}

// TestApproveClaimConcurrentDuplicates sends one approval's key 32 times
// at once to two processes, one holding a fold of the claim from its
// submission, the other none, half the senders with other input: one
// approval is appended and reserved once, every sender of its input
// gets its events, every other sender a mismatch. Under -race this is
// also the proof that the fold's reads and the reservation step share
// nothing unguarded.
func TestApproveClaimConcurrentDuplicates(t *testing.T) {
	const key, senders = "approve-dup", 32
	for _, sameID := range []bool{false, true} {
		name := "fresh command IDs"
		if sameID {
			name = "one command ID, as the API derives it from the key"
		}
		t.Run(name, func(t *testing.T) {
			ctx := context.Background()
			st := openStore(t, t.TempDir())
			procs := []*ledger.Service{paymentService(t, st), paymentService(t, st)}
			if err := allocate(ctx, procs[0], 10); err != nil {
				t.Fatal(err)
			}
			reviewedClaim(t, procs[0], 0)
			id := expansionClaimID(0)
			shared := uuid.New()
			reasons := []string{"evidence complete", "evidence re-read"}
			results := make([]ledger.Result, senders)
			errs := make([]error, senders)
			start := make(chan struct{})
			var wg sync.WaitGroup
			for i := range senders {
				wg.Go(func() {
					env := keyedApproverEnv("appr1", key)
					if sameID {
						env.ID = shared
					}
					cmd := approve("appr1")
					cmd.Reason = reasons[i/2%2]
					<-start
					results[i], errs[i] = ledger.ApproveClaim(ctx, procs[i%2], id, cmd, env)
				})
			}
			close(start)
			wg.Wait()

			raw := readStream(t, st, claim.Stream(id))
			var approval []uuid.UUID
			for _, ev := range raw {
				if ev.Type == "ClaimApprovalRecorded" || ev.Type == "ClaimApproved" {
					approval = append(approval, ev.ID)
				}
			}
			if len(approval) != 2 {
				t.Fatalf("claim records %d approval events, want one approval's 2", len(approval))
			}
			var won string
			for i := range senders {
				if errs[i] == nil {
					won = reasons[i/2%2]
				}
			}
			for i := range senders {
				switch {
				case reasons[i/2%2] == won && (errs[i] != nil || !slices.Equal(results[i].EventIDs, approval)):
					t.Errorf("sender %d (winning input): %+v, %v; want the approval %v", i, results[i], errs[i], approval)
				case reasons[i/2%2] != won && !errors.Is(errs[i], ledger.ErrIdempotencyMismatch):
					t.Errorf("sender %d (other input): err = %v, want ErrIdempotencyMismatch", i, errs[i])
				}
			}
			if n := countType(t, st, budget.Stream(expansionLine), "FundsReserved"); n != 1 {
				t.Errorf("line records %d reservations, want 1", n)
			}
			if n := len(readStream(t, st, ledger.IdempotencyStream(key))); n != 1 {
				t.Errorf("the key's stream holds %d records, want its claim", n)
			}
			if checkAgreement(t, procs[0], st, 1) != 1 {
				t.Error("the claim is not approved")
			}
		})
	}
}

// TestApproveClaimOnAMovedClaimStillReserves: another process records
// evidence on a checked claim after this process's fold of it, so the
// approval decided on the fold shares a commit with its reservation that
// the claim's expected version refuses whole. Decided again on the claim
// as read it still approves, and must then be recorded with a
// reservation (design invariant 7): exactly one, none released.
func TestApproveClaimOnAMovedClaimStillReserves(t *testing.T) {
	for _, key := range []string{"", "approve-moved"} {
		t.Run("key "+key, func(t *testing.T) {
			ctx := context.Background()
			m := &multiStore{MultiAppender: openStore(t, t.TempDir())}
			stale, other := paymentService(t, m), paymentService(t, m)
			if err := allocate(ctx, other, 10); err != nil {
				t.Fatal(err)
			}
			reviewedClaim(t, stale, 0)
			id := expansionClaimID(0)
			ev := claim.RecordEvidence{Kind: claim.LabourContract, DocumentNo: "HT-1", Digest: strings.Repeat("a", 64),
				ReceivedOn: claimEffective, Actor: "clerk2", Role: role.Clerk, At: claimAt}
			if _, err := ledger.Handle(ctx, other, ledger.ClaimAggregate(id), clerkEnv(), func(st claim.State) ([]domain.Event, error) {
				return claim.Decide(st, ev)
			}); err != nil {
				t.Fatal(err)
			}
			multis := m.multis.Load()
			if _, err := ledger.ApproveClaim(ctx, stale, id, approve("appr1"), keyedApproverEnv("appr1", key)); err != nil {
				t.Fatal(err)
			}
			if n := m.multis.Load() - multis; n != 2 {
				t.Errorf("%d multi-stream commits, want the refused one on the fold and the one on the claim as read", n)
			}
			if n := countType(t, m, budget.Stream(expansionLine), "FundsReserved"); n != 1 {
				t.Errorf("line records %d reservations, want 1", n)
			}
			if n := countType(t, m, budget.Stream(expansionLine), "FundsReleased"); n != 0 {
				t.Errorf("line records %d releases, want none", n)
			}
			if approved := checkAgreement(t, other, m, 1); approved != 1 {
				t.Errorf("%d claims approved, want 1", approved)
			}
		})
	}
}
