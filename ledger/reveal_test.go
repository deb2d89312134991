package ledger_test

import (
	"bytes"
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

// revealTo asks for ref's identity as actor in roleName, with a reason.
func revealTo(ref identity.PersonRef, actor, roleName string) persondata.Reveal {
	return persondata.Reveal{Person: ref, Reason: "complaint 2025-117 about claim exp-2025-000", Actor: actor, Role: roleName, At: claimAt}
}

func auditorEnv() ledger.Command {
	return ledger.Command{ID: uuid.New(), Actor: "aud1", Role: role.Auditor}
}

// wholeLog reads every event of the global log.
func wholeLog(t testing.TB, st eventstore.Store) []eventstore.Event {
	t.Helper()
	var all []eventstore.Event
	for from := uint64(0); ; {
		evs, err := st.ReadAll(context.Background(), from, 1000)
		if err != nil {
			t.Fatal(err)
		}
		if len(evs) == 0 {
			return all
		}
		all = append(all, evs...)
		from = evs[len(evs)-1].Position
	}
}

// logContains reports whether any event's data or metadata holds b.
func logContains(t testing.TB, st eventstore.Store, b []byte) bool {
	t.Helper()
	for _, ev := range wholeLog(t, st) {
		m := ev.Metadata
		for _, field := range [][]byte{ev.Data, []byte(m.Actor), []byte(m.Role), []byte(m.CorrelationID), []byte(m.CausationID), []byte(m.IdempotencyKey)} {
			if bytes.Contains(field, b) {
				return true
			}
		}
	}
	return false
}

// TestRevealIsRecordedFirst: a reveal appends IdentityRevealed, naming the
// actor, role, reason and the person's keyed reference, to the person's
// reveal stream; neither the resident ID nor the name enters the log.
func TestRevealIsRecordedFirst(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	st := openStore(t, dir)
	svc := paymentService(t, st)
	people := openPeople(t, dir)
	id := residentID(t, "20030415", 123)
	const name = "马晓梅"
	ref, _, err := people.Register(ctx, id, name)
	if err != nil {
		t.Fatal(err)
	}
	cmd := revealTo(ref, "aud1", role.Auditor)
	who, err := people.Reveal(ctx, svc, cmd, auditorEnv())
	if err != nil || who.ResidentID != id || who.Name != name {
		t.Fatalf("reveal = %v %q, %v; want the registered identity", who.ResidentID, who.Name, err)
	}

	raw := readStream(t, st, persondata.RevealStream(ref))
	if len(raw) != 1 {
		t.Fatalf("reveal stream holds %d events, want 1", len(raw))
	}
	ev, err := schema.Codec().Decode(&raw[0])
	if err != nil {
		t.Fatal(err)
	}
	rec, ok := ev.(*persondata.IdentityRevealed)
	if !ok {
		t.Fatalf("recorded %T, want *persondata.IdentityRevealed", ev)
	}
	if rec.Person != ref || rec.Actor != "aud1" || rec.Role != role.Auditor || rec.Reason != cmd.Reason || !rec.At.Equal(claimAt) {
		t.Errorf("recorded %+v, want ref, aud1, auditor, %q at %s", rec, cmd.Reason, claimAt)
	}
	if m := raw[0].Metadata; m.Actor != "aud1" || m.Role != role.Auditor {
		t.Errorf("metadata names %s/%s, want aud1/auditor", m.Actor, m.Role)
	}
	// The search must find what is there, or missing the plaintext would
	// prove nothing.
	if !logContains(t, st, []byte(ref)) {
		t.Fatal("the person reference is not found in the log")
	}
	for _, secret := range []string{id.Plain(), name} {
		if logContains(t, st, []byte(secret)) {
			t.Errorf("the log holds %q in plaintext", secret)
		}
	}

	// Every reveal is recorded, not only the first.
	if _, err := people.Reveal(ctx, svc, revealTo(ref, "tre1", role.Treasurer), treasurerEnv()); err != nil {
		t.Fatal(err)
	}
	if n := len(readStream(t, st, persondata.RevealStream(ref))); n != 2 {
		t.Errorf("after a second reveal the stream holds %d events, want 2", n)
	}
}

// TestRevealRefusedRecordsNothing: a reveal refused for its input or role,
// or one that cannot be recorded, appends nothing and shows nothing.
func TestRevealRefusedRecordsNothing(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	st := openStore(t, dir)
	people := openPeople(t, dir)
	id := residentID(t, "20011102", 246)
	ref, _, err := people.Register(ctx, id, "才让多杰")
	if err != nil {
		t.Fatal(err)
	}
	unrecordable := &faultyStore{Store: st, fail: func(stream string) error {
		if stream == persondata.RevealStream(ref) {
			return errCrashed
		}
		return nil
	}}
	healthy, failing := paymentService(t, st), paymentService(t, unrecordable)
	noReason := revealTo(ref, "aud1", role.Auditor)
	noReason.Reason = "  "
	withID := revealTo(ref, "aud1", role.Auditor)
	withID.Reason = "checking " + id.Plain()
	tests := []struct {
		name   string
		svc    *ledger.Service
		cmd    persondata.Reveal
		target error
		rule   string
	}{
		{"no reason", healthy, noReason, domain.ErrInvalid, "required"},
		{"identity number in the reason", healthy, withID, domain.ErrInvalid, "no-identifier"},
		{"evaluator", healthy, revealTo(ref, "eva1", role.Evaluator), domain.ErrRejected, "role-clerk-or-approver-or-treasurer-or-auditor"},
		{"malformed reference", healthy, revealTo("not-a-ref", "aud1", role.Auditor), domain.ErrInvalid, "person-ref"},
		{"record fails", failing, revealTo(ref, "aud1", role.Auditor), errCrashed, ""},
	}
	head := lastPosition(t, st)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			who, err := people.Reveal(ctx, tt.svc, tt.cmd, auditorEnv())
			if !errors.Is(err, tt.target) {
				t.Fatalf("err = %v, want %v", err, tt.target)
			}
			var fe *domain.FieldError
			var re *domain.RuleError
			switch {
			case errors.As(err, &fe) && (fe.Rule != tt.rule || (tt.rule == "required" && fe.Field != "reason")):
				t.Errorf("err = %v, want rule %s", err, tt.rule)
			case errors.As(err, &re) && re.Rule != tt.rule:
				t.Errorf("err = %v, want rule %s", err, tt.rule)
			}
			if !who.ResidentID.IsZero() || who.Name != "" {
				t.Errorf("a refused reveal returned the identity %v", who.ResidentID)
			}
			if got := lastPosition(t, st); got != head {
				t.Errorf("the refusal appended: log at %d, was %d", got, head)
			}
		})
	}
}
