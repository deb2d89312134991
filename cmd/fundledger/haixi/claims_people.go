package haixi

import (
	"context"
	"fmt"
	"time"

	"github.com/haixi-hrss/fundledger/domain/absorption"
	"github.com/haixi-hrss/fundledger/domain/calendar"
	"github.com/haixi-hrss/fundledger/domain/claim"
	"github.com/haixi-hrss/fundledger/domain/money"
	"github.com/haixi-hrss/fundledger/domain/policy"
	"github.com/haixi-hrss/fundledger/domain/programme"
	"github.com/haixi-hrss/fundledger/domain/region"
	"github.com/haixi-hrss/fundledger/domain/skillupgrade"
	"github.com/haixi-hrss/fundledger/domain/startup"
)

// flexibleWorker is a flexibly employed person whose own pension and
// medical premiums are subsidised month by month.
type flexibleWorker struct {
	county    region.Code
	group     absorption.FlexibleGroup
	category  string
	graduated calendar.Date
	born      calendar.Date
	seq       int
	premiums  money.Amount
	months    []monthClaim
}

var flexibleWorkers = []flexibleWorker{
	{county: region.Golmud, group: absorption.Hardship, category: "woman-40-plus", born: calendar.MustNew(1980, 9, 9), seq: 602, premiums: money.MustParse("1254.00"),
		months: []monthClaim{{time.January, d(2, 14), stagePaid, twist{}}, {time.February, d(3, 14), stagePaid, twist{}}}},
	{county: region.Golmud, group: absorption.Graduate, graduated: calendar.MustNew(2024, 6, 30), born: calendar.MustNew(2002, 8, 18), seq: 711, premiums: money.MustParse("1131.00"),
		months: []monthClaim{{time.January, d(2, 14), stagePaid, twist{}}, {time.February, d(3, 14), stageDisclosed, twist{}}}},
	{county: region.Delingha, group: absorption.Hardship, category: "man-50-plus", born: calendar.MustNew(1972, 1, 23), seq: 153, premiums: money.MustParse("1254.00"),
		months: []monthClaim{{time.January, d(2, 17), stagePaid, twist{}}, {time.February, d(3, 17), stagePaid, twist{}}}},
	{county: region.Mangya, group: absorption.Hardship, category: "low-income", born: calendar.MustNew(1984, 10, 1), seq: 264, premiums: money.MustParse("1131.00"),
		months: []monthClaim{{time.January, d(2, 17), stagePaid, twist{}}, {time.February, d(3, 17), stageApproved, twist{}}}},
	{county: region.Ulan, group: absorption.Hardship, category: "lifted-out-of-poverty", born: calendar.MustNew(1987, 5, 5), seq: 375, premiums: money.MustParse("1131.00"),
		months: []monthClaim{{time.January, d(2, 18), stagePaid, twist{}}, {time.February, d(3, 18), stageInDisclosure, twist{}}}},
	{county: region.Dulan, group: absorption.Hardship, category: "zero-employment-family", born: calendar.MustNew(1983, 12, 30), seq: 486, premiums: money.MustParse("1131.00"),
		months: []monthClaim{{time.January, d(2, 18), stagePaid, twist{}}, {time.February, d(3, 17), stagePaid, twist{}}}},
	{county: region.Tianjun, group: absorption.Hardship, category: "disabled", born: calendar.MustNew(1990, 2, 14), seq: 597, premiums: money.MustParse("1131.00"),
		months: []monthClaim{{time.January, d(2, 19), stagePaid, twist{}}, {time.February, d(3, 24), stageChecked, twist{}}}},
	{county: region.DaQaidam, group: absorption.Graduate, graduated: calendar.MustNew(2023, 7, 1), born: calendar.MustNew(2000, 11, 11), seq: 618, premiums: money.MustParse("1254.00"),
		months: []monthClaim{{time.January, d(2, 19), stagePaid, twist{}}, {time.February, d(3, 25), stageSubmitted, twist{}}}},
}

// socialInsuranceClaims are flexibly employed people's monthly subsidies.
func (r *run) socialInsuranceClaims(ctx context.Context) ([]claimPlan, error) {
	var plans []claimPlan
	for i, w := range flexibleWorkers {
		who, err := r.people.person(w.county, w.born, w.seq)
		if err != nil {
			return nil, err
		}
		for _, m := range w.months {
			v, err := r.policyOn(ctx, programme.SocialInsurance, m.filed)
			if err != nil {
				return nil, err
			}
			f := absorption.FlexibleFacts{Person: who.ref, Group: w.group, Category: w.category, GraduationDate: w.graduated,
				Registered: true, FirstApproval: absorptionApproved, RetirementDate: retirement(who.id), Month: d(m.month, 1), PremiumsPaid: w.premiums}
			a, err := absorption.AssessFlexible(v, m.filed, f)
			if err != nil {
				return nil, err
			}
			label := fmt.Sprintf("2025-%02d", m.month)
			plans = append(plans, claimPlan{id: fmt.Sprintf("si-%s-%02d-%s", w.county, i+1, label), programme: programme.SocialInsurance, county: w.county,
				beneficiary: claim.Beneficiary{Kind: claim.Person, Ref: who.ref.String()}, who: &who, masked: who.id.Masked(), filed: m.filed,
				keys: absorption.FlexibleKeys(f), policy: v, assessment: a, schedule: []claim.Planned{{Label: label, Amount: a.Amount}},
				stage: m.stage, twist: m.twist})
		}
	}
	return plans, nil
}

