package haixi

import (
	"context"
	"fmt"
	"time"

	"github.com/haixi-hrss/fundledger/domain"
	"github.com/haixi-hrss/fundledger/domain/calendar"
	"github.com/haixi-hrss/fundledger/domain/identity"
	"github.com/haixi-hrss/fundledger/domain/outcome"
	"github.com/haixi-hrss/fundledger/domain/outcome/hire"
	"github.com/haixi-hrss/fundledger/domain/outcome/indicator"
	"github.com/haixi-hrss/fundledger/domain/outcome/target"
	"github.com/haixi-hrss/fundledger/domain/region"
	"github.com/haixi-hrss/fundledger/domain/role"
	"github.com/haixi-hrss/fundledger/ledger/schema"
)

// hireOutcome is a subsidised hire as the clerk records it when the first
// claim for it is filed, and, when checkpoint is set, the +3-month finding
// on the first working day three days after it falls due, if that is
// within the quarter.
type hireOutcome struct {
	id           string
	person       person
	employer     identity.CreditCode
	county       region.Code
	hiredOn      calendar.Date
	claimID      string
	recordedOn   calendar.Date
	checkpoint   bool
	stillInsured bool
}

func (r *run) recordHire(ctx context.Context, h hireOutcome) error {
	clerk := Clerk(h.county)
	agg := schema.Hire(h.id)
	rec := hire.Record{HireID: h.id, Person: h.person.ref.String(), Employer: h.employer.String(), HiredOn: h.hiredOn, Insured: true,
		ClaimID: h.claimID, Actor: clerk, Role: role.Clerk, At: at(h.recordedOn)}
	if _, err := handle(ctx, r, agg, envelope("hire/"+h.id, clerk, role.Clerk, h.recordedOn, ""), "RecordHire", rec,
		func(s hire.State) ([]domain.Event, error) { return hire.Decide(s, rec) }); err != nil {
		return err
	}
	if !h.checkpoint {
		return nil
	}
	asOf := workCalendar.AddWorkingDays(h.hiredOn.AddMonths(3).AddDays(2), 1)
	if asOf.After(QuarterEnd) {
		return nil
	}
	status := hire.RecordInsuredStatus{Months: 3, AsOf: asOf, Insured: h.stillInsured, Actor: clerk, Role: role.Clerk, At: at(asOf)}
	_, err := handle(ctx, r, agg, envelope("hire/"+h.id+"/+3", clerk, role.Clerk, asOf, ""), "RecordInsuredStatus", status,
		func(s hire.State) ([]domain.Event, error) { return hire.Decide(s, status) })
	return err
}

// targetsOn is when the administrator set the year's targets.
var targetsOn = d(time.January, 10)

// targets sets every county's targets for the year: new urban jobs and
// labour transfer, one command per county.
func (r *run) targets(ctx context.Context) error {
	for _, c := range counties {
		cmds := []target.Command{
			target.SetTarget{Region: c.code, Year: Year, Indicator: outcome.NewUrbanJobs, Value: c.newJobsTarget,
				Actor: Administrator, Role: role.Administrator, At: at(targetsOn)},
			target.SetTarget{Region: c.code, Year: Year, Indicator: outcome.LabourTransfer, Value: c.transferTarget,
				Actor: Administrator, Role: role.Administrator, At: at(targetsOn)},
		}
		env := envelope(fmt.Sprintf("target/%s/%d", c.code, Year), Administrator, role.Administrator, targetsOn, "")
		if _, err := handle(ctx, r, schema.Target(c.code, Year), env, "SetTargets", cmds,
			func(s target.State) ([]domain.Event, error) {
				return decideAll(s, target.Evolve, target.Decide, cmds...)
			}); err != nil {
			return err
		}
	}
	return nil
}

// indicators records each county's monthly values, each month's report
// holding both indicators.
func (r *run) indicators(ctx context.Context) error {
	for _, c := range counties {
		clerk := Clerk(c.code)
		for i, m := range []time.Month{time.January, time.February, time.March} {
			on := reportedOn(m)
			month := fmt.Sprintf("%d-%02d", Year, m)
			cmds := []indicator.Command{
				indicator.Record{Region: c.code, Year: Year, Indicator: outcome.NewUrbanJobs, Month: month, Value: c.newJobs[i],
					Actor: clerk, Role: role.Clerk, At: at(on)},
				indicator.Record{Region: c.code, Year: Year, Indicator: outcome.LabourTransfer, Month: month, Value: c.transferred[i],
					Actor: clerk, Role: role.Clerk, At: at(on)},
			}
			env := envelope(fmt.Sprintf("indicator/%s/%s", c.code, month), clerk, role.Clerk, on, "")
			if _, err := handle(ctx, r, schema.Indicator(c.code, Year), env, "RecordIndicators", cmds,
				func(s indicator.State) ([]domain.Event, error) {
					return decideAll(s, indicator.Evolve, indicator.Decide, cmds...)
				}); err != nil {
				return err
			}
		}
	}
	return nil
}
