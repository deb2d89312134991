package claim

import (
	"testing"

	"github.com/haixi-hrss/fundledger/domain"
	"github.com/haixi-hrss/fundledger/domain/aggregatetest"
	"github.com/haixi-hrss/fundledger/domain/calendar"
	"github.com/haixi-hrss/fundledger/domain/money"
	"github.com/haixi-hrss/fundledger/domain/programme"
	"github.com/haixi-hrss/fundledger/domain/role"
)

func inDisclosure(t *testing.T) *aggregatetest.Log[State, Command] {
	l := checkedLog(t, "5000")
	l.Must(approve("appr1"))
	l.Must(StartDisclosure{On: monday, Masked: "6328**********1230", Actor: "clerk1", Role: role.Clerk, At: at})
	return l
}

func TestDisclosureLastsWorkingDays(t *testing.T) {
	qingming := calendar.NewWorkCalendar([]calendar.Date{monday.AddDays(4)}, nil)
	tests := []struct {
		name string
		on   calendar.Date
		cal  calendar.WorkCalendar
		rule string
	}{
		{"N−1 working days (Friday)", monday.AddDays(4), calendar.WorkCalendar{}, "disclosure-working-days"},
		{"N working days (next Monday)", monday.AddDays(7), calendar.WorkCalendar{}, ""},
		{"holiday on Friday makes Monday N−1", monday.AddDays(7), qingming, "disclosure-working-days"},
		{"holiday on Friday, Tuesday is N", monday.AddDays(8), qingming, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			l := inDisclosure(t)
			_, err := l.Do(CompleteDisclosure{On: tt.on, Calendar: tt.cal, Actor: "clerk1", Role: role.Clerk, At: at})
			if tt.rule == "" {
				if err != nil {
					t.Fatal(err)
				}
				wantStatus(t, l.State, StatusDisclosed)
				return
			}
			wantRule(t, err, domain.ErrRejected, tt.rule)
		})
	}
}

func TestStartDisclosure(t *testing.T) {
	l := checkedLog(t, "5000")
	start := StartDisclosure{On: monday, Masked: "6328**********1230", Actor: "clerk1", Role: role.Clerk, At: at}
	_, err := l.Do(start)
	wantRule(t, err, domain.ErrRejected, "claim-approved")
	l.Must(approve("appr1"))
	plain := start
	plain.Masked = "632801199903151230"
	_, err = l.Do(plain)
	wantRule(t, err, domain.ErrInvalid, "masked-identifier")
	l.Must(start)
	wantStatus(t, l.State, StatusInDisclosure)
}

func TestObjectionReturnsToReview(t *testing.T) {
	l := inDisclosure(t)
	_, err := l.Do(RaiseObjection{Reason: "neighbour reports no business", Actor: "clerk1", Role: role.Clerk, At: at})
	wantRule(t, err, domain.ErrRejected, "role-approver")
	events := l.Must(RaiseObjection{Reason: "neighbour reports no business", Actor: "appr2", Role: role.Approver, At: at})
	o := events[0].(*ObjectionRaised)
	if !o.Release.Equal(money.Yuan(5000)) || o.ReleaseID != "c1/objection/0" {
		t.Fatalf("objection releases %s under %s, want 5000.00 under c1/objection/0", o.Release, o.ReleaseID)
	}
	wantStatus(t, l.State, StatusChecked)
	if l.State.Round != 1 || len(l.State.Approvals) != 0 {
		t.Fatalf("after objection round %d, approvals %v; want round 1 and none", l.State.Round, l.State.Approvals)
	}
	_, err = l.Do(CompleteDisclosure{On: monday.AddDays(7), Actor: "clerk1", Role: role.Clerk, At: at})
	wantRule(t, err, domain.ErrRejected, "claim-in-disclosure")
	events = l.Must(approve("appr1"))
	if a := events[1].(*Approved); a.ReservationID != "c1/reserve/1" {
		t.Fatalf("re-approval reserves under %s, want a new ID c1/reserve/1", a.ReservationID)
	}
}

func TestPaymentNeedsDisclosure(t *testing.T) {
	l := inDisclosure(t)
	_, err := l.Do(release(1, "p1"))
	wantRule(t, err, domain.ErrRejected, "claim-disclosed")
	l = disclosedLog(t, programme.StartUp, "5000")
	l.Must(release(1, "p1"))
}
