package ledger_test

import (
	"context"
	"fmt"
	"sync"
	"testing"

	"github.com/google/uuid"

	"github.com/haixi-hrss/fundledger/domain/claim"
	"github.com/haixi-hrss/fundledger/domain/expansion"
	"github.com/haixi-hrss/fundledger/domain/identity"
	"github.com/haixi-hrss/fundledger/domain/role"
	"github.com/haixi-hrss/fundledger/eventstore"
	"github.com/haixi-hrss/fundledger/ledger"
)

// afterFirstExists runs hook once, right after the first existence check
// (ReadStreamBackward) of stream has read its answer.
type afterFirstExists struct {
	eventstore.Store
	stream string
	once   sync.Once
	hook   func()
}

func (a *afterFirstExists) ReadStreamBackward(ctx context.Context, stream string, n int) ([]eventstore.Event, error) {
	evs, err := a.Store.ReadStreamBackward(ctx, stream, n)
	if stream == a.stream {
		a.once.Do(a.hook)
	}
	return evs, err
}

// TestOvertakenSubmissionReleasesItsKeys: SubmitClaim's retry of a
// request (same command ID and key, as the API derives them) on a second
// process finds the claim stream empty; before it reserves, the first
// run submits, the claim is checked and rejected, and its keys are
// released. The retry then reserves the keys again and appends the
// submission with NoStream, which the store acknowledges as a retry of
// the first run's. SubmitClaim's doc promises that when the first run
// overtook it the keys are released again (ReleaseClaimKeys), so the
// rejected claim must not keep the person's key.
func TestOvertakenSubmissionReleasesItsKeys(t *testing.T) {
	ctx := context.Background()
	base := openStore(t, t.TempDir())
	first := approvalService(t, base)
	f := hire(identity.PersonRef(fmt.Sprintf("%064x", 7007)), 0)
	submit := submitExpansion(0, f)
	env := ledger.Command{ID: uuid.NewSHA1(uuid.NameSpaceURL, []byte("claim/"+submit.ClaimID)), IdempotencyKey: "claim/" + submit.ClaimID,
		Actor: "clerk1", Role: role.Clerk}
	id := submit.ClaimID
	hooked := &afterFirstExists{Store: base, stream: claim.Stream(id), hook: func() {
		if _, err := ledger.SubmitClaim(ctx, first, submit, env); err != nil {
			t.Errorf("first run: %v", err)
			return
		}
		checkExpansion(t, first, id, f)
		if _, err := ledger.RejectClaim(ctx, first, id, claim.Reject{Reason: "not eligible on review", Actor: "appr1", Role: role.Approver, At: claimAt},
			ledger.Command{ID: uuid.New(), Actor: "appr1", Role: role.Approver}); err != nil {
			t.Errorf("reject: %v", err)
		}
	}}
	second := approvalService(t, hooked)
	res, err := ledger.SubmitClaim(ctx, second, submit, env)
	if err != nil {
		t.Fatal(err)
	}
	for _, key := range expansion.Keys(f) {
		if h := holder(t, second, key); h != "" {
			t.Errorf("key %v held by %q after the claim was rejected (retry's result: %+v)", key, h, res)
		}
	}
}
