package ledger

import (
	"context"
	"errors"
	"fmt"
	"slices"

	"github.com/haixi-hrss/fundledger/domain/claim"
	"github.com/haixi-hrss/fundledger/domain/expansion"
	"github.com/haixi-hrss/fundledger/domain/programme"
	"github.com/haixi-hrss/fundledger/domain/uniqueness"
)

// OneTimeKeyBackfill says what BackfillOneTimeKeys found and did.
type OneTimeKeyBackfill struct {
	// Candidates are the expansion claims submitted without the shared
	// one-time-subsidy key.
	Candidates int
	// Reserved: the key was reserved for the claim now; AlreadyHeld: an
	// earlier run had reserved it.
	Reserved, AlreadyHeld int
	// Released: the claim no longer holds its keys (rejected, or
	// cancelled before any payment), so it needs none.
	Released int
	// NotHolder: the claim does not hold its own expansion-person key
	// (written without SubmitClaim, or its key was taken over), so it is
	// not the person's grant and is left alone.
	NotHolder int
	// Conflicts maps a claim ID to the claim holding the person's shared
	// key instead, a one-time absorption claim filed while the older
	// expansion claim did not hold it: one person with both one-time
	// subsidies, for an officer to resolve (cancel one), not for a
	// program to choose.
	Conflicts map[string]string
}

// BackfillOneTimeKeys gives expansion claims submitted before the grant
// reserved the key it shares with the one-time absorption subsidy
// (uniqueness.RuleHireOneTimeSubsidy, issue 3) that key. It scans the
// global log for ClaimSubmitted of the expansion programme without the
// key and, for each claim that still holds its keys (KeysReleasable is
// false) and holds its own expansion-person key, reserves the shared key
// for the claim's owner name, as SubmitClaim would have.
//
// It is idempotent and safe beside live traffic: a key the claim already
// holds is left as it is, a key held by another claim is reported in
// Conflicts (nothing is taken from anyone), and reservations rely on the
// store's concurrency control like every other. ReleaseClaimKeys releases
// the backfilled key with the others when the claim is later rejected or
// cancelled unpaid. Run it once after upgrading, or at every start-up:
// cost is one pass over the log plus a few reads per candidate. The
// service's codec must know the claim event types.
func BackfillOneTimeKeys(ctx context.Context, s *Service) (OneTimeKeyBackfill, error) {
	out := OneTimeKeyBackfill{Conflicts: map[string]string{}}
	ids, err := s.expansionClaimsWithoutSharedKey(ctx)
	if err != nil {
		return out, err
	}
	out.Candidates = len(ids)
	for _, id := range ids {
		if err := s.backfillOneTimeKey(ctx, id, &out); err != nil {
			return out, fmt.Errorf("ledger: backfill one-time key of claim %s: %w", id, err)
		}
	}
	return out, nil
}

func (s *Service) backfillOneTimeKey(ctx context.Context, id string, out *OneTimeKeyBackfill) error {
	owner := claim.Stream(id)
	evs, st, err := s.readClaim(ctx, owner)
	if err != nil {
		return err
	}
	shared, ok := backfilledKey(st)
	if !ok {
		return nil
	}
	if releasable, _ := KeysReleasable(st); releasable {
		out.Released++
		return nil
	}
	person := uniqueness.Key{Rule: expansion.KeyPerson, Value: shared.Value}
	if h, err := s.Holder(ctx, person); err != nil || h != owner {
		if err == nil {
			out.NotHolder++
		}
		return err
	}
	h, err := s.Holder(ctx, shared)
	switch {
	case err != nil:
		return err
	case h == owner:
		out.AlreadyHeld++
		return nil
	}
	// The key is reserved as the submission would have reserved it: on
	// behalf of the clerk who submitted, caused by the submission.
	err = s.reserve(ctx, shared, owner, causedBy(&evs[0]))
	var dup *DuplicateError
	switch {
	case errors.As(err, &dup):
		out.Conflicts[id] = dup.Owner
		return nil
	case err != nil:
		return err
	}
	out.Reserved++
	// The claim may have been closed since it was read, its keys
	// released before this one was taken: release it too.
	_, err = ReleaseClaimKeys(ctx, s, id)
	return err
}

// expansionClaimsWithoutSharedKey returns, in log order, the IDs of the
// expansion claims whose submission lacks the shared one-time key.
func (s *Service) expansionClaimsWithoutSharedKey(ctx context.Context) ([]string, error) {
	const page = 4096
	var ids []string
	for after := uint64(0); ; {
		evs, err := s.store.ReadAll(ctx, after, page)
		if err != nil {
			return nil, fmt.Errorf("ledger: read the log after %d: %w", after, err)
		}
		for i := range evs {
			if evs[i].Type != (claim.Submitted{}).EventType() {
				continue
			}
			ev, err := s.codec.Decode(&evs[i])
			if err != nil {
				return nil, fmt.Errorf("ledger: %s version %d: %w", evs[i].Stream, evs[i].Version, err)
			}
			if sub, ok := ev.(*claim.Submitted); ok {
				if _, missing := backfilledKey(claim.State{Programme: sub.Programme, UniquenessKeys: sub.UniquenessKeys}); missing {
					ids = append(ids, sub.ClaimID)
				}
			}
		}
		if len(evs) < page {
			return ids, nil
		}
		after = evs[len(evs)-1].Position
	}
}

// backfilledKey returns the shared one-time key an expansion claim in
// state st holds beside its submitted keys because it was submitted
// before the grant reserved it, and false for any other claim.
func backfilledKey(st claim.State) (uniqueness.Key, bool) {
	if st.Programme != programme.Expansion {
		return uniqueness.Key{}, false
	}
	i := slices.IndexFunc(st.UniquenessKeys, func(k uniqueness.Key) bool { return k.Rule == expansion.KeyPerson })
	if i < 0 {
		return uniqueness.Key{}, false
	}
	shared := uniqueness.HireOneTimeSubsidy(st.UniquenessKeys[i].Value)
	if slices.Contains(st.UniquenessKeys, shared) {
		return uniqueness.Key{}, false
	}
	return shared, true
}

// claimKeys are the uniqueness keys claim st may hold: its submitted keys
// and a backfilled one (BackfillOneTimeKeys).
func claimKeys(st claim.State) []uniqueness.Key {
	if shared, ok := backfilledKey(st); ok {
		return append(slices.Clip(st.UniquenessKeys), shared)
	}
	return st.UniquenessKeys
}
