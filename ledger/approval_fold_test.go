package ledger_test

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/google/uuid"

	"github.com/haixi-hrss/fundledger/domain"
	"github.com/haixi-hrss/fundledger/domain/budget"
	"github.com/haixi-hrss/fundledger/domain/claim"
	"github.com/haixi-hrss/fundledger/domain/identity"
	"github.com/haixi-hrss/fundledger/domain/role"
	"github.com/haixi-hrss/fundledger/eventstore"
	"github.com/haixi-hrss/fundledger/ledger"
)

// streamReads counts the stream reads that reach the store, by the
// stream's kind (the name up to its first '-').
type streamReads struct {
	eventstore.Store
	mu    sync.Mutex
	reads map[string]int
}

func (r *streamReads) count(stream string) {
	kind, _, _ := strings.Cut(stream, "-")
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.reads == nil {
		r.reads = map[string]int{}
	}
	r.reads[kind]++
}

func (r *streamReads) ReadStream(ctx context.Context, stream string, from uint64, limit int) ([]eventstore.Event, error) {
	r.count(stream)
	return r.Store.ReadStream(ctx, stream, from, limit)
}

func (r *streamReads) ReadStreamBackward(ctx context.Context, stream string, n int) ([]eventstore.Event, error) {
	r.count(stream)
	return r.Store.ReadStreamBackward(ctx, stream, n)
}

// take returns the counts so far and starts again from zero.
func (r *streamReads) take() map[string]int {
	r.mu.Lock()
	defer r.mu.Unlock()
	got := r.reads
	r.reads = nil
	return got
}

// reviewedClaim submits and checks claim i on svc as the API does, the
// check through HandleNext on the submission, so svc holds the claim's
// fold (through its check) and the claim is under review.
func reviewedClaim(t testing.TB, svc *ledger.Service, i int) {
	t.Helper()
	ctx := context.Background()
	f := hire(identity.PersonRef(fmt.Sprintf("%064x", i+1)), i)
	sub, err := ledger.SubmitClaim(ctx, svc, submitExpansion(i, f), ledger.Command{ID: uuid.New(), Actor: "clerk1", Role: role.Clerk})
	if err != nil {
		t.Fatal(err)
	}
	check := checkOf(t, f)
	if _, err := ledger.HandleNext(ctx, svc, ledger.ClaimAggregate(expansionClaimID(i)), ledger.Command{ID: uuid.New(), Payload: check},
		func(s claim.State) ([]domain.Event, error) { return claim.Decide(s, check) }, sub); err != nil {
		t.Fatal(err)
	}
}

// keyedApproverEnv is approverEnv under idempotency key key.
func keyedApproverEnv(actor, key string) ledger.Command {
	env := approverEnv(actor)
	env.IdempotencyKey = key
	return env
}

// TestApproveClaimDecidesOnTheFold: on a claim this process wrote, an
// approval reads neither the claim's stream nor, with a fresh
// idempotency key, the key's stream: the key's claim and the approval's
// expected version are the checks. The approval and its reservation are
// recorded once, and the key is bound to the command.
func TestApproveClaimDecidesOnTheFold(t *testing.T) {
	for _, key := range []string{"", "approve-fresh"} {
		t.Run(fmt.Sprintf("key %q", key), func(t *testing.T) {
			ctx := context.Background()
			base := openStore(t, t.TempDir())
			st := &streamReads{Store: base}
			svc := paymentService(t, st)
			if err := allocate(ctx, svc, 10); err != nil {
				t.Fatal(err)
			}
			reviewedClaim(t, svc, 0)
			id := expansionClaimID(0)
			st.take()
			env := keyedApproverEnv("appr1", key)
			res, err := ledger.ApproveClaim(ctx, svc, id, approve("appr1"), env)
			if err != nil || res.Replayed || len(res.EventIDs) != 2 {
				t.Fatalf("approval: %+v, %v; want its two events appended", res, err)
			}
			if reads := st.take(); reads["claim"] != 0 || reads["idem"] != 0 {
				t.Errorf("the approval read the claim %d times and the key %d times, want neither", reads["claim"], reads["idem"])
			}
			if c := claimState(t, base, id); c.Status != claim.StatusApproved {
				t.Errorf("claim is %s, want approved", c.Status)
			}
			if key != "" {
				claims := readStream(t, base, ledger.IdempotencyStream(key))
				if len(claims) != 1 || !strings.Contains(string(claims[0].Data), env.ID.String()) {
					t.Errorf("the key's stream holds %d records, want one claim naming command %s", len(claims), env.ID)
				}
			}
			if checkAgreement(t, svc, base, 1) != 1 {
				t.Error("the claim is not approved with its reservation")
			}
		})
	}
}

