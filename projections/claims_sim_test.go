package projections_test

import (
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/haixi-hrss/fundledger/domain"
	"github.com/haixi-hrss/fundledger/domain/claim"
	"github.com/haixi-hrss/fundledger/domain/eligibility"
	"github.com/haixi-hrss/fundledger/domain/money"
	"github.com/haixi-hrss/fundledger/domain/programme"
	"github.com/haixi-hrss/fundledger/domain/region"
	"github.com/haixi-hrss/fundledger/domain/role"
	"github.com/haixi-hrss/fundledger/eventstore"
	"github.com/haixi-hrss/fundledger/projections"
)

// The values synthetic claims draw from: Haixi's seven counties and six
// of the programmes, as the generated benchmark ledger spreads them.
var (
	simCounties   = []region.Code{region.Golmud, region.Delingha, region.Mangya, region.Ulan, region.Dulan, region.Tianjun, region.DaQaidam}
	simProgrammes = []programme.Code{programme.Stabilization, programme.Expansion, programme.Absorption, programme.SocialInsurance,
		programme.SkillUpgrade, programme.StartUp}
	simStatuses = []claim.Status{claim.StatusSubmitted, claim.StatusChecked, claim.StatusRejected, claim.StatusApproved,
		claim.StatusInDisclosure, claim.StatusDisclosed, claim.StatusPaid, claim.StatusCancelled}
)

// claimSim feeds claim events straight into Claims.Apply, without a
// store, so the queue can be driven through any sequence of events fast.
type claimSim struct {
	c   *projections.Claims
	ids []string
}

func (s *claimSim) apply(t testing.TB, id string, ev domain.Event, at time.Time) {
	t.Helper()
	if err := s.c.Apply(ev, &eventstore.Event{Stream: claim.Stream(id), Type: ev.EventType(), RecordedAt: at}); err != nil {
		t.Fatal(err)
	}
}

func (s *claimSim) submit(t testing.TB, id string, p programme.Code, county region.Code, who claim.Beneficiary, clerk string, at time.Time) {
	t.Helper()
	s.ids = append(s.ids, id)
	s.apply(t, id, &claim.Submitted{ClaimID: id, Programme: p, Beneficiary: who, Region: county, BudgetLineID: "line",
		By: claim.By{Actor: clerk, Role: role.Clerk, At: at}}, at)
}

var simAmount = money.MustParse("1000.00")

// simEvent is an event of kind k for a claim, by actor; rng picks the
// number of instalments and which one a payment event names. Evolve
// applies any of them in any status, so a random sequence moves claims
// between every pair of statuses and instalment states.
func simEvent(rng *rand.Rand, k int, actor string) domain.Event {
	by := claim.By{Actor: actor}
	n := 1 + rng.IntN(2)
	switch k {
	case 0:
		ins := make([]claim.Instalment, n)
		payable := money.Yuan(0)
		for i := range ins {
			ins[i] = claim.Instalment{Number: i + 1, Amount: simAmount, Status: claim.InstalmentScheduled}
			payable = payable.Add(simAmount)
		}
		a := eligibility.Assessment{Programme: programme.Expansion, PolicyVersion: "v1", Eligible: true, Amount: payable}
		return &claim.Checked{Assessment: a, Terms: claim.Terms{PolicyVersion: "v1"}, Approved: payable, Instalments: ins, By: by}
	case 1:
		return &claim.ApprovalRecorded{Reason: "ok", By: by}
	case 2:
		return &claim.Approved{Amount: simAmount, By: by}
	case 3:
		return &claim.DisclosureStarted{Masked: "9163**********001X", By: by}
	case 4:
		return &claim.Disclosed{By: by}
	case 5:
		return &claim.PaymentReleased{Instalment: n, PaymentID: "p", By: by}
	case 6:
		return &claim.InstalmentPaid{Instalment: n, Amount: simAmount, By: by}
	case 7:
		return &claim.PaymentFailed{Instalment: n, PaymentID: "p", By: by}
	case 8:
		return &claim.ObjectionRaised{Reason: "objection", By: by}
	case 9:
		return &claim.Rejected{Reason: "no", By: by}
	case 10:
		return &claim.Cancelled{Reason: "withdrawn", By: by}
	default:
		return &claim.ClawedBack{RecoveryID: "r", Amount: simAmount, By: by}
	}
}

const simEventKinds = 12

// rowsAfter is the old queue by brute force: every row sel keeps, sorted
// in queue order, from after the cursor on.
func rowsAfter(c *projections.Claims, ids []string, after projections.ClaimCursor, sel func(projections.ClaimRow) bool) []projections.ClaimRow {
	var out []projections.ClaimRow
	for _, id := range ids {
		r, ok := c.Claim(id)
		if !ok || !sel(r) {
			continue
		}
		if n := r.LastChange.Compare(after.At); n > 0 || n == 0 && r.ID > after.ID {
			out = append(out, r)
		}
	}
	slices.SortFunc(out, func(a, b projections.ClaimRow) int {
		if n := a.LastChange.Compare(b.LastChange); n != 0 {
			return n
		}
		return strings.Compare(a.ID, b.ID)
	})
	return out
}

// filterSel is ClaimFilter's meaning, written out again.
func filterSel(f projections.ClaimFilter) func(projections.ClaimRow) bool {
	return func(r projections.ClaimRow) bool {
		return (f.Status == "" || r.Status == f.Status) && (f.Programme == "" || r.Programme == f.Programme) &&
			(f.County == "" || r.County == f.County) && (f.Employer == "" || r.Employer == f.Employer)
	}
}

// workSel is NextWork's meaning, written out again from its doc.
func workSel(r, actor string) func(projections.ClaimRow) bool {
	return func(x projections.ClaimRow) bool {
		switch r {
		case role.Clerk:
			return x.Status == claim.StatusSubmitted || x.Status == claim.StatusApproved || x.Status == claim.StatusInDisclosure
		case role.Approver:
			return x.Status == claim.StatusChecked && x.SubmittedBy != actor && !slices.Contains(x.Approvers, actor)
		case role.Treasurer:
			return x.Status == claim.StatusDisclosed && slices.ContainsFunc(x.Instalments, func(in claim.Instalment) bool {
				return in.Status == claim.InstalmentScheduled || in.Status == claim.InstalmentFailed || in.Status == claim.InstalmentInFlight
			})
		}
		return false
	}
}
