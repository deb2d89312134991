package ledger_test

import (
	"context"
	"errors"
	"testing"

	"github.com/google/uuid"

	"github.com/haixi-hrss/fundledger/domain"
	"github.com/haixi-hrss/fundledger/domain/identity"
	"github.com/haixi-hrss/fundledger/domain/role"
	"github.com/haixi-hrss/fundledger/eventstore"
	"github.com/haixi-hrss/fundledger/ledger"
	"github.com/haixi-hrss/fundledger/ledger/schema"
	"github.com/haixi-hrss/fundledger/persondata"
)

const erasureReason = "deletion request of 2025-03-10 under PIPL art. 47"

func eraseOf(ref identity.PersonRef, actor, roleName string) persondata.Erase {
	return persondata.Erase{Person: ref, Reason: erasureReason, Actor: actor, Role: roleName, At: claimAt}
}

func adminEnv() ledger.Command {
	return ledger.Command{ID: uuid.New(), Actor: "admin1", Role: role.Administrator}
}

// checkErasureRecord: ref's erasure stream holds exactly one
// IdentityErased, naming the reference, the actor, the administrator role
// and the reason, in its payload and its metadata.
func checkErasureRecord(t *testing.T, st eventstore.Store, ref identity.PersonRef, actor string) {
	t.Helper()
	evs := readStream(t, st, persondata.ErasureStream(ref))
	if len(evs) != 1 {
		t.Fatalf("the erasure stream holds %d events, want one", len(evs))
	}
	ev, err := schema.Codec().Decode(&evs[0])
	if err != nil {
		t.Fatal(err)
	}
	e, ok := ev.(*persondata.IdentityErased)
	if !ok || e.Person != ref || e.Actor != actor || e.Role != role.Administrator || e.Reason != erasureReason {
		t.Errorf("erasure record %+v, want %s's erasure of %s, with the reason", ev, actor, ref)
	}
	if md := evs[0].Metadata; md.Actor != actor || md.Role != role.Administrator {
		t.Errorf("erasure metadata names %s as %s, want %s as administrator", md.Actor, md.Role, actor)
	}
}

// registered returns a person register, a service and a store on a fresh
// data directory, with one person registered.
func registered(t *testing.T) (*ledger.People, *faultyStore, *ledger.Service, identity.ResidentID, string) {
	t.Helper()
	dir := t.TempDir()
	people := openPeople(t, dir)
	f := &faultyStore{Store: openStore(t, dir), fail: func(string) error { return nil }}
	id := residentID(t, "20030415", 123)
	if _, _, err := people.Register(context.Background(), id, "马晓梅"); err != nil {
		t.Fatal(err)
	}
	return people, f, paymentService(t, f), id, dir
}

// TestEraseIsRecordedBeforeTheKeyIsDestroyed: an erasure whose record
// cannot be appended destroys nothing: the identity is still revealed.
func TestEraseIsRecordedBeforeTheKeyIsDestroyed(t *testing.T) {
	ctx := context.Background()
	people, f, svc, id, _ := registered(t)
	ref := people.Ref(id)
	f.fail = func(stream string) error {
		if stream == persondata.ErasureStream(ref) {
			return errCrashed
		}
		return nil
	}
	if err := people.Erase(ctx, svc, eraseOf(ref, "admin1", role.Administrator), adminEnv()); !errors.Is(err, errCrashed) {
		t.Fatalf("erase with the append failing: err = %v, want the append's error", err)
	}
	f.fail = func(string) error { return nil }
	if who, err := people.Reveal(ctx, svc, revealTo(ref, "aud1", role.Auditor), auditorEnv()); err != nil || who.ResidentID != id {
		t.Errorf("reveal after an unrecorded erasure = %v, %v; want the identity, nothing destroyed", who.ResidentID, err)
	}
}

