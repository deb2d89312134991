package process_test

import (
	"slices"
	"testing"

	"github.com/haixi-hrss/fundledger/domain"
	"github.com/haixi-hrss/fundledger/domain/budget"
	"github.com/haixi-hrss/fundledger/domain/claim"
	"github.com/haixi-hrss/fundledger/domain/money"
	"github.com/haixi-hrss/fundledger/eventstore"
	"github.com/haixi-hrss/fundledger/ledger/process"
	"github.com/haixi-hrss/fundledger/projections"
)

// step is one event of a scenario: a claim event in the claim's stream,
// or a budget event in its line's.
type step struct {
	ev     domain.Event
	stream string
}

func onClaim(ev domain.Event) step { return step{ev, claim.Stream("c1")} }
func onLine(ev domain.Event) step  { return step{ev, budget.Stream("line-1")} }
func amt(s string) money.Amount    { return money.MustParse(s) }
func reserved(a string) step {
	return onLine(&budget.FundsReserved{ReservationID: "c1/r1", ClaimID: "c1", Amount: amt(a)})
}
func released(id, a string) step {
	return onLine(&budget.FundsReleased{ReleaseID: id, ClaimID: "c1", Amount: amt(a)})
}
func spent(a string) step {
	return onLine(&budget.FundsSpent{PaymentID: "s1", ClaimID: "c1", Amount: amt(a)})
}
func recovered(a string) step {
	return onLine(&budget.FundsRecovered{RecoveryID: "k1", ClaimID: "c1", Amount: amt(a)})
}
func approved(a string) step { return onClaim(&claim.Approved{ReservationID: "c1/r1", Amount: amt(a)}) }
func objection(a string) step {
	return onClaim(&claim.ObjectionRaised{ReleaseID: "c1/o1", Release: amt(a)})
}
func cancelled(a string) step        { return onClaim(&claim.Cancelled{ReleaseID: "c1/x", Release: amt(a)}) }
func paid(a string) step             { return onClaim(&claim.InstalmentPaid{SpendID: "s1", Amount: amt(a)}) }
func clawedBack(a string) step       { return onClaim(&claim.ClawedBack{RecoverID: "k1", Amount: amt(a)}) }
func rejected() step                 { return onClaim(&claim.Rejected{Reason: "no"}) }
func unrelated(ev domain.Event) step { return onClaim(ev) }

// TestUnfinished: each state a crash can leave between a claim's event and
// its budget step (or the reverse) makes the claim unfinished, and the
// finished process, in either order of its two halves, does not.
func TestUnfinished(t *testing.T) {
	tests := []struct {
		name       string
		steps      []step
		unfinished bool
	}{
		{"nothing moved", []step{unrelated(&claim.Submitted{ClaimID: "c1"})}, false},
		{"approval reserved, not recorded", []step{reserved("1500.00")}, true},
		{"approval reserved and recorded", []step{reserved("1500.00"), approved("1500.00")}, false},
		{"approval recorded, not reserved", []step{approved("1500.00")}, true},
		{"objection recorded, not released", []step{reserved("1500.00"), approved("1500.00"), objection("1500.00")}, true},
		{"objection released", []step{reserved("1500.00"), approved("1500.00"), objection("1500.00"), released("c1/o1", "1500.00")}, false},
		{"objection, second approval reserved, not recorded",
			[]step{reserved("1500.00"), approved("1500.00"), objection("1500.00"), released("c1/o1", "1500.00"), reserved("1500.00")}, true},
		{"cancelled, not released", []step{reserved("900.00"), approved("900.00"), cancelled("900.00")}, true},
		{"cancelled and released", []step{reserved("900.00"), approved("900.00"), cancelled("900.00"), released("c1/x", "900.00")}, false},
		{"rejected while its approval held money", []step{reserved("1500.00"), rejected()}, true},
		{"rejected, the held money released", []step{reserved("1500.00"), rejected(), released("c1/r1/release", "1500.00")}, false},
		{"rejected before the racing reservation, then released", []step{rejected(), reserved("1500.00"), released("c1/r1/release", "1500.00")}, false},
		{"closed claim whose approval never reached the line", []step{approved("900.00"), cancelled("900.00")}, false},
		{"paid, not spent", []step{reserved("1500.00"), approved("1500.00"), paid("1500.00")}, true},
		{"paid and spent", []step{reserved("1500.00"), approved("1500.00"), paid("1500.00"), spent("1500.00")}, false},
		{"part paid and spent", []step{reserved("1500.00"), approved("1500.00"), paid("500.00"), spent("500.00")}, false},
		{"clawed back, not recovered",
			[]step{reserved("1500.00"), approved("1500.00"), paid("1500.00"), spent("1500.00"), clawedBack("500.00")}, true},
		{"clawed back and recovered",
			[]step{reserved("1500.00"), approved("1500.00"), paid("1500.00"), spent("1500.00"), clawedBack("500.00"), recovered("500.00")}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			u := process.NewUnfinished()
			for i, s := range tt.steps {
				if err := u.Apply(s.ev, &eventstore.Event{Stream: s.stream, Type: s.ev.EventType(), Position: uint64(i + 1)}); err != nil {
					t.Fatal(err)
				}
				if in := u.Interest(s.ev.EventType()); in != projections.Payload && s.ev.EventType() != "ClaimSubmitted" && s.ev.EventType() != "ClaimRejected" {
					t.Errorf("%s: interest %v, want the payload", s.ev.EventType(), in)
				}
			}
			got := u.Claims()
			if want := tt.unfinished; (len(got) == 1 && got[0] == "c1") != want || len(got) > 1 {
				t.Errorf("unfinished claims %v, want c1 unfinished: %v", got, want)
			}
		})
	}
}

// TestUnfinishedStateRoundTrip: a model restored from its snapshot answers
// as the original, and goes on from there.
func TestUnfinishedStateRoundTrip(t *testing.T) {
	u := process.NewUnfinished()
	for i, s := range []step{reserved("1500.00"), paid("200.00")} {
		if err := u.Apply(s.ev, &eventstore.Event{Stream: s.stream, Position: uint64(i + 1)}); err != nil {
			t.Fatal(err)
		}
	}
	data, err := u.MarshalState()
	if err != nil {
		t.Fatal(err)
	}
	restored := process.NewUnfinished()
	if err := restored.UnmarshalState(data); err != nil {
		t.Fatal(err)
	}
	if eq, err := projections.Equal(u, restored); err != nil || !eq {
		t.Fatalf("restored model differs (%v): %s", err, data)
	}
	// The claim's missing approval and the line's missing spend finish it.
	for _, s := range []step{approved("1500.00"), spent("200.00")} {
		if err := restored.Apply(s.ev, &eventstore.Event{Stream: s.stream}); err != nil {
			t.Fatal(err)
		}
	}
	if got := restored.Claims(); !slices.Equal(got, []string{}) {
		t.Errorf("after the missing steps: unfinished %v, want none", got)
	}
}
