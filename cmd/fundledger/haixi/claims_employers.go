package haixi

import (
	"context"
	"fmt"
	"time"

	"github.com/shopspring/decimal"

	"github.com/haixi-hrss/fundledger/domain/absorption"
	"github.com/haixi-hrss/fundledger/domain/calendar"
	"github.com/haixi-hrss/fundledger/domain/claim"
	"github.com/haixi-hrss/fundledger/domain/expansion"
	"github.com/haixi-hrss/fundledger/domain/identity"
	"github.com/haixi-hrss/fundledger/domain/money"
	"github.com/haixi-hrss/fundledger/domain/policy"
	"github.com/haixi-hrss/fundledger/domain/programme"
	"github.com/haixi-hrss/fundledger/domain/stabilization"
	"github.com/haixi-hrss/fundledger/ledger/schema"
)

func d(m time.Month, day int) calendar.Date { return calendar.MustNew(2025, m, day) }

// refundsOn is the day of the stabilization batch run (免申即享): the
// bureau matched 2024's premium and headcount data for every unit.
var refundsOn = d(time.March, 3)

// stabilizationClaims are the 2025 refunds, computed from what each unit's
// stream records of 2024.
func (r *run) stabilizationClaims(ctx context.Context) ([]claimPlan, error) {
	v, err := r.policyOn(ctx, programme.Stabilization, refundsOn)
	if err != nil {
		return nil, err
	}
	plans := make([]claimPlan, 0, len(employers))
	for _, e := range employers {
		code, err := e.code()
		if err != nil {
			return nil, err
		}
		s, err := Fold(ctx, r.l, schema.Employer(code.String()))
		if err != nil {
			return nil, err
		}
		f := stabilizationFacts(code, s)
		a, err := stabilization.Assess(v, refundsOn, f)
		if err != nil {
			return nil, err
		}
		plans = append(plans, claimPlan{
			id: fmt.Sprintf("stab-%d-%s", Year, code), programme: programme.Stabilization, county: e.county,
			beneficiary: claim.Beneficiary{Kind: claim.Employer, Ref: code.String()}, masked: maskCode(code),
			filed: refundsOn, keys: stabilization.Keys(f), policy: v, assessment: a, stage: e.refund, twist: e.twist,
		})
	}
	return plans, nil
}

// hirePlan is a hire an employer claims the expansion grant for: a college
// graduate or a registered unemployed youth, with a labour contract from
// early January and three months of premiums when the claim was filed.
type hirePlan struct {
	employer  int
	group     expansion.Group
	born      calendar.Date
	seq       int
	graduated calendar.Date
	contract  calendar.Date
	filed     calendar.Date
	stage     stage
	twist     twist
}

// employerByN returns employer n and its credit code.
func employerByN(n int) (employerPlan, identity.CreditCode, error) {
	for _, e := range employers {
		if e.n == n {
			code, err := e.code()
			return e, code, err
		}
	}
	return employerPlan{}, "", fmt.Errorf("haixi: no employer %d in the scenario", n)
}

