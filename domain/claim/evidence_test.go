package claim

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/haixi-hrss/fundledger/domain"
	"github.com/haixi-hrss/fundledger/domain/aggregatetest"
	"github.com/haixi-hrss/fundledger/domain/calendar"
	"github.com/haixi-hrss/fundledger/domain/programme"
	"github.com/haixi-hrss/fundledger/domain/role"
)

// digest returns a well-formed SHA-256 hex digest that differs by c.
func digest(c byte) string { return strings.Repeat(string(c), 64) }

func evidence(d string) RecordEvidence {
	return RecordEvidence{Kind: LabourContract, DocumentNo: "HT-2025-0042", Digest: d, ReceivedOn: monday,
		Note: "original seen, copy filed", Actor: "clerk1", Role: role.Clerk, At: at}
}

func TestEvidenceInput(t *testing.T) {
	change := func(f func(*RecordEvidence)) RecordEvidence {
		c := evidence(digest('a'))
		f(&c)
		return c
	}
	tests := []struct {
		name   string
		cmd    RecordEvidence
		target error
		field  string
		rule   string
	}{
		{"no kind", change(func(c *RecordEvidence) { c.Kind = "" }), domain.ErrInvalid, "kind", "required"},
		{"unknown kind", change(func(c *RecordEvidence) { c.Kind = "photo" }), domain.ErrInvalid, "kind", "evidence-kind"},
		{"no document number", change(func(c *RecordEvidence) { c.DocumentNo = "  " }), domain.ErrInvalid, "documentNo", "required"},
		{"document number of 65", change(func(c *RecordEvidence) { c.DocumentNo = strings.Repeat("号", 65) }), domain.ErrInvalid, "documentNo", "max-length"},
		{"document number is a resident ID", change(func(c *RecordEvidence) { c.DocumentNo = "632801199903151230" }), domain.ErrInvalid, "documentNo", "no-id-number"},
		{"no digest", change(func(c *RecordEvidence) { c.Digest = "" }), domain.ErrInvalid, "digest", "required"},
		{"digest of 63", change(func(c *RecordEvidence) { c.Digest = digest('a')[1:] }), domain.ErrInvalid, "digest", "sha256-hex"},
		{"upper-case digest", change(func(c *RecordEvidence) { c.Digest = digest('A') }), domain.ErrInvalid, "digest", "sha256-hex"},
		{"digest not hex", change(func(c *RecordEvidence) { c.Digest = digest('g') }), domain.ErrInvalid, "digest", "sha256-hex"},
		{"no day received", change(func(c *RecordEvidence) { c.ReceivedOn = calendar.Date{} }), domain.ErrInvalid, "receivedOn", "required"},
		{"received tomorrow", change(func(c *RecordEvidence) { c.ReceivedOn = monday.AddDays(1) }), domain.ErrInvalid, "receivedOn", "not-in-future"},
		{"note of 501", change(func(c *RecordEvidence) { c.Note = strings.Repeat("注", 501) }), domain.ErrInvalid, "note", "max-length"},
		{"note with a 15-digit ID", change(func(c *RecordEvidence) { c.Note = "old ID 632801990315123 seen" }), domain.ErrInvalid, "note", "no-id-number"},
		{"no actor", change(func(c *RecordEvidence) { c.Actor = "" }), domain.ErrInvalid, "actor", "required"},
		{"no time", change(func(c *RecordEvidence) { c.At = time.Time{} }), domain.ErrInvalid, "at", "required"},
		{"approver records", change(func(c *RecordEvidence) { c.Role = role.Approver }), domain.ErrRejected, "role", "role-clerk"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			l := checkedLog(t, "5000")
			_, err := l.Do(tt.cmd)
			wantRule(t, err, tt.target, tt.rule)
			if f := errField(err); f != tt.field {
				t.Fatalf("field = %q, want %q (%v)", f, tt.field, err)
			}
			if len(l.State.Evidence) != 0 {
				t.Fatalf("refused evidence recorded: %+v", l.State.Evidence)
			}
		})
	}
}

func TestEvidenceAccepted(t *testing.T) {
	tests := []struct {
		name string
		cmd  RecordEvidence
	}{
		{"received today, late in the Beijing day", func() RecordEvidence {
			c := evidence(digest('b'))
			// 23:30 in Beijing is 15:30 UTC: still the same business day.
			c.At, c.ReceivedOn = time.Date(2025, 3, 3, 15, 30, 0, 0, time.UTC), monday
			return c
		}()},
		{"note of 500 with a 14-digit phone-like run", func() RecordEvidence {
			c := evidence(digest('c'))
			c.Note = "tel 09798123456 " + strings.Repeat("注", 484)
			return c
		}()},
		{"no note, document number of 64", func() RecordEvidence {
			c := evidence(digest('d'))
			c.Note, c.DocumentNo, c.Kind = "", strings.Repeat("号", 64), BankAccount
			return c
		}()},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			l := checkedLog(t, "5000")
			l.Must(tt.cmd)
			got := l.State.Evidence
			if len(got) != 1 || got[0].Digest != tt.cmd.Digest || got[0].Kind != tt.cmd.Kind || got[0].DocumentNo != tt.cmd.DocumentNo ||
				got[0].ReceivedOn != tt.cmd.ReceivedOn || got[0].Actor != "clerk1" || got[0].Role != role.Clerk || !got[0].At.Equal(tt.cmd.At) {
				t.Fatalf("evidence = %+v, want %+v", got, tt.cmd)
			}
			l.CheckReplay()
		})
	}
}

