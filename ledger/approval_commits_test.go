package ledger_test

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/haixi-hrss/fundledger/domain"
	"github.com/haixi-hrss/fundledger/domain/budget"
	"github.com/haixi-hrss/fundledger/domain/claim"
	"github.com/haixi-hrss/fundledger/domain/role"
	"github.com/haixi-hrss/fundledger/eventstore"
	"github.com/haixi-hrss/fundledger/ledger"
)

// TestApproveClaimInOneCommit: on a store that appends to several streams
// at once, a keyed approval records its key's claim, the reservation and
// the approval in one commit, where a key claimed on its own made three
// and the approval after the reservation two.
func TestApproveClaimInOneCommit(t *testing.T) {
	ctx := context.Background()
	m := &multiStore{MultiAppender: openStore(t, t.TempDir())}
	svc := approvalService(t, m)
	setUpClaims(t, svc, 10, 1)
	id := expansionClaimID(0)
	appends, multis := m.appends.Load(), m.multis.Load()

	env := approverEnv("appr1")
	env.IdempotencyKey = "approve-" + id
	res, err := ledger.ApproveClaim(ctx, svc, id, approve("appr1"), env)
	if err != nil {
		t.Fatal(err)
	}
	if a, n := m.appends.Load()-appends, m.multis.Load()-multis; a != 0 || n != 1 {
		t.Errorf("%d appends and %d multi-stream appends, want the key, the reservation and the approval in one", a, n)
	}
	key := readStream(t, m, ledger.IdempotencyStream(env.IdempotencyKey))
	line := readStream(t, m, budget.Stream(expansionLine))
	reserved := line[len(line)-1]
	approval := readStream(t, m, claim.Stream(id))[res.FirstVersion:]
	first, last := approval[0], approval[len(approval)-1]
	if len(key) != 1 || reserved.Type != "FundsReserved" || last.Type != "ClaimApproved" ||
		reserved.Position != key[0].Position+1 || first.Position != reserved.Position+1 {
		t.Errorf("the key's claim (%d events, at %d), the reservation (%s at %d) and the approval (%s at %d) are not side by side in one commit",
			len(key), key[0].Position, reserved.Type, reserved.Position, last.Type, first.Position)
	}
	if res.Position != last.Position || res.LastVersion != last.Version || res.EventIDs[len(res.EventIDs)-1] != last.ID {
		t.Errorf("result %+v does not name the approval appended at %d", res, last.Position)
	}
	again, err := ledger.ApproveClaim(ctx, svc, id, approve("appr1"), env)
	if err != nil || !again.Replayed || again.Position != res.Position {
		t.Errorf("the approval sent again: %+v, %v; want the first result replayed", again, err)
	}
	checkAgreement(t, svc, m, 1)
}

// plainStore hides the store's multi-stream appends, as the KurrentDB
// adapter has none, and counts its appends.
type plainStore struct {
	eventstore.Store
	appends atomic.Int64
}

func (p *plainStore) Append(ctx context.Context, stream string, expected eventstore.ExpectedVersion, events ...eventstore.EventData) (eventstore.AppendResult, error) {
	p.appends.Add(1)
	return p.Store.Append(ctx, stream, expected, events...)
}

// TestApproveClaimWithoutMultiAppends: on a store without multi-stream
// appends a keyed approval claims its key on its own before the
// reservation (three appends), and an approval the line cannot cover
// keeps its key claimed, so the key sent again with another body is a
// mismatch (docs/api.md's exception).
func TestApproveClaimWithoutMultiAppends(t *testing.T) {
	ctx := context.Background()
	p := &plainStore{Store: openStore(t, t.TempDir())}
	svc := approvalService(t, p)
	setUpClaims(t, svc, 1, 2)
	before := p.appends.Load()
	if _, err := ledger.ApproveClaim(ctx, svc, expansionClaimID(0), approve("appr1"), keyedApproverEnv("appr1", "approve-0")); err != nil {
		t.Fatal(err)
	}
	if n := p.appends.Load() - before; n != 3 {
		t.Errorf("%d appends for a keyed approval, want the key, the reservation and the approval", n)
	}
	env := keyedApproverEnv("appr1", "approve-1")
	if _, err := ledger.ApproveClaim(ctx, svc, expansionClaimID(1), approve("appr1"), env); !errors.Is(err, domain.ErrRejected) {
		t.Fatalf("approval beyond the line: %v, want the budget's refusal", err)
	}
	other := approve("appr1")
	other.Reason = "second look"
	again := env
	again.ID = uuid.New()
	if _, err := ledger.ApproveClaim(ctx, svc, expansionClaimID(1), other, again); !errors.Is(err, ledger.ErrIdempotencyMismatch) {
		t.Errorf("the key sent again with another body: %v, want a mismatch (the key stays claimed)", err)
	}
	checkAgreement(t, svc, p, 2)
}

