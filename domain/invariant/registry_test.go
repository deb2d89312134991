package invariant

import (
	"testing"

	"github.com/haixi-hrss/fundledger/domain"
	"github.com/haixi-hrss/fundledger/domain/budget"
	"github.com/haixi-hrss/fundledger/domain/claim"
	"github.com/haixi-hrss/fundledger/domain/employer"
	"github.com/haixi-hrss/fundledger/domain/fund"
	"github.com/haixi-hrss/fundledger/domain/outcome/hire"
	"github.com/haixi-hrss/fundledger/domain/outcome/indicator"
	"github.com/haixi-hrss/fundledger/domain/outcome/target"
	"github.com/haixi-hrss/fundledger/domain/outcome/trainee"
)

// TestEventTypesAreUniqueAndSelfNamed checks every registry the ledger
// decodes stored events with: a type name belongs to one package only, and
// the value it builds reports that very name, so an event is stored and
// read back under one type.
func TestEventTypesAreUniqueAndSelfNamed(t *testing.T) {
	owner := map[string]string{}
	for pkg, registry := range map[string]map[string]func() domain.Event{
		"fund": fund.EventTypes(), "budget": budget.EventTypes(), "claim": claim.EventTypes(),
		"employer": employer.EventTypes(), "hire": hire.EventTypes(), "trainee": trainee.EventTypes(),
		"indicator": indicator.EventTypes(), "target": target.EventTypes(),
	} {
		for name, newEvent := range registry {
			if prior, dup := owner[name]; dup {
				t.Errorf("event type %s is registered by both %s and %s", name, prior, pkg)
			}
			owner[name] = pkg
			if got := newEvent().EventType(); got != name {
				t.Errorf("%s registers %s for a value named %s", pkg, name, got)
			}
		}
	}
}
