package claim

import (
	"time"

	"github.com/haixi-hrss/fundledger/domain"
	"github.com/haixi-hrss/fundledger/domain/role"
)

// Approve records an approver's approval of a checked claim. The approver
// may not be the submitter; above the two-approver threshold the claim is
// approved only when a second, different approver agrees.
type Approve struct {
	Reason string
	Actor  string
	Role   string
	At     time.Time
}

// Reject records an approver's rejection of a checked claim.
type Reject struct {
	Reason string
	Actor  string
	Role   string
	At     time.Time
}

func (Approve) claimCommand() {}
func (Reject) claimCommand()  {}

func decideApprove(s State, c Approve) ([]domain.Event, error) {
	if err := first(required("reason", c.Reason, "the reason for the decision"), role.Authorize(c.Actor, c.Role, c.At, role.Approver)); err != nil {
		return nil, err
	}
	if err := in(s, "claim-under-review", StatusChecked); err != nil {
		return nil, err
	}
	if c.Actor == s.SubmittedBy {
		return nil, domain.Reject("maker-checker", "actor", "%s submitted the claim and may not approve it", c.Actor)
	}
	approvers := make([]string, 0, len(s.Approvals)+1)
	for _, d := range s.Approvals {
		if d.Actor == c.Actor {
			return nil, domain.Reject("two-different-approvers", "actor", "%s has already approved this claim", c.Actor)
		}
		approvers = append(approvers, d.Actor)
	}
	approvers = append(approvers, c.Actor)
	by := By{c.Actor, c.Role, c.At}
	events := []domain.Event{&ApprovalRecorded{Round: s.Round, Reason: c.Reason, By: by}}
	if len(approvers) >= s.RequiredApprovals() {
		events = append(events, &Approved{
			Round: s.Round, Amount: s.Payable, BudgetLineID: s.BudgetLineID,
			ReservationID: s.ReservationID(), Approvers: approvers, By: by,
		})
	}
	return events, nil
}

func decideReject(s State, c Reject) ([]domain.Event, error) {
	if err := first(required("reason", c.Reason, "the reason for the decision"), role.Authorize(c.Actor, c.Role, c.At, role.Approver)); err != nil {
		return nil, err
	}
	if err := in(s, "claim-under-review", StatusChecked); err != nil {
		return nil, err
	}
	if c.Actor == s.SubmittedBy {
		return nil, domain.Reject("maker-checker", "actor", "%s submitted the claim and may not decide on it", c.Actor)
	}
	return []domain.Event{&Rejected{Reason: c.Reason, By: By{c.Actor, c.Role, c.At}}}, nil
}