// TestEraseRetryCompletesTheDestruction: when the key cannot be destroyed
// after the record was appended (here: the key store is closed), a retry
// of the same command destroys it and records nothing more; another
// administrator's later erasure records nothing either.
func TestEraseRetryCompletesTheDestruction(t *testing.T) {
	ctx := context.Background()
	people, f, svc, id, dir := registered(t)
	ref := people.Ref(id)
	env := adminEnv()
	env.IdempotencyKey = "erase-1"
	if err := people.Close(); err != nil {
		t.Fatal(err)
	}
	if err := people.Erase(ctx, svc, eraseOf(ref, "admin1", role.Administrator), env); err == nil {
		t.Fatal("erase with the key store closed succeeded")
	}
	checkErasureRecord(t, f.Store, ref, "admin1")

	people = openPeople(t, dir)
	if who, err := people.Reveal(ctx, svc, revealTo(ref, "aud1", role.Auditor), auditorEnv()); err != nil || who.ResidentID != id {
		t.Fatalf("before the retry the key should still be there: %v, %v", who.ResidentID, err)
	}
	head := lastPosition(t, f.Store) // the reveal is recorded
	if err := people.Erase(ctx, svc, eraseOf(ref, "admin1", role.Administrator), env); err != nil {
		t.Fatalf("retry: %v", err)
	}
	if err := people.Erase(ctx, svc, eraseOf(ref, "admin2", role.Administrator), ledger.Command{ID: uuid.New(), Actor: "admin2", Role: role.Administrator}); err != nil {
		t.Fatalf("erasing again: %v", err)
	}
	if got := lastPosition(t, f.Store); got != head {
		t.Errorf("the retry and the repeat appended: log at %d, was %d", got, head)
	}
	checkErasureRecord(t, f.Store, ref, "admin1")
	if _, err := people.Reveal(ctx, svc, revealTo(ref, "aud1", role.Auditor), auditorEnv()); !errors.Is(err, persondata.ErrErased) {
		t.Errorf("reveal after the retried erasure: err = %v, want ErrErased", err)
	}
}

// TestEraseRefusals: a role other than administrator, or a missing or
// unfit reason, records and destroys nothing.
func TestEraseRefusals(t *testing.T) {
	ctx := context.Background()
	people, f, svc, id, _ := registered(t)
	ref := people.Ref(id)
	tests := []struct {
		name  string
		cmd   persondata.Erase
		want  error
		field string
	}{
		{"clerk", eraseOf(ref, "clerk1", role.Clerk), domain.ErrRejected, ""},
		{"auditor", eraseOf(ref, "aud1", role.Auditor), domain.ErrRejected, ""},
		{"no reason", persondata.Erase{Person: ref, Reason: "  ", Actor: "admin1", Role: role.Administrator, At: claimAt}, domain.ErrInvalid, "reason"},
		{"reason with an ID", persondata.Erase{Person: ref, Reason: "request of " + id.Plain(), Actor: "admin1", Role: role.Administrator, At: claimAt}, domain.ErrInvalid, "reason"},
		{"malformed reference", eraseOf("abc", "admin1", role.Administrator), domain.ErrInvalid, "person"},
	}
	head := lastPosition(t, f.Store)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := people.Erase(ctx, svc, tt.cmd, ledger.Command{ID: uuid.New(), Actor: tt.cmd.Actor, Role: tt.cmd.Role})
			var fe *domain.FieldError
			if !errors.Is(err, tt.want) || (tt.field != "" && (!errors.As(err, &fe) || fe.Field != tt.field)) {
				t.Errorf("err = %v, want %v on field %q", err, tt.want, tt.field)
			}
		})
	}
	if got := lastPosition(t, f.Store); got != head {
		t.Errorf("refused erasures appended: log at %d, was %d", got, head)
	}
	if who, err := people.Reveal(ctx, svc, revealTo(ref, "aud1", role.Auditor), auditorEnv()); err != nil || who.ResidentID != id {
		t.Errorf("reveal after refused erasures = %v, %v; want the identity", who.ResidentID, err)
	}
}