var hires = []hirePlan{
	{employer: 1, group: expansion.Graduate, born: calendar.MustNew(2002, 5, 14), seq: 121, graduated: calendar.MustNew(2024, 6, 30), contract: d(1, 2), filed: d(3, 3), stage: stagePaid},
	{employer: 1, group: expansion.Graduate, born: calendar.MustNew(2001, 9, 2), seq: 232, graduated: calendar.MustNew(2024, 7, 1), contract: d(1, 2), filed: d(3, 3), stage: stagePaid,
		twist: twist{clawback: &clawback{amount: money.MustParse("1500.00"), reason: claim.Ineligible,
			detail: "劳动合同系补签，实际于2024年12月经劳务派遣入职 the contract was backdated: the person started in December 2024 through a dispatch agency", on: d(3, 27)}}},
	{employer: 2, group: expansion.UnemployedYouth, born: calendar.MustNew(2003, 3, 21), seq: 341, contract: d(1, 6), filed: d(3, 5), stage: stagePaid},
	{employer: 3, group: expansion.UnemployedYouth, born: calendar.MustNew(1999, 8, 9), seq: 452, contract: d(1, 6), filed: d(3, 5), stage: stageChecked},
	{employer: 5, group: expansion.Graduate, born: calendar.MustNew(2002, 1, 15), seq: 113, graduated: calendar.MustNew(2024, 6, 28), contract: d(1, 2), filed: d(3, 4), stage: stagePaid},
	{employer: 6, group: expansion.UnemployedYouth, born: calendar.MustNew(2004, 11, 30), seq: 224, contract: d(1, 3), filed: d(3, 4), stage: stagePaid},
	{employer: 6, group: expansion.Graduate, born: calendar.MustNew(2001, 4, 18), seq: 335, graduated: calendar.MustNew(2023, 7, 1), contract: d(1, 6), filed: d(3, 20), stage: stageInDisclosure},
	{employer: 7, group: expansion.Graduate, born: calendar.MustNew(2002, 10, 10), seq: 117, graduated: calendar.MustNew(2024, 6, 30), contract: d(1, 2), filed: d(3, 6), stage: stagePaid},
	{employer: 7, group: expansion.UnemployedYouth, born: calendar.MustNew(2005, 2, 11), seq: 228, contract: d(1, 2), filed: d(3, 24), stage: stageChecked},
	{employer: 8, group: expansion.Graduate, born: calendar.MustNew(2002, 3, 3), seq: 131, graduated: calendar.MustNew(2024, 7, 5), contract: d(1, 2), filed: d(3, 6), stage: stagePaid},
	{employer: 8, group: expansion.UnemployedYouth, born: calendar.MustNew(2004, 6, 6), seq: 242, contract: d(1, 2), filed: d(3, 26), stage: stageSubmitted},
	{employer: 10, group: expansion.Graduate, born: calendar.MustNew(2001, 12, 12), seq: 153, graduated: calendar.MustNew(2024, 6, 30), contract: d(1, 2), filed: d(3, 7), stage: stagePaid},
	{employer: 10, group: expansion.UnemployedYouth, born: calendar.MustNew(2006, 1, 20), seq: 264, contract: d(1, 2), filed: d(3, 18), stage: stageApproved},
	{employer: 11, group: expansion.Graduate, born: calendar.MustNew(2002, 7, 7), seq: 175, graduated: calendar.MustNew(2024, 6, 30), contract: d(1, 2), filed: d(3, 7), stage: stagePaid},
	{employer: 11, group: expansion.UnemployedYouth, born: calendar.MustNew(2003, 9, 9), seq: 286, contract: d(1, 2), filed: d(3, 17), stage: stageDisclosed},
	{employer: 12, group: expansion.Graduate, born: calendar.MustNew(2002, 2, 2), seq: 197, graduated: calendar.MustNew(2024, 6, 30), contract: d(1, 2), filed: d(3, 10), stage: stagePaid},
	{employer: 12, group: expansion.UnemployedYouth, born: calendar.MustNew(2004, 4, 4), seq: 218, contract: d(1, 2), filed: d(3, 19), stage: stageInDisclosure},
}

// employment is a hire as a claim for it begins: the employer, the person
// hired, and the version of the claim's programme in force on the day it
// was filed.
type employment struct {
	employer employerPlan
	code     identity.CreditCode
	person   person
	policy   policy.Version
}

func (r *run) employment(ctx context.Context, employer int, born calendar.Date, seq int, p programme.Code, filed calendar.Date) (employment, error) {
	e, code, err := employerByN(employer)
	if err != nil {
		return employment{}, err
	}
	who, err := r.people.person(e.county, born, seq)
	if err != nil {
		return employment{}, err
	}
	v, err := r.policyOn(ctx, p, filed)
	return employment{employer: e, code: code, person: who, policy: v}, err
}

// hireClaim is the claim plan of a one-off subsidy paid to the employer
// for hire h; an eligible hire is also recorded as an outcome, hired on
// hiredOn.
func (r *run) hireClaim(ctx context.Context, h employment, p claimPlan, hiredOn calendar.Date) (claimPlan, error) {
	p.county, p.policy = h.employer.county, h.policy
	p.beneficiary = claim.Beneficiary{Kind: claim.Employer, Ref: h.code.String()}
	p.who, p.masked = &h.person, h.person.id.Masked()
	if !p.assessment.Eligible {
		// The subsidy did not pay for this hire: not an outcome.
		return p, nil
	}
	return p, r.recordHire(ctx, hireOutcome{id: "hire-" + p.id, person: h.person, employer: h.code, county: h.employer.county,
		hiredOn: hiredOn, claimID: p.id, recordedOn: p.filed})
}

