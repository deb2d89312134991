package projections_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/haixi-hrss/fundledger/domain"
	"github.com/haixi-hrss/fundledger/domain/budget"
	"github.com/haixi-hrss/fundledger/domain/calendar"
	"github.com/haixi-hrss/fundledger/domain/claim"
	"github.com/haixi-hrss/fundledger/domain/employer"
	"github.com/haixi-hrss/fundledger/domain/factor"
	"github.com/haixi-hrss/fundledger/domain/fund"
	"github.com/haixi-hrss/fundledger/domain/money"
	"github.com/haixi-hrss/fundledger/domain/outcome"
	"github.com/haixi-hrss/fundledger/domain/outcome/hire"
	"github.com/haixi-hrss/fundledger/domain/outcome/indicator"
	"github.com/haixi-hrss/fundledger/domain/outcome/target"
	"github.com/haixi-hrss/fundledger/domain/outcome/trainee"
	"github.com/haixi-hrss/fundledger/domain/policy"
	"github.com/haixi-hrss/fundledger/domain/programme"
	"github.com/haixi-hrss/fundledger/domain/region"
	"github.com/haixi-hrss/fundledger/domain/role"
	"github.com/haixi-hrss/fundledger/eventstore/sqlite"
	"github.com/haixi-hrss/fundledger/ledger"
	"github.com/haixi-hrss/fundledger/ledger/schema"
	"github.com/haixi-hrss/fundledger/projections"
)

// newSchemaWorld is a ledger on the embedded store whose codec is the
// ledger's whole catalogue, schema.Codec(), as the API and the demo build
// it.
func newSchemaWorld(t testing.TB) *world {
	t.Helper()
	c := schema.Codec()
	dir := t.TempDir()
	clock := &stepClock{now: time.Date(2025, 3, 1, 1, 0, 0, 0, time.UTC)}
	st, err := sqlite.Open(dir, sqlite.WithClock(clock.read))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	return &world{t: t, ctx: context.Background(), dir: dir, store: st, svc: ledger.New(st, c), codec: c}
}

// on is a business instant of 2025: 10:00 in Shanghai on month m, day d.
func on(m time.Month, d int) time.Time { return time.Date(2025, m, d, 2, 0, 0, 0, time.UTC) }

func day(m time.Month, d int) calendar.Date { return calendar.FromTime(on(m, d)) }

// handle runs one command on agg through ledger.Handle.
func handle[S any](w *world, agg ledger.Aggregate[S], name string, cmd any, decide func(S) ([]domain.Event, error)) {
	w.t.Helper()
	if _, err := ledger.Handle(w.ctx, w.svc, agg, ledger.Command{ID: uuid.New(), Name: name, Payload: cmd}, decide); err != nil {
		w.t.Fatalf("%s: %v", name, err)
	}
}

// uiFund is the unemployment-insurance fund beside fundID's employment
// subsidy fund.
const uiFund = "ui-2025"

// fundOf is the fund that pays programme p.
func fundOf(p programme.Code) string {
	if p.Fund() == programme.UnemploymentInsurance {
		return uiFund
	}
	return fundID
}

func (w *world) onFund(id, name string, cmd fund.Command) {
	w.t.Helper()
	handle(w, schema.Fund(id), name, cmd, func(s fund.State) ([]domain.Event, error) { return fund.Decide(s, cmd) })
}

// openFunds opens both funds and receives a transfer into each in
// January.
func (w *world) openFunds() {
	w.t.Helper()
	for _, f := range []struct {
		id   string
		kind programme.FundKind
	}{{fundID, programme.EmploymentSubsidy}, {uiFund, programme.UnemploymentInsurance}} {
		w.onFund(f.id, "OpenFund", fund.Open{FundID: f.id, Name: f.id, FiscalYear: 2025, Kind: f.kind,
			Level: fund.Prefecture, Region: region.Haixi, Actor: "admin-1", Role: role.Administrator, At: on(1, 6)})
		w.onFund(f.id, "ReceiveTransfer", fund.ReceiveTransfer{Document: "财社〔2025〕12号", Amount: money.MustParse("5000000.00"),
			Source: "青海省财政厅", ReceivedOn: day(1, 6), Actor: "admin-1", Role: role.Administrator, At: on(1, 6)})
	}
}