// TestEvidenceByStatus walks the claim's life: evidence is taken before a
// decision (and again after an objection sends the claim back to review),
// refused once the claim is decided.
func TestEvidenceByStatus(t *testing.T) {
	objected := func(t *testing.T) *aggregatetest.Log[State, Command] {
		l := inDisclosure(t)
		l.Must(RaiseObjection{Reason: "neighbour says the firm closed", Actor: "appr2", Role: role.Approver, At: at})
		return l
	}
	rejected := func(t *testing.T) *aggregatetest.Log[State, Command] {
		l := checkedLog(t, "5000")
		l.Must(Reject{Reason: "forged", Actor: "appr1", Role: role.Approver, At: at})
		return l
	}
	approved := func(t *testing.T) *aggregatetest.Log[State, Command] {
		l := checkedLog(t, "5000")
		l.Must(approve("appr1"))
		return l
	}
	paidLog := func(t *testing.T) *aggregatetest.Log[State, Command] {
		l := disclosedLog(t, programme.StartUp, "5000")
		l.Must(release(1, "p1"))
		l.Must(paid(1, "p1"))
		return l
	}
	submitted := func(t *testing.T) *aggregatetest.Log[State, Command] {
		l := newLog(t)
		l.Must(submit(programme.StartUp))
		return l
	}
	tests := []struct {
		name string
		log  func(*testing.T) *aggregatetest.Log[State, Command]
		want Status
		rule string
	}{
		{"not submitted", newLog, "", "claim-before-decision"},
		{"submitted", submitted, StatusSubmitted, ""},
		{"checked", func(t *testing.T) *aggregatetest.Log[State, Command] { return checkedLog(t, "5000") }, StatusChecked, ""},
		{"back in review after an objection", objected, StatusChecked, ""},
		{"approved", approved, StatusApproved, "claim-before-decision"},
		{"in disclosure", inDisclosure, StatusInDisclosure, "claim-before-decision"},
		{"rejected", rejected, StatusRejected, "claim-before-decision"},
		{"paid", paidLog, StatusPaid, "claim-before-decision"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			l := tt.log(t)
			wantStatus(t, l.State, tt.want)
			_, err := l.Do(evidence(digest('e')))
			if tt.rule == "" {
				if err != nil {
					t.Fatal(err)
				}
				if len(l.State.Evidence) != 1 {
					t.Fatalf("evidence = %+v", l.State.Evidence)
				}
				wantStatus(t, l.State, tt.want)
				return
			}
			wantRule(t, err, domain.ErrRejected, tt.rule)
		})
	}
}

func TestEvidenceDigestOncePerClaim(t *testing.T) {
	l := checkedLog(t, "5000")
	l.Must(evidence(digest('a')))
	again := evidence(digest('a'))
	again.Kind, again.DocumentNo = OtherEvidence, "another number"
	_, err := l.Do(again)
	wantRule(t, err, domain.ErrRejected, "evidence-unique")
	l.Must(evidence(digest('b')))
	if len(l.State.Evidence) != 2 || l.State.Evidence[0].Digest != digest('a') || l.State.Evidence[1].Digest != digest('b') {
		t.Fatalf("evidence = %+v", l.State.Evidence)
	}
	// The same file on another claim is that claim's business.
	other := checkedLog(t, "5000")
	other.Must(evidence(digest('a')))
}

func TestEvidenceEvolveKeepsEarlierStates(t *testing.T) {
	l := checkedLog(t, "5000")
	l.Must(evidence(digest('a')))
	base := l.State
	one := Evolve(base, &EvidenceRecorded{Evidence{Digest: digest('b')}})
	two := Evolve(base, &EvidenceRecorded{Evidence{Digest: digest('c')}})
	if len(base.Evidence) != 1 || one.Evidence[1].Digest != digest('b') || two.Evidence[1].Digest != digest('c') {
		t.Fatalf("evolving one state twice shares its list: base %v, one %v, two %v", base.Evidence, one.Evidence, two.Evidence)
	}
}

func errField(err error) string {
	var fe *domain.FieldError
	var re *domain.RuleError
	switch {
	case errors.As(err, &fe):
		return fe.Field
	case errors.As(err, &re):
		return re.Field
	}
	return ""
}
