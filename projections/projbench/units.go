package projbench

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/shopspring/decimal"

	"github.com/haixi-hrss/fundledger/domain/calendar"
	"github.com/haixi-hrss/fundledger/domain/employer"
	"github.com/haixi-hrss/fundledger/domain/identity"
	"github.com/haixi-hrss/fundledger/domain/money"
	"github.com/haixi-hrss/fundledger/domain/outcome/hire"
	"github.com/haixi-hrss/fundledger/domain/programme"
	"github.com/haixi-hrss/fundledger/domain/region"
	"github.com/haixi-hrss/fundledger/domain/role"
	"github.com/haixi-hrss/fundledger/domain/stabilization"
	"github.com/haixi-hrss/fundledger/eventstore"
)

// unit is one insured employer and its stream's state.
type unit struct {
	n         int
	code      identity.CreditCode
	county    region.Code
	headcount int
	perCapita money.Amount
	layoffs   int
	dishonest bool
	state     employer.State
}

func (u *unit) stream() string { return employer.Stream(u.code.String()) }

// register creates n units, spread over the counties, with sizes from
// micro to large, and records their registration.
func (g *generator) register(ctx context.Context, n int) error {
	on := calendar.MustNew(2023, time.January, 3)
	for i := 1; i <= n; i++ {
		county := counties[i%len(counties)]
		first17 := fmt.Sprintf("91%sMA%07d", county, i)
		c, ok := identity.CreditCheckChar(first17)
		if !ok {
			return fmt.Errorf("projbench: no credit code from %q", first17)
		}
		code, err := identity.ParseCreditCode("creditCode", first17+string(c))
		if err != nil {
			return err
		}
		u := &unit{n: i, code: code, county: county, headcount: 5 + i*37%600, perCapita: money.MustParse(fmt.Sprintf("%d.00", 50+i%50)),
			layoffs: i % 9, dishonest: i%97 == 0}
		size := employer.Micro
		switch {
		case u.headcount >= 300:
			size = employer.Large
		case u.headcount >= 100:
			size = employer.Medium
		case u.headcount >= 20:
			size = employer.Small
		}
		cmd := employer.Register{CreditCode: code.String(), Name: fmt.Sprintf("海西基准单位%05d（基准）有限公司", i), SizeClass: size,
			Region: county, Actor: clerk(county), Role: role.Clerk, At: at(on)}
		if err := g.employer(u, meta("employer/"+code.String(), clerk(county), role.Clerk, on, ""), cmd); err != nil {
			return err
		}
		g.units = append(g.units, u)
	}
	return g.out.flush(ctx)
}

// employer decides cmd on u's state and queues the events.
func (g *generator) employer(u *unit, m eventstore.Metadata, cmd employer.Command) error {
	evs, err := employer.Decide(u.state, cmd)
	if err != nil {
		return fmt.Errorf("projbench: %s: %w", u.stream(), err)
	}
	for _, e := range evs {
		u.state = employer.Evolve(u.state, e)
	}
	return g.out.add(u.stream(), m, evs...)
}

// reports records the monthly reports of the year before y, month by
// month, then the year's layoffs and any dishonesty listing.
func (g *generator) reports(ctx context.Context, y programme.FiscalYear) error {
	base := int(y) - 1
	for m := time.January; m <= time.December; m++ {
		on := calendar.MustNew(base, m, 1).AddMonths(1).AddDays(4)
		for _, u := range g.units {
			n := u.headcount + ((base-2022)*12+int(m))*u.headcount/300
			cmd := employer.ReportMonth{Month: fmt.Sprintf("%d-%02d", base, m), InsuredHeadcount: n,
				PremiumsPaid: u.perCapita.MulRate(decimal.NewFromInt(int64(n))), Actor: clerk(u.county), Role: role.Clerk, At: at(on)}
			key := fmt.Sprintf("employer/%s/%d-%02d", u.code, base, m)
			if err := g.employer(u, meta(key, clerk(u.county), role.Clerk, on, ""), cmd); err != nil {
				return err
			}
		}
		if err := g.out.flush(ctx); err != nil {
			return err
		}
	}
	yearEnd := calendar.MustNew(base, time.December, 31)
	on := calendar.MustNew(int(y), time.January, 20)
	for _, u := range g.units {
		var cmds []employer.Command
		if u.layoffs > 0 {
			cmds = append(cmds, employer.RecordLayoffs{On: yearEnd.AddDays(-1), Count: u.layoffs, Reason: fmt.Sprintf("%d年度失业保险金新申领人员", base),
				Actor: clerk(u.county), Role: role.Clerk, At: at(on)})
		}
		if u.dishonest && !u.state.Dishonest {
			cmds = append(cmds, employer.FlagDishonesty{On: yearEnd.AddDays(-30), Reason: "列入严重失信主体名单（基准）", Actor: clerk(u.county), Role: role.Clerk, At: at(on)})
		}
		for i, cmd := range cmds {
			key := fmt.Sprintf("employer/%s/%d/%d", u.code, base, i)
			if err := g.employer(u, meta(key, clerk(u.county), role.Clerk, on, ""), cmd); err != nil {
				return err
			}
		}
	}
	return g.out.flush(ctx)
}