// certified is an insured worker's skill certificate claimed for the
// skill-upgrade subsidy.
type certified struct {
	county     region.Code
	born       calendar.Date
	seq        int
	insured    int
	occupation string
	level      policy.Level
	on, filed  calendar.Date
	stage      stage
	twist      twist
}

// Occupation codes of the national classification (2022).
const (
	electrician     = "6-31-01-03" // 电工
	welder          = "6-18-02-04" // 焊工
	chemicalControl = "6-11-01-03" // 化工总控工
	cook            = "4-03-02-01" // 中式烹调师
	carMechanic     = "4-12-01-01" // 汽车维修工
	childcare       = "4-10-01-02" // 育婴员
)

var certificates = []certified{
	{region.Golmud, calendar.MustNew(1994, 3, 8), 113, 60, chemicalControl, policy.Intermediate, d(1, 10), d(1, 14), stagePaid, twist{}},
	{region.Golmud, calendar.MustNew(1991, 7, 19), 224, 84, electrician, policy.Advanced, d(1, 17), d(2, 10), stagePaid,
		twist{clawback: &clawback{amount: money.MustParse("2000.00"), reason: claim.Fraudulent,
			detail: "证书编号在全国职业资格证书查询系统中不存在，系伪造 the certificate number is not in the national register: forged", on: d(3, 26)}}},
	{region.Delingha, calendar.MustNew(1996, 2, 2), 135, 36, welder, policy.Intermediate, d(1, 17), d(2, 11), stagePaid, twist{}},
	{region.Delingha, calendar.MustNew(1998, 8, 21), 246, 8, cook, policy.Initial, d(2, 21), d(3, 3), stageChecked, twist{}},
	{region.Mangya, calendar.MustNew(1989, 11, 3), 157, 120, electrician, policy.Intermediate, d(2, 14), d(2, 24), stagePaid, twist{}},
	{region.Mangya, calendar.MustNew(1993, 6, 16), 268, 48, carMechanic, policy.Initial, d(3, 7), d(3, 17), stageDisclosed, twist{}},
	{region.Ulan, calendar.MustNew(1992, 4, 4), 179, 30, cook, policy.Intermediate, d(2, 21), d(3, 3), stagePaid, twist{}},
	{region.Ulan, calendar.MustNew(1997, 9, 29), 280, 22, childcare, policy.Initial, d(3, 7), d(3, 12), stageApproved,
		twist{rejectReason: "证书信息与全国联网查询结果不一致 the certificate does not match the national register"}},
	{region.Dulan, calendar.MustNew(1990, 10, 10), 191, 72, welder, policy.Advanced, d(2, 21), d(3, 4), stagePaid, twist{}},
	{region.Dulan, calendar.MustNew(1995, 1, 25), 202, 26, carMechanic, policy.Intermediate, d(3, 14), d(3, 21), stageApproved, twist{}},
	{region.Tianjun, calendar.MustNew(1993, 3, 13), 213, 40, childcare, policy.Intermediate, d(2, 28), d(3, 5), stagePaid, twist{}},
	{region.Tianjun, calendar.MustNew(1988, 12, 1), 224, 96, electrician, policy.Advanced, d(3, 21), d(3, 28), stageSubmitted, twist{}},
	{region.DaQaidam, calendar.MustNew(1991, 5, 17), 235, 66, chemicalControl, policy.Advanced, d(2, 28), d(3, 6), stagePaid, twist{}},
	{region.DaQaidam, calendar.MustNew(1996, 7, 7), 246, 30, welder, policy.Initial, d(3, 14), d(3, 19), stageInDisclosure, twist{}},
}

