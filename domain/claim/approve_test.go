package claim

import (
	"testing"

	"github.com/haixi-hrss/fundledger/domain"
	"github.com/haixi-hrss/fundledger/domain/aggregatetest"
	"github.com/haixi-hrss/fundledger/domain/role"
)

func TestMakerChecker(t *testing.T) {
	tests := []struct {
		name string
		// amount is the claim's amount; the threshold is 10,000.00.
		amount    string
		approvers []string
		// rule is the rule the last approval breaks, "" if accepted.
		rule string
		want Status
	}{
		{"one approver at the threshold", "10000.00", []string{"appr1"}, "", StatusApproved},
		{"one approver one fen above", "10000.01", []string{"appr1"}, "", StatusChecked},
		{"two approvers above", "10000.01", []string{"appr1", "appr2"}, "", StatusApproved},
		{"approver is the submitter", "100", []string{"clerk1"}, "maker-checker", StatusChecked},
		{"second approver is the first", "20000", []string{"appr1", "appr1"}, "two-different-approvers", StatusChecked},
		{"second approver is the submitter", "20000", []string{"appr1", "clerk1"}, "maker-checker", StatusChecked},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			l := checkedLog(t, tt.amount)
			for i, a := range tt.approvers {
				_, err := l.Do(approve(a))
				if i < len(tt.approvers)-1 || tt.rule == "" {
					if err != nil {
						t.Fatalf("approval %d by %s: %v", i+1, a, err)
					}
					continue
				}
				wantRule(t, err, domain.ErrRejected, tt.rule)
			}
			wantStatus(t, l.State, tt.want)
		})
	}
}

func TestApprovalEvents(t *testing.T) {
	l := checkedLog(t, "20000")
	if events := l.Must(approve("appr1")); len(events) != 1 || events[0].EventType() != "ClaimApprovalRecorded" {
		t.Fatalf("first of two approvals decided %v", events)
	}
	events := l.Must(approve("appr2"))
	if len(events) != 2 || events[1].EventType() != "ClaimApproved" {
		t.Fatalf("second approval decided %v", events)
	}
	a := events[1].(*Approved)
	if a.ReservationID != "c1/reserve/0" || a.BudgetLineID != "line1" || a.Amount.String() != "20000.00" || len(a.Approvers) != 2 {
		t.Fatalf("ClaimApproved = %+v", a)
	}
	for i, d := range l.State.Approvals {
		if d.Actor == "" || d.Role != role.Approver || d.At.IsZero() || d.Reason == "" {
			t.Fatalf("approval %d does not record actor, role, time and reason: %+v", i, d)
		}
	}
}

func TestApproveAndRejectInput(t *testing.T) {
	tests := []struct {
		name   string
		cmd    Command
		target error
		rule   string
	}{
		{"approve without reason", Approve{Actor: "appr1", Role: role.Approver, At: at}, domain.ErrInvalid, "required"},
		{"clerk approves", Approve{Reason: "ok", Actor: "clerk2", Role: role.Clerk, At: at}, domain.ErrRejected, "role-approver"},
		{"treasurer rejects", Reject{Reason: "no", Actor: "tre1", Role: role.Treasurer, At: at}, domain.ErrRejected, "role-approver"},
		{"reject without reason", Reject{Actor: "appr1", Role: role.Approver, At: at}, domain.ErrInvalid, "required"},
		{"submitter rejects", Reject{Reason: "no", Actor: "clerk1", Role: role.Approver, At: at}, domain.ErrRejected, "maker-checker"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := checkedLog(t, "100").Do(tt.cmd)
			wantRule(t, err, tt.target, tt.rule)
		})
	}
	l := checkedLog(t, "100")
	l.Must(Reject{Reason: "documents forged", Actor: "appr1", Role: role.Approver, At: at})
	wantStatus(t, l.State, StatusRejected)
	_, err := l.Do(approve("appr2"))
	wantRule(t, err, domain.ErrRejected, "claim-under-review")
}

func TestFoldEqualsStepwiseEvolve(t *testing.T) {
	l := checkedLog(t, "20000")
	l.Must(approve("appr1"))
	l.Must(approve("appr2"))
	want := aggregatetest.Canonical(t, l.State)
	if got := aggregatetest.Canonical(t, Fold(l.History)); string(got) != string(want) {
		t.Fatalf("Fold = %s\nstepwise %s", got, want)
	}
}