// allocateOn allocates amount to programme p in county r on instant when
// and returns the budget line.
func (w *world) allocateOn(p programme.Code, r region.Code, amount string, when time.Time) string {
	w.t.Helper()
	f := fundOf(p)
	line := budget.LineID(f, p, r, 2025)
	id := fmt.Sprintf("al-%s-%s-%d", p, r, when.Unix())
	a := money.MustParse(amount)
	w.onFund(f, "Allocate", fund.Allocate{AllocationID: id, Programme: p, Region: r, Amount: a, Actor: "admin-1", Role: role.Administrator, At: when})
	w.budget(line, "RecordAllocation", budget.RecordAllocation{AllocationID: id, BudgetLineID: line, FundID: f, Programme: p,
		Region: r, FiscalYear: 2025, Amount: a, Actor: "admin-1", Role: role.Administrator, At: when})
	return line
}

// submitFor submits claim id of programme p in county r on line for b.
func (w *world) submitFor(id string, p programme.Code, r region.Code, line string, b claim.Beneficiary) {
	w.t.Helper()
	w.onClaim(id, claim.Submit{ClaimID: id, Programme: p, Beneficiary: b, Region: r, BudgetLineID: line,
		EffectiveDate: day(1, 10), Actor: "clerk-1", Role: role.Clerk, At: on(1, 10)})
}

// pay reserves amount for claim id on line and spends it on instant when.
func (w *world) pay(line, id, amount string, when time.Time) {
	w.t.Helper()
	a := money.MustParse(amount)
	op := fmt.Sprintf("%s-%d", id, when.Unix())
	w.budget(line, "Reserve", budget.Reserve{ReservationID: "rs-" + op, ClaimID: id, Amount: a, Actor: "appr-1", Role: role.Approver, At: when})
	w.budget(line, "Spend", budget.Spend{PaymentID: "pay-" + op, ClaimID: id, Amount: a, Actor: "tr-1", Role: role.Treasurer, At: when})
}

func employerOf(i int) claim.Beneficiary {
	return claim.Beneficiary{Kind: claim.Employer, Ref: employerCode(i).String()}
}

func personOf(i int) claim.Beneficiary {
	return claim.Beneficiary{Kind: claim.Person, Ref: personRef(i).String()}
}

func (w *world) registerEmployer(i int, r region.Code) {
	w.t.Helper()
	cmd := employer.Register{CreditCode: employerCode(i).String(), Name: fmt.Sprintf("单位%d", i), SizeClass: employer.Small, Region: r,
		Actor: "clerk-1", Role: role.Clerk, At: on(1, 2)}
	handle(w, schema.Employer(cmd.CreditCode), "RegisterEmployer", cmd, func(s employer.State) ([]domain.Event, error) { return employer.Decide(s, cmd) })
}

func (w *world) reportMonth(i int, month string, headcount int) {
	w.t.Helper()
	cmd := employer.ReportMonth{Month: month, InsuredHeadcount: headcount, PremiumsPaid: money.MustParse("1000.00"),
		Actor: "clerk-1", Role: role.Clerk, At: on(1, 3)}
	handle(w, schema.Employer(employerCode(i).String()), "ReportMonth", cmd, func(s employer.State) ([]domain.Event, error) { return employer.Decide(s, cmd) })
}

func (w *world) recordHire(id string, person, emp int, claimID string, hired calendar.Date) {
	w.t.Helper()
	cmd := hire.Record{HireID: id, Person: personRef(person).String(), Employer: employerCode(emp).String(), HiredOn: hired, Insured: true,
		ClaimID: claimID, Actor: "clerk-1", Role: role.Clerk, At: on(1, 12)}
	handle(w, schema.Hire(id), "RecordHire", cmd, func(s hire.State) ([]domain.Event, error) { return hire.Decide(s, cmd) })
}

func (w *world) hireFinding(id string, months int, asOf calendar.Date, insured bool) {
	w.t.Helper()
	cmd := hire.RecordInsuredStatus{Months: months, AsOf: asOf, Insured: insured, Actor: "clerk-1", Role: role.Clerk, At: asOf.Start()}
	handle(w, schema.Hire(id), "RecordInsuredStatus", cmd, func(s hire.State) ([]domain.Event, error) { return hire.Decide(s, cmd) })
}

func (w *world) certify(id string, person int, certified calendar.Date) {
	w.t.Helper()
	w.certifyAs(id, personRef(person).String(), certified)
}

