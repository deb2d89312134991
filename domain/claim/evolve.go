package claim

import (
	"slices"

	"github.com/haixi-hrss/fundledger/domain"
	"github.com/haixi-hrss/fundledger/domain/calendar"
)

// Evolve returns s with e applied; s itself is left unchanged. Events of
// other aggregates leave the state as it was.
func Evolve(s State, e domain.Event) State {
	s.Instalments = slices.Clone(s.Instalments)
	s.Approvals = slices.Clone(s.Approvals)
	s.Recoveries = slices.Clone(s.Recoveries)
	switch e := e.(type) {
	case *Submitted:
		s.ID, s.Status, s.Programme, s.Beneficiary = e.ClaimID, StatusSubmitted, e.Programme, e.Beneficiary
		s.Region, s.BudgetLineID, s.EffectiveDate = e.Region, e.BudgetLineID, e.EffectiveDate
		s.UniquenessKeys, s.SubmittedBy = slices.Clone(e.UniquenessKeys), e.Actor
	case *Checked:
		a := e.Assessment
		s.Status, s.Assessment, s.Terms = StatusChecked, &a, e.Terms
		s.Approved, s.Payable, s.Instalments = e.Approved, e.Approved, slices.Clone(e.Instalments)
	case *Rejected:
		s.Status = StatusRejected
	case *ApprovalRecorded:
		s.Approvals = append(s.Approvals, Decision{Actor: e.Actor, Role: e.Role, At: e.At, Reason: e.Reason})
	case *Approved:
		s.Status = StatusApproved
	case *DisclosureStarted:
		s.Status, s.DisclosureStart = StatusInDisclosure, e.On
	case *ObjectionRaised:
		s.Status, s.Round, s.Approvals = StatusChecked, s.Round+1, nil
		s.DisclosureStart = calendar.Date{}
	case *Disclosed:
		s.Status = StatusDisclosed
	case *PaymentReleased:
		if i, ok := s.instalment(e.Instalment); ok {
			s.Instalments[i].Status, s.Instalments[i].PaymentID = InstalmentInFlight, e.PaymentID
			s.Instalments[i].Attempts++
		}
	case *InstalmentPaid:
		if i, ok := s.instalment(e.Instalment); ok {
			s.Instalments[i].Status = InstalmentSettled
			s.Paid = s.Paid.Add(e.Amount)
		}
		if s.Paid.Equal(s.Payable) {
			s.Status = StatusPaid
		}
	case *PaymentFailed:
		if i, ok := s.instalment(e.Instalment); ok {
			s.Instalments[i].Status = InstalmentFailed
		}
	case *Cancelled:
		s.Status, s.Payable = StatusCancelled, s.Paid
		for i, in := range s.Instalments {
			if in.Status == InstalmentScheduled || in.Status == InstalmentFailed {
				s.Instalments[i].Status = InstalmentCancelled
			}
		}
	case *ClawedBack:
		s.Recovered = s.Recovered.Add(e.Amount)
		s.Recoveries = append(s.Recoveries, e.RecoveryID)
	case *EvidenceRecorded:
		// Clip makes append copy, so earlier states keep their own list.
		s.Evidence = append(slices.Clip(s.Evidence), e.Evidence)
	}
	return s
}

// instalment returns the index of instalment number n, if there is one.
func (s State) instalment(n int) (int, bool) {
	return n - 1, n >= 1 && n <= len(s.Instalments)
}
