package haixi

import (
	"context"
	"fmt"
	"time"

	"github.com/shopspring/decimal"

	"github.com/haixi-hrss/fundledger/domain"
	"github.com/haixi-hrss/fundledger/domain/calendar"
	"github.com/haixi-hrss/fundledger/domain/employer"
	"github.com/haixi-hrss/fundledger/domain/identity"
	"github.com/haixi-hrss/fundledger/domain/money"
	"github.com/haixi-hrss/fundledger/domain/region"
	"github.com/haixi-hrss/fundledger/domain/role"
	"github.com/haixi-hrss/fundledger/domain/stabilization"
	"github.com/haixi-hrss/fundledger/ledger/schema"
)

// employerPlan is an insured unit: its size, its insured headcount at the
// end of 2024, the monthly UI premium per insured person (unit and staff
// shares, about 1% of the wage), the staff it laid off in 2024 who claimed
// UI benefit, and, for one, its listing as seriously dishonest.
type employerPlan struct {
	n         int
	county    region.Code
	name      string
	size      employer.SizeClass
	headcount int
	perCapita money.Amount
	layoffs   int
	dishonest string
	// refund is how far the unit's 2025 stabilization refund got.
	refund stage
	twist  twist
}

var employers = []employerPlan{
	{n: 1, county: region.Golmud, name: "格尔木盐湖钾肥化工（演示）有限公司", size: employer.Large, headcount: 3200, perCapita: money.MustParse("90.00"), layoffs: 41, refund: stagePaid},
	{n: 2, county: region.Golmud, name: "格尔木昆仑物流（演示）有限公司", size: employer.Medium, headcount: 180, perCapita: money.MustParse("70.00"), layoffs: 5, refund: stagePaid},
	{n: 3, county: region.Golmud, name: "格尔木察尔汗酒店（演示）有限公司", size: employer.Small, headcount: 26, perCapita: money.MustParse("50.00"), layoffs: 3, refund: stageInDisclosure},
	{n: 4, county: region.Golmud, name: "格尔木西部建筑工程（演示）有限公司", size: employer.Medium, headcount: 95, perCapita: money.MustParse("65.00"), layoffs: 14, refund: stageChecked},
	{n: 5, county: region.Delingha, name: "德令哈光伏电力（演示）有限公司", size: employer.Large, headcount: 640, perCapita: money.MustParse("80.00"), layoffs: 9, refund: stagePaid},
	{n: 6, county: region.Delingha, name: "德令哈柴达木乳业（演示）有限公司", size: employer.Small, headcount: 75, perCapita: money.MustParse("60.00"), layoffs: 2, refund: stageApproved},
	{n: 7, county: region.Mangya, name: "茫崖油田技术服务（演示）有限公司", size: employer.Medium, headcount: 260, perCapita: money.MustParse("100.00"), layoffs: 6, refund: stagePaid,
		twist: twist{failedPayment: "收款账户户名不符 the account name does not match the unit's registered name"}},
	{n: 8, county: region.Ulan, name: "乌兰茶卡盐业（演示）有限公司", size: employer.Small, headcount: 48, perCapita: money.MustParse("60.00"), layoffs: 1, refund: stageDisclosed},
	{n: 9, county: region.Ulan, name: "乌兰宏达商贸（演示）有限公司", size: employer.Micro, headcount: 40, perCapita: money.MustParse("55.00"),
		dishonest: "列入严重失信主体名单 listed as a seriously dishonest entity (2024-11)", refund: stageChecked},
	{n: 10, county: region.Dulan, name: "都兰枸杞加工（演示）有限公司", size: employer.Small, headcount: 60, perCapita: money.MustParse("50.00"), layoffs: 2, refund: stagePaid},
	{n: 11, county: region.Tianjun, name: "天峻高原牧业（演示）有限公司", size: employer.Small, headcount: 35, perCapita: money.MustParse("55.00"), layoffs: 1, refund: stageChecked},
	{n: 12, county: region.DaQaidam, name: "大柴旦锂盐化工（演示）有限公司", size: employer.Medium, headcount: 150, perCapita: money.MustParse("80.00"), layoffs: 4, refund: stageReleased},
}

func (e employerPlan) code() (identity.CreditCode, error) { return creditCode("91", e.county, e.n) }

