package ledger_test

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"

	"github.com/haixi-hrss/fundledger/domain/uniqueness"
	"github.com/haixi-hrss/fundledger/eventstore/sqlite"
	"github.com/haixi-hrss/fundledger/ledger"
)

// raceReserve has n distinct owners reserve key at once, checks that
// exactly one won and every other got ErrDuplicate naming it, and returns
// the winner.
func raceReserve(t *testing.T, svc *ledger.Service, key uniqueness.Key, n int, owner func(int) string) string {
	t.Helper()
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() { errs[i] = svc.Reserve(context.Background(), key, owner(i)) })
	}
	wg.Wait()
	winner := ""
	for i, err := range errs {
		if err == nil {
			if winner != "" {
				t.Fatalf("both %s and %s reserved %s", winner, owner(i), key.Stream())
			}
			winner = owner(i)
		}
	}
	if winner == "" {
		t.Fatalf("nobody reserved %s: first error %v", key.Stream(), errs[0])
	}
	for i, err := range errs {
		var de *ledger.DuplicateError
		if err != nil && (!errors.Is(err, ledger.ErrDuplicate) || !errors.As(err, &de) || de.Owner != winner) {
			t.Errorf("owner %s: err = %v, want ErrDuplicate naming %s", owner(i), err, winner)
		}
	}
	return winner
}

func TestReserveExactlyOneOf200(t *testing.T) {
	st := openStore(t, t.TempDir())
	svc := newService(t, st)
	key := uniqueness.Key{Rule: "expansion-person", Value: "person-ref-1"}
	winner := raceReserve(t, svc, key, 200, func(i int) string { return fmt.Sprintf("claim-%d", i) })

	if holder, err := svc.Holder(context.Background(), key); err != nil || holder != winner {
		t.Errorf("Holder = %q (%v), want %s", holder, err, winner)
	}
	if n := len(readStream(t, st, key.Stream())); n != 1 {
		t.Errorf("reservation stream has %d events, want 1", n)
	}
}

func TestReserveBySameOwnerIsIdempotent(t *testing.T) {
	ctx := context.Background()
	st := openStore(t, t.TempDir())
	svc := newService(t, st)
	key := uniqueness.Key{Rule: "expansion-person", Value: "person-ref-1"}
	// The same owner racing itself (a retried process step) always succeeds.
	var wg sync.WaitGroup
	for range 20 {
		wg.Go(func() {
			if err := svc.Reserve(ctx, key, "claim-1"); err != nil {
				t.Errorf("same owner: %v", err)
			}
		})
	}
	wg.Wait()
	if err := svc.Reserve(ctx, key, "claim-1"); err != nil {
		t.Errorf("same owner again: %v", err)
	}
	if n := len(readStream(t, st, key.Stream())); n != 1 {
		t.Errorf("reservation stream has %d events, want 1", n)
	}
}

func TestReleaseThenReserveAgain(t *testing.T) {
	ctx := context.Background()
	st := openStore(t, t.TempDir())
	svc := newService(t, st)
	key := uniqueness.Key{Rule: "skill-upgrade", Value: "person-ref-1/6-01-02/4"}

	if err := svc.Release(ctx, key, "claim-1", "rejected"); !errors.Is(err, ledger.ErrNotOwner) {
		t.Errorf("release of an unreserved key: err = %v, want ErrNotOwner", err)
	}
	if err := svc.Reserve(ctx, key, "claim-1"); err != nil {
		t.Fatal(err)
	}
	if err := svc.Release(ctx, key, "claim-2", "cancelled"); !errors.Is(err, ledger.ErrNotOwner) {
		t.Errorf("release by a non-owner: err = %v, want ErrNotOwner", err)
	}
	if err := svc.Release(ctx, key, "claim-1", "rejected"); err != nil {
		t.Fatal(err)
	}
	if err := svc.Release(ctx, key, "claim-1", "rejected"); err != nil {
		t.Errorf("second release by the same owner: %v", err)
	}
	if holder, err := svc.Holder(ctx, key); err != nil || holder != "" {
		t.Errorf("Holder after release = %q (%v), want none", holder, err)
	}

	// Re-reservation after a release is as race-free as the first one.
	winner := raceReserve(t, svc, key, 50, func(i int) string { return fmt.Sprintf("claim-%d", 100+i) })
	if err := svc.Release(ctx, key, "claim-1", "late"); !errors.Is(err, ledger.ErrNotOwner) {
		t.Errorf("old owner's release after a new reservation: err = %v, want ErrNotOwner", err)
	}
	evs := readStream(t, st, key.Stream())
	if len(evs) != 3 {
		t.Fatalf("reservation stream has %d events, want reserved, released, reserved", len(evs))
	}
	if want := `{"owner":"` + winner + `"}`; string(evs[2].Data) != want {
		t.Errorf("last record %s, want %s", evs[2].Data, want)
	}
}

// TestReserveAfterOwnReleaseReallyHolds guards against the store's
// idempotent-retry rule: the owner's first reservation is still in the
// stream after its release, and an append that merely repeated it would be
// acknowledged without making the owner the holder again.
func TestReserveAfterOwnReleaseReallyHolds(t *testing.T) {
	ctx := context.Background()
	st := openStore(t, t.TempDir())
	svc := newService(t, st)
	key := uniqueness.Key{Rule: "expansion-person", Value: "person-ref-2"}

	for round := range 3 {
		if err := svc.Reserve(ctx, key, "claim-1"); err != nil {
			t.Fatalf("round %d: reserve: %v", round, err)
		}
		if holder, err := svc.Holder(ctx, key); err != nil || holder != "claim-1" {
			t.Fatalf("round %d: Holder after reserve = %q (%v), want claim-1", round, holder, err)
		}
		if err := svc.Release(ctx, key, "claim-1", "objection upheld"); err != nil {
			t.Fatalf("round %d: release: %v", round, err)
		}
	}
	if evs := readStream(t, st, key.Stream()); len(evs) != 6 {
		t.Fatalf("reservation stream has %d events, want 3 reservations and 3 releases", len(evs))
	}
}

type badKey string

func (k badKey) Stream() string { return string(k) }

func TestReserveRejectsBadInput(t *testing.T) {
	svc := newService(t, openStore(t, t.TempDir()))
	ctx := context.Background()
	if err := svc.Reserve(ctx, badKey("$system"), "claim-1"); err == nil {
		t.Error("a system stream name was accepted as a uniqueness key")
	}
	if err := svc.Reserve(ctx, uniqueness.Key{Rule: "r", Value: "v"}, ""); err == nil {
		t.Error("an empty owner was accepted")
	}
}

func TestReservationSurvivesRestart(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	key := uniqueness.Key{Rule: "expansion-person", Value: "person-ref-1"}
	st, err := sqlite.Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	if err := newService(t, st).Reserve(ctx, key, "claim-1"); err != nil {
		t.Fatal(err)
	}
	if err := st.Close(); err != nil {
		t.Fatal(err)
	}
	svc := newService(t, openStore(t, dir))
	var de *ledger.DuplicateError
	if err := svc.Reserve(ctx, key, "claim-2"); !errors.As(err, &de) || de.Owner != "claim-1" {
		t.Errorf("after restart: err = %v, want ErrDuplicate naming claim-1", err)
	}
}