// TestApproveClaimUncoveredLeavesKeyFree: an approval the budget line
// cannot cover writes nothing, its key's claim included (it would have
// shared the reservation's commit), so the key may be sent again with
// another body and is decided afresh rather than refused as a mismatch.
func TestApproveClaimUncoveredLeavesKeyFree(t *testing.T) {
	ctx := context.Background()
	st := openStore(t, t.TempDir())
	svc := approvalService(t, st)
	setUpClaims(t, svc, 1, 2)
	if _, err := ledger.ApproveClaim(ctx, svc, expansionClaimID(0), approve("appr1"), approverEnv("appr1")); err != nil {
		t.Fatal(err)
	}
	head := lastPosition(t, st)
	id := expansionClaimID(1)
	env := approverEnv("appr1")
	env.IdempotencyKey = "approve-" + id
	if _, err := ledger.ApproveClaim(ctx, svc, id, approve("appr1"), env); !errors.Is(err, domain.ErrRejected) {
		t.Fatalf("approval beyond the line: %v, want the budget's refusal", err)
	}
	if got := lastPosition(t, st); got != head {
		t.Errorf("the refused approval appended: log at %d, was %d", got, head)
	}
	other := approve("appr1")
	other.Reason = "second look"
	again := env
	again.ID = approverEnv("appr1").ID
	_, err := ledger.ApproveClaim(ctx, svc, id, other, again)
	var mismatch *ledger.IdempotencyMismatchError
	if errors.As(err, &mismatch) || !errors.Is(err, domain.ErrRejected) {
		t.Errorf("the key sent again with another body: %v, want the budget's refusal decided afresh", err)
	}
	checkAgreement(t, svc, st, 1)
}

// gatedStore holds the first append to stream (alone or with others),
// once armed, until release is closed; blocked is closed when it does.
type gatedStore struct {
	eventstore.MultiAppender
	stream           string
	armed            atomic.Bool
	blocked, release chan struct{}
}

func (g *gatedStore) Append(ctx context.Context, stream string, expected eventstore.ExpectedVersion, events ...eventstore.EventData) (eventstore.AppendResult, error) {
	g.gate(stream)
	return g.MultiAppender.Append(ctx, stream, expected, events...)
}

func (g *gatedStore) AppendMulti(ctx context.Context, parts ...eventstore.StreamAppend) ([]eventstore.AppendResult, error) {
	for _, p := range parts {
		g.gate(p.Stream)
	}
	return g.MultiAppender.AppendMulti(ctx, parts...)
}

// gatedLine returns a gatedStore on a new ledger that holds the
// expansion line's first append once armed.
func gatedLine(t *testing.T) *gatedStore {
	return &gatedStore{MultiAppender: openStore(t, t.TempDir()), stream: budget.Stream(expansionLine),
		blocked: make(chan struct{}), release: make(chan struct{})}
}

// holdLine arms g and approves claim i on svc, whose line append g then
// holds; it returns once it does, with the approval's outcome to come.
func holdLine(ctx context.Context, g *gatedStore, svc *ledger.Service, i int) <-chan error {
	g.armed.Store(true)
	holder := make(chan error, 1)
	go func() {
		_, err := ledger.ApproveClaim(ctx, svc, expansionClaimID(i), approve("appr1"), approverEnv("appr1"))
		holder <- err
	}()
	<-g.blocked
	return holder
}

// waitQueued waits until n commands queue on svc for g's stream.
func waitQueued(t *testing.T, svc *ledger.Service, g *gatedStore, n int) {
	t.Helper()
	for deadline := time.Now().Add(time.Minute); ledger.QueuedOps(svc, g.stream) < n; time.Sleep(time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("%d commands did not queue for %s within a minute", n, g.stream)
		}
	}
}

func (g *gatedStore) gate(stream string) {
	if stream == g.stream && g.armed.CompareAndSwap(true, false) {
		close(g.blocked)
		<-g.release
	}
}

