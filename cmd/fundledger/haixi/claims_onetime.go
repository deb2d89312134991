package haixi

import (
	"context"
	"fmt"
	"time"

	"github.com/haixi-hrss/fundledger/domain/absorption"
	"github.com/haixi-hrss/fundledger/domain/calendar"
	"github.com/haixi-hrss/fundledger/domain/claim"
	"github.com/haixi-hrss/fundledger/domain/employer"
	"github.com/haixi-hrss/fundledger/domain/programme"
)

// graduateHire is a college graduate a small enterprise hired on a labour
// contract in the quarter, for whom it claims the one-time absorption
// subsidy (一次性吸纳就业补贴). The people are none of those the expansion
// grants pay: the two subsidies are never both held for one person, and
// the ledger would refuse the second.
type graduateHire struct {
	employer  int
	born      calendar.Date
	seq       int
	graduated calendar.Date
	contract  calendar.Date
	// contractEnd is zero for an open-ended contract.
	contractEnd calendar.Date
	insured     int
	filed       calendar.Date
	stage       stage
}

var graduateHires = []graduateHire{
	{employer: 6, born: calendar.MustNew(2002, 8, 19), seq: 346, graduated: calendar.MustNew(2024, 6, 30),
		contract: d(time.January, 13), contractEnd: calendar.MustNew(2027, 1, 12), insured: 2, filed: d(time.March, 3), stage: stagePaid},
	{employer: 8, born: calendar.MustNew(2001, 11, 23), seq: 158, graduated: calendar.MustNew(2023, 7, 1),
		contract: d(time.February, 17), insured: 1, filed: d(time.March, 19), stage: stageApproved},
}

// oneTimeAbsorptionClaims are the one-time absorption subsidies, one per
// graduate hired, each eligible hire recorded as an outcome. The claim
// aggregate pays absorption claims by the month, so the one payment is
// labelled with the month the contract was signed, as the API does.
func (r *run) oneTimeAbsorptionClaims(ctx context.Context) ([]claimPlan, error) {
	plans := make([]claimPlan, 0, len(graduateHires))
	for i, h := range graduateHires {
		em, err := r.employment(ctx, h.employer, h.born, h.seq, programme.Absorption, h.filed)
		if err != nil {
			return nil, err
		}
		f := absorption.OneTimeFacts{Person: em.person.ref, Employer: em.code, GraduationDate: h.graduated, ContractDate: h.contract,
			ContractEnd: h.contractEnd, InsuredMonths: h.insured, SmallOrMedium: em.employer.size != employer.Large}
		a, err := absorption.AssessOneTime(em.policy, h.filed, f)
		if err != nil {
			return nil, err
		}
		p, err := r.hireClaim(ctx, em, claimPlan{id: fmt.Sprintf("ota-%d-%s-%02d", Year, em.employer.county, i+1), programme: programme.Absorption,
			filed: h.filed, keys: absorption.OneTimeKeys(f), assessment: a, stage: h.stage,
			schedule: []claim.Planned{{Label: h.contract.String()[:7], Amount: a.Amount}}}, h.contract)
		if err != nil {
			return nil, err
		}
		plans = append(plans, p)
	}
	return plans, nil
}
