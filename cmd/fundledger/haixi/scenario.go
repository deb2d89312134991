package haixi

import (
	"strings"
	"time"

	"github.com/haixi-hrss/fundledger/domain/calendar"
	"github.com/haixi-hrss/fundledger/domain/money"
	"github.com/haixi-hrss/fundledger/domain/programme"
	"github.com/haixi-hrss/fundledger/domain/region"
)

// Year is the scenario's fiscal year.
const Year = programme.FiscalYear(2025)

// The quarter the scenario covers: every business date in it falls within.
var (
	QuarterStart = calendar.MustNew(2025, time.January, 1)
	QuarterEnd   = calendar.MustNew(2025, time.March, 31)
)

// workCalendar is 2025's public holidays to the end of March and the
// weekend days worked in exchange (国办发明电〔2024〕12号): New Year's Day,
// and the Spring Festival from 28 January to 4 February with 26 January and
// 8 February worked.
var workCalendar = calendar.NewWorkCalendar(
	[]calendar.Date{
		calendar.MustNew(2025, time.January, 1),
		calendar.MustNew(2025, time.January, 28), calendar.MustNew(2025, time.January, 29),
		calendar.MustNew(2025, time.January, 30), calendar.MustNew(2025, time.January, 31),
		calendar.MustNew(2025, time.February, 1), calendar.MustNew(2025, time.February, 2),
		calendar.MustNew(2025, time.February, 3), calendar.MustNew(2025, time.February, 4),
	},
	[]calendar.Date{calendar.MustNew(2025, time.January, 26), calendar.MustNew(2025, time.February, 8)},
)

// county is what the scenario knows of one county-level unit: its share
// of each programme's allocation (per mille), its year's targets and its
// monthly indicator values, January to March.
type county struct {
	code                 region.Code
	share                int64
	newJobsTarget        int64
	transferTarget       int64
	newJobs, transferred [3]int64
}

// counties are Haixi's seven county-level units. Golmud, the prefecture's
// industrial centre, is the largest; the farming and herding counties
// (Dulan, Ulan, Tianjun) carry much of the labour transfer, which picks up
// after the Spring Festival. The values add up to the prefecture's
// published figures: 3,189 new urban jobs (target 11,300) and 31,091
// person-times of labour transfer (target 80,000) to the end of March.
var counties = []county{
	{region.Golmud, 380, 5400, 22000, [3]int64{468, 372, 686}, [3]int64{1806, 2629, 3779}},
	{region.Delingha, 160, 1900, 12000, [3]int64{161, 133, 244}, [3]int64{1053, 1532, 2201}},
	{region.Mangya, 90, 900, 3500, [3]int64{79, 64, 118}, [3]int64{241, 351, 504}},
	{region.Ulan, 100, 900, 12000, [3]int64{76, 61, 115}, [3]int64{1079, 1569, 2255}},
	{region.Dulan, 130, 1100, 18000, [3]int64{92, 74, 139}, [3]int64{1617, 2353, 3382}},
	{region.Tianjun, 80, 600, 9000, [3]int64{50, 41, 77}, [3]int64{774, 1125, 1618}},
	{region.DaQaidam, 60, 500, 3500, [3]int64{42, 34, 63}, [3]int64{269, 391, 563}},
}

// The actors. Each county has its own clerk and two approvers; the
// prefecture's administrator, treasurer and a third approver act for all.
const (
	Administrator = "admin-haixi-1"
	Treasurer     = "treasurer-haixi-1"
	// PrefectureApprover is the second approver of claims above the
	// two-approver threshold.
	PrefectureApprover = "approver-haixi-1"
)

func slug(c region.Code) string {
	return strings.ToLower(strings.ReplaceAll(c.NameEN(), " ", "-"))
}

// Clerk is the clerk who receives applications in county c.
func Clerk(c region.Code) string { return "clerk-" + slug(c) + "-1" }

// Approver is county c's n-th approver (1 or 2).
func Approver(c region.Code, n int) string {
	return "approver-" + slug(c) + "-" + string(rune('0'+n))
}

// transfer is money a fund receives, with the transfer's document number.
type transfer struct {
	document, source string
	amount           money.Amount
	on               calendar.Date
}

// fundPlan is one of the prefecture's two funds for the year: what it
// receives and what it allocates to each programme, split over the counties
// by their shares.
type fundPlan struct {
	id, name   string
	kind       programme.FundKind
	transfers  []transfer
	allocateOn calendar.Date
	programmes []programmeTotal
}

type programmeTotal struct {
	programme programme.Code
	total     money.Amount
}

// The funds' IDs.
const (
	EmploymentSubsidyFund     = "haixi-esf-2025"
	UnemploymentInsuranceFund = "haixi-uif-2025"
)

var funds = []fundPlan{
	{
		id: EmploymentSubsidyFund, name: "海西州就业补助资金 2025（演示）", kind: programme.EmploymentSubsidy,
		transfers: []transfer{
			{"演示财社〔2024〕151号", "财政部 提前下达2025年就业补助资金, via 青海省财政厅（演示）", money.MustParse("36000000.00"), calendar.MustNew(2025, time.January, 6)},
			{"演示青财社〔2025〕12号", "青海省财政厅（演示）", money.MustParse("6000000.00"), calendar.MustNew(2025, time.February, 18)},
			{"演示西财社〔2025〕5号", "海西州财政局 州级配套（演示）", money.MustParse("2000000.00"), calendar.MustNew(2025, time.March, 3)},
		},
		allocateOn: calendar.MustNew(2025, time.January, 10),
		programmes: []programmeTotal{
			{programme.VocationalTraining, money.MustParse("12000000.00")},
			{programme.Absorption, money.MustParse("8000000.00")},
			{programme.SocialInsurance, money.MustParse("10000000.00")},
			{programme.StartUp, money.MustParse("3000000.00")},
		},
	},
	{
		id: UnemploymentInsuranceFund, name: "海西州失业保险基金 2025（演示）", kind: programme.UnemploymentInsurance,
		transfers: []transfer{
			{"演示青人社〔2025〕3号", "青海省失业保险基金 省级统筹下达（演示）", money.MustParse("24000000.00"), calendar.MustNew(2025, time.January, 6)},
			{"演示青人社〔2025〕19号", "青海省失业保险基金（演示）", money.MustParse("6000000.00"), calendar.MustNew(2025, time.March, 3)},
		},
		allocateOn: calendar.MustNew(2025, time.January, 10),
		programmes: []programmeTotal{
			{programme.Stabilization, money.MustParse("18000000.00")},
			{programme.Expansion, money.MustParse("3000000.00")},
			{programme.SkillUpgrade, money.MustParse("3000000.00")},
		},
	},
}

// FundOf returns the ID of the fund that pays programme p in the scenario.
func FundOf(p programme.Code) string {
	for _, f := range funds {
		for _, pt := range f.programmes {
			if pt.programme == p {
				return f.id
			}
		}
	}
	return ""
}
