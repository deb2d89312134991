package sqlite

import (
	"testing"

	"github.com/haixi-hrss/fundledger/eventstore"
	"github.com/haixi-hrss/fundledger/eventstore/storetest"
)

// TestConformance runs the suite every backend must pass.
func TestConformance(t *testing.T) {
	storetest.Run(t, func(t *testing.T) eventstore.Store {
		return openStore(t, t.TempDir())
	})
}