// insured is the unit's insured headcount in month m of year y: it grows by
// about half a percent a month, to headcount at the end of 2024.
func (e employerPlan) insured(y int, m time.Month) int {
	since := (y-2024)*12 + int(m) - 12
	return e.headcount + since*e.headcount/200
}

// registeredOn is when the clerks entered the units and their 2024 data.
var registeredOn = calendar.MustNew(2025, time.January, 3)

// employers registers every unit with its 2024 monthly reports, layoffs and
// any dishonesty listing, then the monthly reports of 2025 as they came in.
func (r *run) employers(ctx context.Context) error {
	for _, e := range employers {
		code, err := e.code()
		if err != nil {
			return err
		}
		clerk := Clerk(e.county)
		agg := schema.Employer(code.String())
		cmds := []employer.Command{employer.Register{CreditCode: code.String(), Name: e.name, SizeClass: e.size, Region: e.county,
			Actor: clerk, Role: role.Clerk, At: at(registeredOn)}}
		for m := time.January; m <= time.December; m++ {
			cmds = append(cmds, e.report(2024, m, clerk, registeredOn))
		}
		if e.layoffs > 0 {
			cmds = append(cmds, employer.RecordLayoffs{On: calendar.MustNew(2024, time.November, 30), Count: e.layoffs,
				Reason: "2024年度失业保险金新申领人员 new UI-benefit claimants in 2024", Actor: clerk, Role: role.Clerk, At: at(registeredOn)})
		}
		if e.dishonest != "" {
			cmds = append(cmds, employer.FlagDishonesty{On: calendar.MustNew(2024, time.November, 15), Reason: e.dishonest,
				Actor: clerk, Role: role.Clerk, At: at(registeredOn)})
		}
		env := envelope("employer/"+code.String()+"/2024", clerk, role.Clerk, registeredOn, "")
		if _, err := handle(ctx, r, agg, env, "RegisterEmployer", cmds, decideEmployer(cmds...)); err != nil {
			return err
		}
		for m := time.January; m <= time.March; m++ {
			on := reportedOn(m)
			report := e.report(2025, m, clerk, on)
			env := envelope(fmt.Sprintf("employer/%s/2025-%02d", code, m), clerk, role.Clerk, on, "")
			if _, err := handle(ctx, r, agg, env, "ReportMonth", report, decideEmployer(report)); err != nil {
				return err
			}
		}
	}
	return nil
}

// reportedOn is when month m of 2025 was reported: early the next month,
// or on the last day of March for March, the quarter's flash report.
func reportedOn(m time.Month) calendar.Date {
	if m == time.March {
		return QuarterEnd
	}
	return calendar.MustNew(2025, m+1, 5)
}

func (e employerPlan) report(y int, m time.Month, clerk string, on calendar.Date) employer.ReportMonth {
	n := e.insured(y, m)
	return employer.ReportMonth{Month: fmt.Sprintf("%d-%02d", y, m), InsuredHeadcount: n,
		PremiumsPaid: e.perCapita.MulRate(decimal.NewFromInt(int64(n))), Actor: clerk, Role: role.Clerk, At: at(on)}
}

func decideEmployer(cmds ...employer.Command) func(employer.State) ([]domain.Event, error) {
	return func(s employer.State) ([]domain.Event, error) {
		return decideAll(s, employer.Evolve, employer.Decide, cmds...)
	}
}

// stabilizationFacts are the refund facts for 2025 as the unit's own
// stream records them: 2024's premiums, headcounts and layoffs.
func stabilizationFacts(code identity.CreditCode, s employer.State) stabilization.Facts {
	var months int
	var total int64
	for m := time.January; m <= time.December; m++ {
		if mo, ok := s.Months[fmt.Sprintf("2024-%02d", m)]; ok && mo.PremiumsPaid.IsPositive() {
			months++
			total += int64(mo.InsuredHeadcount)
		}
	}
	avg := decimal.Zero
	if months > 0 {
		avg = decimal.NewFromInt(total).DivRound(decimal.NewFromInt(int64(months)), 2)
	}
	return stabilization.Facts{
		Employer: code, Year: Year, InsuredStaff: s.Months["2024-12"].InsuredHeadcount,
		PremiumMonthsPaidInFull: months, PremiumsPaidLastYear: s.PremiumsPaidIn(2024),
		NewUIClaimants: s.LaidOffIn(2024), AverageMonthlyInsured: avg,
		SeriouslyDishonest: s.Dishonest,
	}
}