// facts are u's refund facts for year y, from its stream's state: the
// year before's premiums, headcounts and layoffs.
func (u *unit) facts(y programme.FiscalYear) stabilization.Facts {
	base := int(y) - 1
	var months int
	var total int64
	for m := time.January; m <= time.December; m++ {
		if mo, ok := u.state.Months[fmt.Sprintf("%d-%02d", base, m)]; ok && mo.PremiumsPaid.IsPositive() {
			months++
			total += int64(mo.InsuredHeadcount)
		}
	}
	avg := decimal.Zero
	if months > 0 {
		avg = decimal.NewFromInt(total).DivRound(decimal.NewFromInt(int64(months)), 2)
	}
	dec := u.state.Months[fmt.Sprintf("%d-12", base)].InsuredHeadcount
	return stabilization.Facts{
		Employer: u.code, Year: y, InsuredStaff: dec, PremiumMonthsPaidInFull: months,
		PremiumsPaidLastYear: u.state.PremiumsPaidIn(base), NewUIClaimants: u.state.LaidOffIn(base),
		AverageMonthlyInsured: avg, InsuredLastYearEnd: dec, InsuredThisYearEnd: dec, SeriouslyDishonest: u.state.Dishonest,
	}
}

// hireSecret keys the generated person references.
const hireSecret = "fundledger projbench secret: generated persons, not real data"

// hires records, for every fifth unit, a subsidised hire of year y and
// its insured status at +3, +6 and +12 months where due by Today.
func (g *generator) hires(ctx context.Context, y programme.FiscalYear) error {
	h, err := identity.NewHasher([]byte(hireSecret))
	if err != nil {
		return err
	}
	type pending struct {
		id    string
		st    hire.State
		unit  *unit
		hired calendar.Date
	}
	var all []pending
	for _, u := range g.units {
		if u.n%5 != 0 {
			continue
		}
		born := calendar.MustNew(1990, time.January, 1).AddDays(u.n % 4000)
		first17 := fmt.Sprintf("%s%s%03d", u.county, strings.ReplaceAll(born.String(), "-", ""), 100+u.n%800)
		c, ok := identity.ResidentCheckChar(first17)
		if !ok {
			return fmt.Errorf("projbench: no resident ID from %q", first17)
		}
		rid, err := identity.ParseResidentID("residentId", first17+string(c))
		if err != nil {
			return err
		}
		hired := calendar.MustNew(int(y), time.February, 1).AddDays(u.n % 28)
		p := pending{id: fmt.Sprintf("%d-%s", y, u.code), unit: u, hired: hired}
		cmd := hire.Record{HireID: p.id, Person: string(h.Ref(rid)), Employer: u.code.String(), HiredOn: hired, Insured: true,
			Actor: clerk(u.county), Role: role.Clerk, At: at(hired.AddDays(10))}
		if err := g.hire(&p.st, hire.Stream(p.id), meta("hire/"+p.id, clerk(u.county), role.Clerk, hired, ""), cmd); err != nil {
			return err
		}
		all = append(all, p)
		g.sum.Hires++
	}
	if err := g.out.flush(ctx); err != nil {
		return err
	}
	for _, months := range []int{3, 6, 12} {
		for i := range all {
			p := &all[i]
			asOf := p.hired.AddMonths(months).AddDays(5)
			if asOf.After(Today) {
				continue
			}
			cmd := hire.RecordInsuredStatus{Months: months, AsOf: asOf, Insured: (p.unit.n/5+months)%7 != 0,
				Actor: clerk(p.unit.county), Role: role.Clerk, At: at(asOf)}
			key := fmt.Sprintf("hire/%s/%d", p.id, months)
			if err := g.hire(&p.st, hire.Stream(p.id), meta(key, clerk(p.unit.county), role.Clerk, asOf, ""), cmd); err != nil {
				return err
			}
		}
		if err := g.out.flush(ctx); err != nil {
			return err
		}
	}
	return nil
}

func (g *generator) hire(st *hire.State, stream string, m eventstore.Metadata, cmd hire.Command) error {
	evs, err := hire.Decide(*st, cmd)
	if err != nil {
		return fmt.Errorf("projbench: %s: %w", stream, err)
	}
	for _, e := range evs {
		*st = hire.Evolve(*st, e)
	}
	return g.queue(stream, m, evs, nil)
}
