package schema

import (
	"reflect"
	"testing"

	"github.com/haixi-hrss/fundledger/domain"
	"github.com/haixi-hrss/fundledger/domain/budget"
	"github.com/haixi-hrss/fundledger/domain/claim"
	"github.com/haixi-hrss/fundledger/domain/employer"
	"github.com/haixi-hrss/fundledger/domain/factor"
	"github.com/haixi-hrss/fundledger/domain/fund"
	"github.com/haixi-hrss/fundledger/domain/outcome/hire"
	"github.com/haixi-hrss/fundledger/domain/outcome/indicator"
	"github.com/haixi-hrss/fundledger/domain/outcome/target"
	"github.com/haixi-hrss/fundledger/domain/outcome/trainee"
	"github.com/haixi-hrss/fundledger/domain/paymentbatch"
	"github.com/haixi-hrss/fundledger/domain/policy"
	"github.com/haixi-hrss/fundledger/ledger"
	"github.com/haixi-hrss/fundledger/persondata"
)

// TestCodecKnowsEveryEventType checks that the codec registers every event
// type of every aggregate and encodes each under its own name: a registry
// left out of Codec fails here.
func TestCodecKnowsEveryEventType(t *testing.T) {
	c := Codec()
	registries := map[string]map[string]func() domain.Event{
		"fund": fund.EventTypes(), "budget": budget.EventTypes(), "claim": claim.EventTypes(),
		"employer": employer.EventTypes(), "policy": policy.EventTypes(), "hire": hire.EventTypes(),
		"trainee": trainee.EventTypes(), "indicator": indicator.EventTypes(), "target": target.EventTypes(),
		"paymentbatch": paymentbatch.EventTypes(), "factor": factor.EventTypes(),
		"ledger": ledger.Records(), "persondata": persondata.EventTypes(),
	}
	for agg, reg := range registries {
		if len(reg) == 0 {
			t.Errorf("%s registers no event types", agg)
		}
		for name, newEvent := range reg {
			if _, ok := c.Version(name); !ok {
				t.Errorf("%s event %s is not in the codec", agg, name)
				continue
			}
			ev := newEvent()
			typ, _, _, err := c.Encode(ev)
			if err != nil {
				t.Errorf("encode %s %s: %v", agg, name, err)
			} else if typ != name {
				t.Errorf("%s event %s (%s) encodes as type %q", agg, name, reflect.TypeOf(ev), typ)
			}
		}
	}
}

// TestPolicyEventDecodesAsValue checks the one registry that hands out a
// value: policy.Evolve switches on PolicyVersionPublished, not a pointer.
func TestPolicyEventDecodesAsValue(t *testing.T) {
	c := Codec()
	seed, err := policy.Seed()
	if err != nil {
		t.Fatal(err)
	}
	v := seed[0]
	typ, version, data, err := c.Encode(policy.PolicyVersionPublished{Version: v})
	if err != nil {
		t.Fatal(err)
	}
	back, err := c.DecodeData(typ, version, data)
	if err != nil {
		t.Fatal(err)
	}
	st := policy.Evolve(policy.State{}, back)
	if len(st.Versions) != 1 || st.Versions[0].ID != v.ID {
		t.Fatalf("decoded policy event folds into %+v, want version %s", st, v.ID)
	}
}