// certifyAs certifies trainee id, the person with keyed reference ref,
// trained under vocational training in Golmud; t2, never placed, took the
// prefecture's own course, so the scenario has a trainee counted under
// the prefecture.
func (w *world) certifyAs(id, ref string, certified calendar.Date) {
	w.t.Helper()
	county := region.Golmud
	if id == "t2" {
		county = region.Haixi
	}
	cmd := trainee.Certify{TraineeID: id, Person: ref, Occupation: "焊工", Level: policy.Initial,
		County: county, Programme: programme.VocationalTraining, On: certified, Actor: "clerk-1", Role: role.Clerk, At: certified.Start()}
	handle(w, schema.Trainee(id), "CertifyTrainee", cmd, func(s trainee.State) ([]domain.Event, error) { return trainee.Decide(s, cmd) })
}

func (w *world) place(id string, emp int, placed calendar.Date) {
	w.t.Helper()
	cmd := trainee.Place{Employer: employerCode(emp).String(), On: placed, WindowMonths: 6, Actor: "clerk-1", Role: role.Clerk, At: placed.Start()}
	handle(w, schema.Trainee(id), "PlaceTrainee", cmd, func(s trainee.State) ([]domain.Event, error) { return trainee.Decide(s, cmd) })
}

// setTarget and recordIndicator record through the real aggregates.
func (w *world) setTarget(r region.Code, ind outcome.Indicator, v int64) {
	w.t.Helper()
	cmd := target.SetTarget{Region: r, Year: 2025, Indicator: ind, Value: v, Actor: "admin-1", Role: role.Administrator, At: on(1, 10)}
	handle(w, schema.Target(r, 2025), "SetTarget", cmd, func(s target.State) ([]domain.Event, error) { return target.Decide(s, cmd) })
}

func (w *world) recordIndicator(r region.Code, ind outcome.Indicator, month string, v int64) {
	w.t.Helper()
	cmd := indicator.Record{Region: r, Year: 2025, Indicator: ind, Month: month, Value: v, Actor: "clerk-1", Role: role.Clerk, At: on(4, 2)}
	handle(w, schema.Indicator(r, 2025), "RecordIndicator", cmd, func(s indicator.State) ([]domain.Event, error) { return indicator.Decide(s, cmd) })
}

func (w *world) publishWeights(y programme.FiscalYear, wt factor.Weights) {
	w.t.Helper()
	cmd := factor.Publish{Year: y, Weights: wt, Document: "西人社〔2025〕40号", Actor: "admin-1", Role: role.Administrator, At: on(12, 1)}
	handle(w, schema.Factors(y), "PublishFactorWeights", cmd, func(s factor.State) ([]domain.Event, error) { return factor.Decide(s, cmd) })
}

// Lines of the performance scenario.
var (
	stabGolmud  = budget.LineID(uiFund, programme.Stabilization, region.Golmud, 2025)
	expGolmud   = budget.LineID(uiFund, programme.Expansion, region.Golmud, 2025)
	skillDel    = budget.LineID(uiFund, programme.SkillUpgrade, region.Delingha, 2025)
	trainGolmud = budget.LineID(fundID, programme.VocationalTraining, region.Golmud, 2025)
)

// performanceFirstHalf sets up the funds and outcomes of January and
// February:
//   - allocations in January: stabilization Golmud 300,000.00, expansion
//     Golmud 100,000.00, skill upgrade Delingha 50,000.00, vocational
//     training Golmud 20,000.00; a further 100,000.00 to stabilization
//     Golmud in March (second half);
//   - employers 1 and 2 registered in Golmud, 3 in Delingha; employer 1
//     reports 50 insured in 2024-02, 48 in 2024-12 and 45 in 2025-02;
//     employer 2 only 20 in 2025-01 (no baseline);
//   - hire h1 (employer 3, claim exp-1 not yet submitted) hired on
//     2024-12-01; hire h2 (employer 1, no claim) hired on 2025-01-15;
//   - trainee t1 certified on 2025-01-20, t2 on 2025-02-10;
//   - skill-upgrade claims sk-1 (person 1) and sk-2 (person 2) paid 1,500.00
//     each in February.
func (w *world) performanceFirstHalf() {
	w.t.Helper()
	w.openFunds()
	w.allocateOn(programme.Stabilization, region.Golmud, "300000.00", on(1, 10))
	w.allocateOn(programme.Expansion, region.Golmud, "100000.00", on(1, 10))
	w.allocateOn(programme.SkillUpgrade, region.Delingha, "50000.00", on(1, 10))
	w.allocateOn(programme.VocationalTraining, region.Golmud, "20000.00", on(1, 10))
	w.registerEmployer(1, region.Golmud)
	w.registerEmployer(2, region.Golmud)
	w.registerEmployer(3, region.Delingha)
	w.reportMonth(1, "2024-02", 50)
	w.reportMonth(1, "2024-12", 48)
	w.reportMonth(1, "2025-02", 45)
	w.reportMonth(2, "2025-01", 20)
	w.recordHire("h1", 10, 3, "exp-1", calendar.MustParse("2024-12-01"))
	w.recordHire("h2", 11, 1, "", day(1, 15))
	w.certify("t1", 20, day(1, 20))
	w.certify("t2", 21, day(2, 10))
	w.submitFor("sk-1", programme.SkillUpgrade, region.Delingha, skillDel, personOf(1))
	w.submitFor("sk-2", programme.SkillUpgrade, region.Delingha, skillDel, personOf(2))
	w.pay(skillDel, "sk-1", "1500.00", on(2, 14))
	w.pay(skillDel, "sk-2", "1500.00", on(2, 14))
}