// TestApproveClaimsUnderOneKeyInOneBatch: two approvals of different
// claims sent under one idempotency key, queued for the budget line while
// a third approval holds it, are combined into one append; only the first
// may carry the key's claim. The other is taken out of the batch, follows
// the key and is refused as a mismatch, reserving nothing.
func TestApproveClaimsUnderOneKeyInOneBatch(t *testing.T) {
	ctx := context.Background()
	g := gatedLine(t)
	svc := approvalService(t, g)
	setUpClaims(t, svc, 10, 3)
	holder := holdLine(ctx, g, svc, 2)
	errs := make([]error, 2)
	var wg sync.WaitGroup
	for i := range 2 {
		wg.Go(func() {
			_, errs[i] = ledger.ApproveClaim(ctx, svc, expansionClaimID(i), approve("appr1"), keyedApproverEnv("appr1", "approve-shared"))
		})
	}
	// Both queue for the line behind the holder before it lets go.
	waitQueued(t, svc, g, 2)
	close(g.release)
	wg.Wait()
	if err := <-holder; err != nil {
		t.Fatal(err)
	}
	won := -1
	for i, err := range errs {
		switch {
		case err == nil && won < 0:
			won = i
		case !errors.Is(err, ledger.ErrIdempotencyMismatch):
			t.Errorf("approval of claim %d: %v, want one success and one mismatch", i, err)
		}
	}
	if won < 0 {
		t.Fatal("neither approval under the shared key succeeded")
	}
	if n := countType(t, g, budget.Stream(expansionLine), "FundsReserved"); n != 2 {
		t.Errorf("line records %d reservations, want the holder's and the winner's", n)
	}
	if c := claimState(t, g, expansionClaimID(1-won)); c.Status != claim.StatusChecked {
		t.Errorf("the refused claim is %s, want still checked", c.Status)
	}
	if approved := checkAgreement(t, svc, g, 3); approved != 2 {
		t.Errorf("%d claims approved, want the holder's and the winner's", approved)
	}
}

// TestApprovalTakenOutOfTheLineBatchWhenItsClaimMoved: two approvals
// queued for the budget line behind a third are combined into one
// commit with their claims' appends. One claim is rejected by another
// process meanwhile, so its part's expected version refuses the commit:
// that approval is taken out, the other commits with its reservation, and
// the moved one, decided again on its claim as read, is refused having
// reserved nothing (no reservation to release).
func TestApprovalTakenOutOfTheLineBatchWhenItsClaimMoved(t *testing.T) {
	ctx := context.Background()
	g := gatedLine(t)
	svc, other := approvalService(t, g), approvalService(t, g)
	setUpClaims(t, svc, 10, 3)
	holder := holdLine(ctx, g, svc, 2)
	errs := make([]error, 2)
	var wg sync.WaitGroup
	for i := range 2 {
		wg.Go(func() {
			_, errs[i] = ledger.ApproveClaim(ctx, svc, expansionClaimID(i), approve("appr1"), keyedApproverEnv("appr1", fmt.Sprint("approve-", i)))
		})
	}
	waitQueued(t, svc, g, 2)
	reject := claim.Reject{Reason: "forged contract", Actor: "appr2", Role: role.Approver, At: claimAt}
	if _, err := ledger.RejectClaim(ctx, other, expansionClaimID(1), reject, approverEnv("appr2")); err != nil {
		t.Fatal(err)
	}
	close(g.release)
	wg.Wait()
	if err := <-holder; err != nil {
		t.Fatal(err)
	}
	if errs[0] != nil {
		t.Errorf("approval of the unmoved claim: %v", errs[0])
	}
	if !errors.Is(errs[1], domain.ErrRejected) {
		t.Errorf("approval of the rejected claim: %v, want refused", errs[1])
	}
	if c := claimState(t, g, expansionClaimID(1)); c.Status != claim.StatusRejected {
		t.Errorf("the moved claim is %s, want rejected", c.Status)
	}
	if n := countType(t, g, budget.Stream(expansionLine), "FundsReserved"); n != 2 {
		t.Errorf("line records %d reservations, want the holder's and the unmoved claim's", n)
	}
	if n := countType(t, g, budget.Stream(expansionLine), "FundsReleased"); n != 0 {
		t.Errorf("line records %d releases, want none (nothing was reserved for the moved claim)", n)
	}
	if approved := checkAgreement(t, svc, g, 3); approved != 2 {
		t.Errorf("%d claims approved, want the holder's and the unmoved claim's", approved)
	}
}