// skillUpgradeClaims are insured workers' skill-upgrade subsidies.
func (r *run) skillUpgradeClaims(ctx context.Context) ([]claimPlan, error) {
	plans := make([]claimPlan, 0, len(certificates))
	for i, c := range certificates {
		who, err := r.people.person(c.county, c.born, c.seq)
		if err != nil {
			return nil, err
		}
		v, err := r.policyOn(ctx, programme.SkillUpgrade, c.filed)
		if err != nil {
			return nil, err
		}
		f := skillupgrade.Facts{Person: who.ref, InsuredMonths: c.insured, Occupation: c.occupation, Level: c.level, CertificateDate: c.on}
		a, err := skillupgrade.Assess(v, c.filed, f)
		if err != nil {
			return nil, err
		}
		plans = append(plans, claimPlan{id: skillClaimID(c, i), programme: programme.SkillUpgrade, county: c.county,
			beneficiary: claim.Beneficiary{Kind: claim.Person, Ref: who.ref.String()}, who: &who, masked: who.id.Masked(), filed: c.filed,
			keys: skillupgrade.Keys(c.filed, f), policy: v, assessment: a, stage: c.stage, twist: c.twist})
	}
	return plans, nil
}

func skillClaimID(c certified, i int) string {
	return fmt.Sprintf("skill-%d-%s-%02d", Year, c.county, i+1)
}

// FraudClaim is the ID of the skill-upgrade claim whose payment was clawed
// back for a forged certificate: a claim about a person, whose identity an
// auditor would need to see.
func FraudClaim() string {
	for i, c := range certificates {
		if c.twist.clawback != nil && c.twist.clawback.reason == claim.Fraudulent {
			return skillClaimID(c, i)
		}
	}
	return ""
}

// founder is a first-time founder claiming the one-time start-up subsidy
// for a business (an individual business, 个体工商户) that has run a year.
type founder struct {
	county     region.Code
	group      string
	graduated  calendar.Date
	born       calendar.Date
	seq        int
	registered calendar.Date
	filed      calendar.Date
	stage      stage
	twist      twist
}

var founders = []founder{
	{region.Golmud, startup.Graduate, calendar.MustNew(2023, 6, 30), calendar.MustNew(2001, 1, 9), 731, calendar.MustNew(2023, 9, 12), d(2, 17), stagePaid, twist{}},
	{region.Delingha, "hardship", calendar.Date{}, calendar.MustNew(1981, 3, 3), 142, calendar.MustNew(2023, 11, 20), d(2, 18), stagePaid,
		twist{failedPayment: "收款账户已销户 the account is closed", cancelReason: "经营者已办理注销登记 the business was deregistered before payment"}},
	{region.Mangya, startup.Graduate, calendar.MustNew(2023, 7, 1), calendar.MustNew(2000, 12, 24), 253, calendar.MustNew(2024, 1, 15), d(3, 3), stagePaid, twist{}},
	{region.Ulan, "hardship", calendar.Date{}, calendar.MustNew(1986, 6, 30), 364, calendar.MustNew(2024, 7, 1), d(3, 4), stageChecked, twist{}},
	{region.Dulan, "hardship", calendar.Date{}, calendar.MustNew(1984, 4, 14), 475, calendar.MustNew(2023, 10, 8), d(3, 10), stageDisclosed, twist{}},
	{region.Tianjun, startup.Graduate, calendar.MustNew(2023, 6, 30), calendar.MustNew(2002, 10, 2), 586, calendar.MustNew(2023, 12, 1), d(3, 20), stageApproved, twist{}},
	{region.DaQaidam, "hardship", calendar.Date{}, calendar.MustNew(1979, 8, 8), 697, calendar.MustNew(2023, 8, 18), d(3, 25), stageSubmitted, twist{}},
}

// startUpClaims are founders' one-time start-up subsidies.
func (r *run) startUpClaims(ctx context.Context) ([]claimPlan, error) {
	plans := make([]claimPlan, 0, len(founders))
	for i, f := range founders {
		who, err := r.people.person(f.county, f.born, f.seq)
		if err != nil {
			return nil, err
		}
		business, err := creditCode("92", f.county, 200+i)
		if err != nil {
			return nil, err
		}
		v, err := r.policyOn(ctx, programme.StartUp, f.filed)
		if err != nil {
			return nil, err
		}
		facts := startup.Facts{Founder: who.ref, Group: f.group, GraduationDate: f.graduated, FirstTimeFounder: true,
			Business: business, Registered: f.registered, Operating: true}
		a, err := startup.Assess(v, f.filed, facts)
		if err != nil {
			return nil, err
		}
		plans = append(plans, claimPlan{id: fmt.Sprintf("startup-%d-%s-%02d", Year, f.county, i+1), programme: programme.StartUp, county: f.county,
			beneficiary: claim.Beneficiary{Kind: claim.Person, Ref: who.ref.String()}, who: &who, masked: who.id.Masked(), filed: f.filed,
			keys: startup.Keys(facts), policy: v, assessment: a, stage: f.stage, twist: f.twist})
	}
	return plans, nil
}
