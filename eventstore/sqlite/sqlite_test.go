package sqlite

import (
	"testing"

	"github.com/haixi-hrss/fundledger/eventstore"
	"github.com/haixi-hrss/fundledger/eventstore/storetest"
)

// TestConformance runs the suite every backend must pass: with the
// default tail, with none (every read goes to SQLite), and with a tail so
// small that most reads straddle its eviction boundary.
func TestConformance(t *testing.T) {
	for name, opts := range map[string][]Option{
		"tail":      nil,
		"no_tail":   {withTail(0, 0)},
		"tiny_tail": {withTail(3, 1500)},
	} {
		t.Run(name, func(t *testing.T) {
			storetest.Run(t, func(t *testing.T) eventstore.Store {
				return openStore(t, t.TempDir(), opts...)
			})
		})
	}
}