// expansionClaims are the employers' one-time expansion grants, one per
// hire, each eligible hire also recorded as an outcome.
func (r *run) expansionClaims(ctx context.Context) ([]claimPlan, error) {
	plans := make([]claimPlan, 0, len(hires))
	for i, h := range hires {
		em, err := r.employment(ctx, h.employer, h.born, h.seq, programme.Expansion, h.filed)
		if err != nil {
			return nil, err
		}
		f := expansion.Facts{Person: em.person.ref, Employer: em.code, Group: h.group, GraduationDate: h.graduated,
			RegularDegreeCourse: h.group == expansion.Graduate, BirthDate: h.born, RegisteredUnemployed: h.group == expansion.UnemployedYouth,
			ContractDate: h.contract, InsuredMonthsUnemployment: 3, InsuredMonthsWorkInjury: 3, InsuredMonthsPension: 3, InsuredAtCheck: true}
		a, err := expansion.Assess(em.policy, h.filed, f)
		if err != nil {
			return nil, err
		}
		p, err := r.hireClaim(ctx, em, claimPlan{id: fmt.Sprintf("exp-%d-%s-%02d", Year, em.employer.county, i+1), programme: programme.Expansion,
			filed: h.filed, keys: expansion.Keys(f), assessment: a, stage: h.stage, twist: h.twist}, h.contract)
		if err != nil {
			return nil, err
		}
		plans = append(plans, p)
	}
	return plans, nil
}

// absorbed is a person with employment difficulty an employer hired in the
// autumn of 2024, whose premiums are subsidised month by month from the
// approval of the subsidy in January; months lists the claims filed and how
// far each got. stillInsured is the +3-month finding.
type absorbed struct {
	employer     int
	category     string
	born         calendar.Date
	seq          int
	hired        calendar.Date
	base         money.Amount
	months       []monthClaim
	stillInsured bool
}

type monthClaim struct {
	month time.Month
	filed calendar.Date
	stage stage
	twist twist
}

// absorptionApproved is when each person's subsidy was first approved (资格认定).
var absorptionApproved = d(time.January, 10)

var absorbedHires = []absorbed{
	{employer: 1, category: "woman-40-plus", born: calendar.MustNew(1982, 4, 12), seq: 482, hired: calendar.MustNew(2024, 10, 8), base: money.MustParse("5200.00"), stillInsured: true,
		months: []monthClaim{{time.January, d(2, 10), stagePaid, twist{}}, {time.February, d(3, 10), stagePaid, twist{}}, {time.March, d(3, 27), stageSubmitted, twist{}}}},
	{employer: 2, category: "zero-employment-family", born: calendar.MustNew(1990, 6, 1), seq: 511, hired: calendar.MustNew(2024, 11, 4), base: money.MustParse("4500.00"), stillInsured: true,
		months: []monthClaim{{time.January, d(2, 10), stagePaid, twist{}}, {time.February, d(3, 10), stageInDisclosure,
			twist{objection: "群众反映该人员未实际在岗 a resident reports that the person is not actually at work"}}}},
	{employer: 5, category: "disabled", born: calendar.MustNew(1988, 3, 15), seq: 193, hired: calendar.MustNew(2024, 10, 14), base: money.MustParse("4800.00"), stillInsured: true,
		months: []monthClaim{{time.January, d(2, 11), stagePaid, twist{}}, {time.February, d(3, 11), stagePaid, twist{}}, {time.March, d(3, 27), stageChecked, twist{}}}},
	{employer: 7, category: "man-50-plus", born: calendar.MustNew(1973, 5, 20), seq: 131, hired: calendar.MustNew(2024, 9, 2), base: money.MustParse("5600.00"), stillInsured: true,
		months: []monthClaim{{time.January, d(2, 11), stagePaid, twist{}}, {time.February, d(3, 11), stageDisclosed, twist{}}}},
	{employer: 8, category: "lifted-out-of-poverty", born: calendar.MustNew(1995, 8, 8), seq: 362, hired: calendar.MustNew(2024, 12, 2), base: money.MustParse("4200.00"), stillInsured: false,
		months: []monthClaim{{time.January, d(2, 12), stagePaid, twist{}}, {time.February, d(3, 12), stagePaid, twist{}}}},
	{employer: 10, category: "low-income", born: calendar.MustNew(1979, 2, 2), seq: 284, hired: calendar.MustNew(2024, 10, 21), base: money.MustParse("4200.00"), stillInsured: true,
		months: []monthClaim{{time.January, d(2, 12), stagePaid, twist{}}, {time.February, d(3, 12), stageApproved, twist{}}}},
	{employer: 11, category: "unemployed-1-year-plus", born: calendar.MustNew(1985, 12, 12), seq: 215, hired: calendar.MustNew(2024, 11, 11), base: money.MustParse("4300.00"), stillInsured: true,
		months: []monthClaim{{time.January, d(2, 13), stagePaid, twist{}}, {time.February, d(3, 13), stageReleased, twist{}}}},
	{employer: 12, category: "woman-40-plus", born: calendar.MustNew(1983, 7, 7), seq: 246, hired: calendar.MustNew(2024, 10, 8), base: money.MustParse("5000.00"), stillInsured: true,
		months: []monthClaim{{time.January, d(2, 13), stagePaid, twist{}}, {time.February, d(3, 13), stagePaid, twist{}}, {time.March, d(3, 28), stageSubmitted, twist{}}}},
}