// performanceSecondHalf is March:
//   - stabilization refunds stab-1 (employer 1) 12,000.00 and stab-2
//     (employer 2) 3,000.50, of which 500.50 clawed back from stab-2;
//   - exp-1 (employer 3's expansion grant for h1, in Golmud) paid
//     1,500.00; h1 found still insured at +3 months on 2025-03-05;
//   - sk-3 (person 1 again) paid 1,000.00; 1,000.00 reserved for sk-4
//     (person 3) and 400.00 of it released;
//   - t1 placed with employer 1 on 2025-03-01 (within 6 months);
//   - vocational training 9,000.00 paid to provider claim vt-1, and
//     5,000.00 of its line given back to the fund.
func (w *world) performanceSecondHalf() {
	w.t.Helper()
	w.allocateOn(programme.Stabilization, region.Golmud, "100000.00", on(3, 2))
	w.submitFor("stab-1", programme.Stabilization, region.Golmud, stabGolmud, employerOf(1))
	w.submitFor("stab-2", programme.Stabilization, region.Golmud, stabGolmud, employerOf(2))
	w.pay(stabGolmud, "stab-1", "12000.00", on(3, 10))
	w.pay(stabGolmud, "stab-2", "3000.50", on(3, 10))
	w.budget(stabGolmud, "Recover", budget.Recover{RecoveryID: "rc-stab-2", ClaimID: "stab-2", Amount: money.MustParse("500.50"),
		Reason: "overpaid", Actor: "tr-1", Role: role.Treasurer, At: on(3, 20)})
	w.submitFor("exp-1", programme.Expansion, region.Golmud, expGolmud, employerOf(3))
	w.pay(expGolmud, "exp-1", "1500.00", on(3, 12))
	w.hireFinding("h1", 3, day(3, 5), true)
	w.submitFor("sk-3", programme.SkillUpgrade, region.Delingha, skillDel, personOf(1))
	w.pay(skillDel, "sk-3", "1000.00", on(3, 14))
	w.submitFor("sk-4", programme.SkillUpgrade, region.Delingha, skillDel, personOf(3))
	w.budget(skillDel, "Reserve", budget.Reserve{ReservationID: "rs-sk-4", ClaimID: "sk-4", Amount: money.MustParse("1000.00"),
		Actor: "appr-1", Role: role.Approver, At: on(3, 15)})
	w.budget(skillDel, "Release", budget.Release{ReleaseID: "rl-sk-4", ClaimID: "sk-4", Amount: money.MustParse("400.00"),
		Reason: "reduced", Actor: "appr-1", Role: role.Approver, At: on(3, 16)})
	w.place("t1", 1, day(3, 1))
	w.submitFor("vt-1", programme.VocationalTraining, region.Golmud, trainGolmud,
		claim.Beneficiary{Kind: claim.Provider, Ref: employerCode(9).String()})
	w.pay(trainGolmud, "vt-1", "9000.00", on(3, 18))
	back := money.MustParse("5000.00")
	w.budget(trainGolmud, "Deallocate", budget.Deallocate{RevocationID: "rv-1", Amount: back, Reason: "reassigned",
		Actor: "admin-1", Role: role.Administrator, At: on(3, 25)})
	w.onFund(fundID, "RecordRevocation", fund.RecordRevocation{RevocationID: "rv-1", BudgetLineID: trainGolmud, Amount: back,
		Reason: "reassigned", Actor: "admin-1", Role: role.Administrator, At: on(3, 25)})
}

// performance rebuilds a fresh Performance from the whole log.
func (w *world) performance() *projections.Performance {
	w.t.Helper()
	p := projections.NewPerformance()
	if _, err := projections.Rebuild(w.ctx, w.store, w.codec, nil, p); err != nil {
		w.t.Fatal(err)
	}
	return p
}
