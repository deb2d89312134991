package haixi

import (
	"context"
	"fmt"
	"time"

	"github.com/haixi-hrss/fundledger/domain"
	"github.com/haixi-hrss/fundledger/domain/calendar"
	"github.com/haixi-hrss/fundledger/domain/claim"
	"github.com/haixi-hrss/fundledger/domain/identity"
	"github.com/haixi-hrss/fundledger/domain/money"
	"github.com/haixi-hrss/fundledger/domain/outcome/trainee"
	"github.com/haixi-hrss/fundledger/domain/policy"
	"github.com/haixi-hrss/fundledger/domain/programme"
	"github.com/haixi-hrss/fundledger/domain/region"
	"github.com/haixi-hrss/fundledger/domain/role"
	"github.com/haixi-hrss/fundledger/domain/training"
	"github.com/haixi-hrss/fundledger/ledger/schema"
)

// traineePlan is a person on a subsidised course run by the county's
// training provider: half the course's standard is advanced to the
// provider when the course starts, the rest settled once the trainee is
// certified and placed. certifiedOn and placedOn are zero while pending.
type traineePlan struct {
	county      region.Code
	born        calendar.Date
	seq         int
	occupation  string
	level       policy.Level
	standard    money.Amount
	certifiedOn calendar.Date
	placedWith  int
	placedOn    calendar.Date
	settle      stage
}

// Course standards of the local catalogue (illustrative).
var (
	initialCourse      = money.MustParse("1200.00")
	intermediateCourse = money.MustParse("1800.00")
)

// coursesStart is when the winter courses began and the advances were
// claimed.
var coursesStart = d(time.January, 6)

var trainees = []traineePlan{
	{region.Golmud, calendar.MustNew(1999, 4, 1), 815, chemicalControl, policy.Intermediate, intermediateCourse, d(2, 21), 1, d(3, 3), stagePaid},
	{region.Golmud, calendar.MustNew(2000, 6, 6), 826, welder, policy.Initial, initialCourse, d(2, 21), 2, d(3, 5), stagePaid},
	{region.Golmud, calendar.MustNew(1997, 2, 2), 837, cook, policy.Initial, initialCourse, d(2, 21), 3, d(3, 10), stageInDisclosure},
	{region.Delingha, calendar.MustNew(1998, 3, 3), 348, electrician, policy.Intermediate, intermediateCourse, d(2, 24), 5, d(3, 4), stagePaid},
	{region.Delingha, calendar.MustNew(2001, 5, 5), 359, childcare, policy.Initial, initialCourse, d(2, 24), 0, calendar.Date{}, stageSubmitted},
	{region.Mangya, calendar.MustNew(1996, 9, 9), 461, carMechanic, policy.Intermediate, intermediateCourse, d(2, 25), 7, d(3, 6), stagePaid},
	{region.Ulan, calendar.MustNew(1995, 10, 10), 572, cook, policy.Initial, initialCourse, d(2, 25), 8, d(3, 11), stageApproved},
	{region.Dulan, calendar.MustNew(1999, 12, 12), 683, welder, policy.Initial, initialCourse, calendar.Date{}, 0, calendar.Date{}, stageSubmitted},
	{region.Tianjun, calendar.MustNew(2000, 1, 21), 794, childcare, policy.Initial, initialCourse, d(2, 26), 11, d(3, 12), stageDisclosed},
	{region.DaQaidam, calendar.MustNew(1997, 7, 17), 905, chemicalControl, policy.Intermediate, intermediateCourse, calendar.Date{}, 0, calendar.Date{}, stageSubmitted},
}

// providerCode is the credit code of county c's training provider, a
// private vocational training school (52, 民办非企业单位).
func providerCode(c region.Code) (identity.CreditCode, error) {
	for i, k := range region.Counties() {
		if k == c {
			return creditCode("52", c, 100+i)
		}
	}
	return "", fmt.Errorf("haixi: %s is not a county-level unit", c)
}