// The employer's premium rates on the contribution base, as the premiums
// paid for the person were computed (Qinghai, verify): pension 16%,
// medical 7%, unemployment 0.5%.
var (
	pensionRate      = decimal.RequireFromString("0.16")
	medicalRate      = decimal.RequireFromString("0.07")
	unemploymentRate = decimal.RequireFromString("0.005")
)

// absorptionClaims are the employers' monthly subsidies for hires of people
// with employment difficulty; each hire is recorded as an outcome with its
// +3-month finding.
func (r *run) absorptionClaims(ctx context.Context) ([]claimPlan, error) {
	var plans []claimPlan
	for i, h := range absorbedHires {
		e, code, err := employerByN(h.employer)
		if err != nil {
			return nil, err
		}
		who, err := r.people.person(e.county, h.born, h.seq)
		if err != nil {
			return nil, err
		}
		for _, m := range h.months {
			v, err := r.policyOn(ctx, programme.Absorption, m.filed)
			if err != nil {
				return nil, err
			}
			f := absorption.HireFacts{Person: who.ref, Employer: code, Category: h.category, FirstApproval: absorptionApproved,
				RetirementDate: retirement(who.id), Month: d(m.month, 1),
				PensionPremium: h.base.MulRate(pensionRate), MedicalPremium: h.base.MulRate(medicalRate), UnemploymentPremium: h.base.MulRate(unemploymentRate)}
			a, err := absorption.AssessHire(v, m.filed, f)
			if err != nil {
				return nil, err
			}
			label := fmt.Sprintf("2025-%02d", m.month)
			plans = append(plans, claimPlan{id: fmt.Sprintf("abs-%s-%02d-%s", e.county, i+1, label), programme: programme.Absorption, county: e.county,
				beneficiary: claim.Beneficiary{Kind: claim.Employer, Ref: code.String()}, who: &who, masked: who.id.Masked(), filed: m.filed,
				keys: absorption.HireKeys(f), policy: v, assessment: a, schedule: []claim.Planned{{Label: label, Amount: a.Amount}},
				stage: m.stage, twist: m.twist})
		}
		if err := r.recordHire(ctx, hireOutcome{id: fmt.Sprintf("hire-abs-%s-%02d", e.county, i+1), person: who, employer: code, county: e.county,
			hiredOn: h.hired, claimID: fmt.Sprintf("abs-%s-%02d-2025-01", e.county, i+1), recordedOn: h.months[0].filed,
			checkpoint: true, stillInsured: h.stillInsured}); err != nil {
			return nil, err
		}
	}
	return plans, nil
}

// retirement is the statutory retirement date as the pension system would
// give it, simplified to 60 for men and 55 for women; the subsidies only
// need it to be far off.
func retirement(id identity.ResidentID) calendar.Date {
	if id.Sex() == identity.Male {
		return id.BirthDate().AddYears(60)
	}
	return id.BirthDate().AddYears(55)
}