// TestApproveClaimRepeats: an approval sent again returns the first
// result, Replayed, and appends and reserves nothing, whichever way it
// is recognised: by its key or command ID, on the process that approved
// (its fold holds the approval) or on one whose fold predates it (the
// process that submitted and checked the claim), and after an objection
// sent the claim back to review, where a decision on that stale fold
// would approve round 0 again.
func TestApproveClaimRepeats(t *testing.T) {
	const key = "approve-once"
	newID := func(env ledger.Command) ledger.Command { env.ID = uuid.New(); return env }
	same := func(env ledger.Command) ledger.Command { return env }
	tests := []struct {
		name   string
		key    string
		stale  bool // retried on the process whose fold predates the approval
		object bool // an objection sent the claim back to review first
		retry  func(ledger.Command) ledger.Command
	}{
		{"key, new command ID, warm fold", key, false, false, newID},
		{"key and command ID, warm fold", key, false, false, same},
		{"key, new command ID, stale fold", key, true, false, newID},
		{"key and command ID, stale fold", key, true, false, same},
		{"command ID without key, stale fold", "", true, false, same},
		{"key, new command ID, stale fold, after an objection", key, true, true, newID},
		{"command ID without key, stale fold, after an objection", "", true, true, same},
		{"key, new command ID, warm fold, after an objection", key, false, true, newID},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctx := context.Background()
			st, here, there := twoProcesses(t)
			reviewedClaim(t, there, 0)
			id := expansionClaimID(0)
			env := keyedApproverEnv("appr1", tt.key)
			first, err := ledger.ApproveClaim(ctx, here, id, approve("appr1"), env)
			if err != nil {
				t.Fatal(err)
			}
			if tt.object {
				objectToClaim(t, here, id)
			}
			head := lastPosition(t, st)
			before := lineState(t, here, st)

			proc := here
			if tt.stale {
				proc = there
			}
			again, err := ledger.ApproveClaim(ctx, proc, id, approve("appr1"), tt.retry(env))
			if err != nil || !again.Replayed || !slices.Equal(again.EventIDs, first.EventIDs) || again.Position != first.Position {
				t.Fatalf("retry: %+v, %v; want a replay of %v at position %d", again, err, first.EventIDs, first.Position)
			}
			if got := lastPosition(t, st); got != head {
				t.Errorf("the retry appended: log at %d, was %d", got, head)
			}
			after := lineState(t, here, st)
			if !after.Reserved.Equal(before.Reserved) || len(after.Ops) != len(before.Ops) {
				t.Errorf("line reserved %s with %d ops, was %s with %d", after.Reserved, len(after.Ops), before.Reserved, len(before.Ops))
			}
			if n := countType(t, st, budget.Stream(expansionLine), "FundsReserved"); n != 1 {
				t.Errorf("line records %d reservations, want round 0's only", n)
			}
			checkAgreement(t, here, st, 1)
		})
	}
}

// TestApproveClaimKeyMismatch: other input under a key an approval
// claimed is refused with ErrIdempotencyMismatch, appending and
// reserving nothing, on a warm or a stale fold, under a new command ID
// or the first one (as the API derives IDs from keys), before and after
// the claim moved on.
func TestApproveClaimKeyMismatch(t *testing.T) {
	const key = "approve-reused"
	tests := []struct {
		name      string
		stale     bool
		sameID    bool
		otherID   int // approve another claim instead of claim 0
		objection bool
	}{
		{name: "other reason, warm fold"},
		{name: "other reason, stale fold", stale: true},
		{name: "other reason, same command ID, stale fold", stale: true, sameID: true},
		{name: "other claim, warm fold", otherID: 1},
		{name: "other claim, stale fold", stale: true, otherID: 1},
		{name: "other reason after an objection, stale fold", stale: true, objection: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctx := context.Background()
			st, here, there := twoProcesses(t)
			reviewedClaim(t, there, 0)
			reviewedClaim(t, there, 1)
			env := keyedApproverEnv("appr1", key)
			if _, err := ledger.ApproveClaim(ctx, here, expansionClaimID(0), approve("appr1"), env); err != nil {
				t.Fatal(err)
			}
			if tt.objection {
				objectToClaim(t, here, expansionClaimID(0))
			}
			head := lastPosition(t, st)
			before := lineState(t, here, st)

			proc := here
			if tt.stale {
				proc = there
			}
			retry := env
			if !tt.sameID {
				retry.ID = uuid.New()
			}
			cmd := approve("appr1")
			if tt.otherID == 0 {
				cmd.Reason = "evidence re-read"
			}
			_, err := ledger.ApproveClaim(ctx, proc, expansionClaimID(tt.otherID), cmd, retry)
			wantMismatch(t, err, key)
			if got := lastPosition(t, st); got != head {
				t.Errorf("the refusal appended: log at %d, was %d", got, head)
			}
			after := lineState(t, here, st)
			if !after.Reserved.Equal(before.Reserved) || len(after.Ops) != len(before.Ops) {
				t.Errorf("line reserved %s with %d ops, was %s with %d", after.Reserved, len(after.Ops), before.Reserved, len(before.Ops))
			}
			checkAgreement(t, here, st, 2)
		})
	}
}

// twoProcesses opens a store with a funded budget line and two services
// on it, standing for two server processes: here, whose folds a test
// makes warm or stale, and there, which writes behind its back.
func twoProcesses(t *testing.T) (st eventstore.Store, here, there *ledger.Service) {
	t.Helper()
	st = openStore(t, t.TempDir())
	here, there = paymentService(t, st), paymentService(t, st)
	if err := allocate(context.Background(), here, 10); err != nil {
		t.Fatal(err)
	}
	return st, here, there
}
