package projections_test

import (
	"encoding/json"
	"regexp"
	"strings"
	"testing"

	"github.com/haixi-hrss/fundledger/domain"
	"github.com/haixi-hrss/fundledger/domain/budget"
	"github.com/haixi-hrss/fundledger/domain/claim"
	"github.com/haixi-hrss/fundledger/domain/identity"
	"github.com/haixi-hrss/fundledger/domain/money"
	"github.com/haixi-hrss/fundledger/domain/outcome"
	"github.com/haixi-hrss/fundledger/domain/outcome/hire"
	"github.com/haixi-hrss/fundledger/domain/programme"
	"github.com/haixi-hrss/fundledger/domain/region"
	"github.com/haixi-hrss/fundledger/domain/role"
	"github.com/haixi-hrss/fundledger/ledger/schema"
	"github.com/haixi-hrss/fundledger/projections"
)

// residentPattern is the shape of a resident ID: 17 digits and a digit
// or X.
var residentPattern = regexp.MustCompile(`[0-9]{17}[0-9Xx]`)

// TestPerformanceHoldsNoResidentIDs (invariant 12): people are paid,
// hired and trained by keyed reference, and clerks typed their resident
// IDs into claim, hire and trainee IDs, operation IDs and a clawback
// reason, so the log holds them in plain text. No evaluator response,
// marshalled as the API sends it, nor the persisted state, holds any of
// those IDs, their keyed references, or anything shaped like an ID.
func TestPerformanceHoldsNoResidentIDs(t *testing.T) {
	w := newSchemaWorld(t)
	hasher, err := identity.NewHasher([]byte("the ledger's secret, 32 bytes at least"))
	if err != nil {
		t.Fatal(err)
	}
	plain := []string{"11010519491231002X", "440524188001010014", "632801199903151230"}
	var refs []string
	w.openFunds()
	line := w.allocateOn(programme.SkillUpgrade, region.Golmud, "100000.00", on(1, 10))
	w.registerEmployer(1, region.Golmud)
	for i, s := range plain {
		id, err := identity.ParseResidentID("id", s)
		if err != nil {
			t.Fatal(err)
		}
		ref := hasher.Ref(id).String()
		refs = append(refs, ref)
		claimID := "sk-" + s
		w.submitFor(claimID, programme.SkillUpgrade, region.Golmud, line, claim.Beneficiary{Kind: claim.Person, Ref: ref})
		w.pay(line, claimID, "1000.00", on(2, 1+i))
		cmd := hire.Record{HireID: "hire-" + s, Person: ref, Employer: employerCode(1).String(), HiredOn: day(1, 5), Insured: true,
			ClaimID: claimID, Actor: "clerk-1", Role: role.Clerk, At: on(1, 12)}
		handle(w, schema.Hire(cmd.HireID), "RecordHire", cmd, func(st hire.State) ([]domain.Event, error) { return hire.Decide(st, cmd) })
		w.hireFinding(cmd.HireID, 3, day(4, 7), true)
		w.certifyAs("tr-"+s, ref, day(1, 20))
		w.place("tr-"+s, 1, day(3, 1))
	}
	w.budget(line, "Recover", budget.Recover{RecoveryID: "rc-" + plain[0], ClaimID: "sk-" + plain[0], Amount: money.MustParse("100.00"),
		Reason: "申请人 " + plain[0] + " 重复领取", Actor: "tr-1", Role: role.Treasurer, At: on(3, 3)})
	w.setTarget(region.Golmud, outcome.NewUrbanJobs, 5400)
	w.recordIndicator(region.Golmud, outcome.NewUrbanJobs, "2025-01", 468)
	w.publishWeights(2026, weights2026())

	var raw strings.Builder
	for _, ev := range w.log(0) {
		raw.WriteString(ev.Stream + " " + string(ev.Data) + "\n")
	}
	for _, s := range plain {
		if !strings.Contains(raw.String(), s) {
			t.Fatalf("the log does not hold %s: the test would prove nothing", s)
		}
	}

	p := projections.NewPerformance()
	if _, err := w.runner(p).CatchUp(w.ctx); err != nil {
		t.Fatal(err)
	}
	if tot, _ := p.Total(projections.PerformanceFilter{Period: "2025"}); tot.PeoplePaid != 3 || tot.Hires != 3 || tot.TraineesPlacedWithin != 3 {
		t.Fatalf("the people are not in the model: %+v", tot)
	}
	responses := evaluatorResponses(t, p)
	state, err := p.MarshalState()
	if err != nil {
		t.Fatal(err)
	}
	responses["MarshalState"] = state
	for name, body := range responses {
		text := string(body)
		for i, s := range plain {
			if strings.Contains(strings.ToUpper(text), s) || strings.Contains(text, refs[i]) {
				t.Errorf("%s holds person %d's ID or keyed reference", name, i)
			}
		}
		if m := residentPattern.FindString(text); m != "" {
			t.Errorf("%s holds %q, shaped like a resident ID", name, m)
		}
	}
	if !residentPattern.MatchString(raw.String()) {
		t.Fatal("the pattern misses the IDs in the log")
	}
}

// evaluatorResponses marshals every query an evaluator can make of p,
// over every period shape and filter, as the API would send them.
func evaluatorResponses(t *testing.T, p *projections.Performance) map[string][]byte {
	t.Helper()
	out := map[string][]byte{}
	add := func(name string, v any, err error) {
		t.Helper()
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		b, err := json.Marshal(v)
		if err != nil {
			t.Fatal(err)
		}
		out[name] = b
	}
	filters := []projections.PerformanceFilter{{}}
	for _, pr := range programme.All() {
		filters = append(filters, projections.PerformanceFilter{Programme: pr})
	}
	for _, c := range region.All() {
		filters = append(filters, projections.PerformanceFilter{County: c})
	}
	for _, period := range []string{"2025", "2025-Q1", "2025-Q2", "2025-01", "2025-02", "2025-03", "2025-04"} {
		for _, f := range filters {
			f.Period = period
			name := period + "/" + string(f.Programme) + "/" + string(f.County)
			rows, err := p.Rows(f)
			add("Rows "+name, rows, err)
			total, err := p.Total(f)
			add("Total "+name, total, err)
		}
		for _, r := range region.All() {
			rows, err := p.Indicators(r, period)
			add("Indicators "+string(r)+" "+period, rows, err)
		}
	}
	in, err := p.FactorInputs("2025", nil, countyFactors())
	add("FactorInputs", in, err)
	s, err := p.SuggestAllocation(projections.AllocationRequest{Year: 2026, Basis: "2025", Total: money.MustParse("1000000.00"), Counties: countyFactors()})
	add("SuggestAllocation", s, err)
	wt, _ := p.Weights(2026)
	add("Weights", wt, nil)
	return out
}