// trainingClaims are the providers' advances for every trainee, then, for
// trainees certified and placed, the settlement of the rest. Each trainee's
// certification and placement are recorded as outcomes, and a settlement
// deducts the advance the ledger shows as paid.
func (r *run) trainingClaims(ctx context.Context) ([]claimPlan, error) {
	v, err := r.policyOn(ctx, programme.VocationalTraining, coursesStart)
	if err != nil {
		return nil, err
	}
	// Advances first: each settlement needs its advance paid.
	plans := make([]claimPlan, 0, len(trainees))
	for i, t := range trainees {
		p, err := r.trainingPlan(t, i, v, coursesStart, training.Advance, money.Amount{})
		if err != nil {
			return nil, err
		}
		p.stage = stagePaid
		if err := r.claim(ctx, p); err != nil {
			return nil, err
		}
	}
	for i, t := range trainees {
		if err := r.recordTrainee(ctx, t, i, v); err != nil {
			return nil, err
		}
		if t.placedOn.IsZero() {
			continue
		}
		advance, err := Fold(ctx, r.l, schema.Claim(trainingClaimID(t, i, training.Advance)))
		if err != nil {
			return nil, err
		}
		filed := workCalendar.AddWorkingDays(t.placedOn, 1)
		sv, err := r.policyOn(ctx, programme.VocationalTraining, filed)
		if err != nil {
			return nil, err
		}
		p, err := r.trainingPlan(t, i, sv, filed, training.Settlement, advance.Paid)
		if err != nil {
			return nil, err
		}
		p.stage = t.settle
		plans = append(plans, p)
	}
	return plans, nil
}

func trainingClaimID(t traineePlan, i int, s training.Stage) string {
	return fmt.Sprintf("train-%d-%s-%02d-%s", Year, t.county, i+1, s)
}

func (r *run) trainingPlan(t traineePlan, i int, v policy.Version, filed calendar.Date, s training.Stage, advancePaid money.Amount) (claimPlan, error) {
	who, err := r.people.person(t.county, t.born, t.seq)
	if err != nil {
		return claimPlan{}, err
	}
	provider, err := providerCode(t.county)
	if err != nil {
		return claimPlan{}, err
	}
	f := training.Facts{Person: who.ref, Stage: s, Occupation: t.occupation, Level: t.level, Standard: t.standard,
		AdvancePaid: advancePaid}
	if s == training.Settlement {
		f.CertificateDate, f.PlacementDate = t.certifiedOn, t.placedOn
	}
	a, err := training.Assess(v, filed, f)
	if err != nil {
		return claimPlan{}, err
	}
	return claimPlan{id: trainingClaimID(t, i, s), programme: programme.VocationalTraining, county: t.county,
		beneficiary: claim.Beneficiary{Kind: claim.Provider, Ref: provider.String()}, who: &who, masked: who.id.Masked(), filed: filed,
		keys: training.Keys(f), policy: v, assessment: a}, nil
}

// recordTrainee records a trainee's certificate and placement, if any.
func (r *run) recordTrainee(ctx context.Context, t traineePlan, i int, v policy.Version) error {
	if t.certifiedOn.IsZero() {
		return nil
	}
	who, err := r.people.person(t.county, t.born, t.seq)
	if err != nil {
		return err
	}
	id := fmt.Sprintf("trainee-%d-%s-%02d", Year, t.county, i+1)
	clerk, agg := Clerk(t.county), schema.Trainee(id)
	// The trainee's course is the vocational training claim above, run by
	// the county's provider: it counts against that county's budget.
	certify := trainee.Certify{TraineeID: id, Person: who.ref.String(), Occupation: t.occupation, Level: t.level,
		County: t.county, Programme: programme.VocationalTraining, On: t.certifiedOn, Actor: clerk, Role: role.Clerk, At: at(t.certifiedOn)}
	if _, err := handle(ctx, r, agg, envelope("trainee/"+id+"/certified", clerk, role.Clerk, t.certifiedOn, ""), "CertifyTrainee", certify,
		func(s trainee.State) ([]domain.Event, error) { return trainee.Decide(s, certify) }); err != nil {
		return err
	}
	if t.placedOn.IsZero() {
		return nil
	}
	_, employer, err := employerByN(t.placedWith)
	if err != nil {
		return err
	}
	place := trainee.Place{Employer: employer.String(), On: t.placedOn, WindowMonths: v.Training.PlacementMonths,
		Actor: clerk, Role: role.Clerk, At: at(t.placedOn)}
	_, err = handle(ctx, r, agg, envelope("trainee/"+id+"/placed", clerk, role.Clerk, t.placedOn, ""), "PlaceTrainee", place,
		func(s trainee.State) ([]domain.Event, error) { return trainee.Decide(s, place) })
	return err
}
