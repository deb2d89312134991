package haixi

import (
	"fmt"
	"testing"

	"github.com/haixi-hrss/fundledger/domain/identity"
	"github.com/haixi-hrss/fundledger/domain/money"
	"github.com/haixi-hrss/fundledger/domain/programme"
	"github.com/haixi-hrss/fundledger/domain/region"
)

// The counties' figures add up to the prefecture's published ones, so the
// report can only print the lines if it sums what was recorded.
func TestCountiesAddUpToThePrefecture(t *testing.T) {
	var jobs, transferred, jobsTarget, transferTarget, shares int64
	seen := map[region.Code]bool{}
	for _, c := range counties {
		seen[c.code] = true
		shares += c.share
		jobsTarget += c.newJobsTarget
		transferTarget += c.transferTarget
		for m := range 3 {
			jobs += c.newJobs[m]
			transferred += c.transferred[m]
		}
		if c.code != region.Golmud && (c.share >= counties[0].share || c.newJobsTarget >= counties[0].newJobsTarget) {
			t.Errorf("%s is not smaller than Golmud", c.code.NameEN())
		}
	}
	for _, c := range region.Counties() {
		if !seen[c] {
			t.Errorf("no figures for %s", c.NameEN())
		}
	}
	if len(counties) != len(region.Counties()) || counties[0].code != region.Golmud {
		t.Fatalf("%d counties, first %s; want the seven with Golmud first", len(counties), counties[0].code)
	}
	for _, tc := range []struct {
		what      string
		got, want int64
	}{
		{"new urban jobs", jobs, 3189},
		{"new urban jobs target", jobsTarget, 11300},
		{"labour transfer", transferred, 31091},
		{"labour transfer target", transferTarget, 80000},
		{"allocation shares (per mille)", shares, 1000},
	} {
		if tc.got != tc.want {
			t.Errorf("%s: counties add up to %d, want %d", tc.what, tc.got, tc.want)
		}
	}
}

// Each fund pays only programmes of its kind and allocates no more than
// it receives before the day of allocation.
func TestFundsAllocateWhatTheyReceived(t *testing.T) {
	paid := map[programme.Code]bool{}
	for _, f := range funds {
		var received, allocated money.Amount
		for _, tr := range f.transfers {
			if !tr.on.After(f.allocateOn) {
				received = received.Add(tr.amount)
			}
		}
		for _, pt := range f.programmes {
			if pt.programme.Fund() != f.kind {
				t.Errorf("%s allocates to %s, paid by the %s fund", f.id, pt.programme, pt.programme.Fund())
			}
			paid[pt.programme] = true
			allocated = allocated.Add(pt.total)
		}
		if allocated.GreaterThan(received) {
			t.Errorf("%s allocates %s on %s, having received %s", f.id, allocated, f.allocateOn, received)
		}
	}
	for _, p := range programme.All() {
		if !paid[p] {
			t.Errorf("no fund allocates to %s", p)
		}
	}
}

// Every invented name fits the sex the resident ID encodes, comes from the
// lists, stays the same for the same ID, and the names vary.
func TestNamesFitTheirSex(t *testing.T) {
	allowed := map[identity.Sex]map[string]bool{identity.Male: {}, identity.Female: {}}
	for sex, lists := range map[identity.Sex][2][]string{identity.Male: {givenMen, wholeMen}, identity.Female: {givenWomen, wholeWomen}} {
		for _, g := range lists[0] {
			for _, s := range surnames {
				allowed[sex][s+g] = true
			}
		}
		for _, w := range lists[1] {
			allowed[sex][w] = true
		}
	}
	seen := map[string]bool{}
	for seq := 100; seq < 300; seq++ {
		first17 := fmt.Sprintf("632823199005%02d%03d", seq%28+1, seq)
		c, _ := identity.ResidentCheckChar(first17)
		id, err := identity.ParseResidentID("id", first17+string(c))
		if err != nil {
			t.Fatal(err)
		}
		name := nameOf(id)
		if !allowed[id.Sex()][name] || nameOf(id) != name {
			t.Errorf("%s (%s) is named %q", id.Masked(), id.Sex(), name)
		}
		seen[name] = true
	}
	if len(seen) < 50 {
		t.Errorf("200 people share %d names", len(seen))
	}
}
