package kurrent

import (
	"context"
	"os"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/haixi-hrss/fundledger/eventstore"
	"github.com/haixi-hrss/fundledger/eventstore/storetest"
)

// TestConformance runs the whole conformance suite through the real client
// against the in-process fake server, one fresh server per scenario.
func TestConformance(t *testing.T) {
	storetest.Run(t, func(t *testing.T) eventstore.Store {
		return openFake(t, startFakeServer(t))
	})
}

// TestConformanceRealServer runs the same suite against the KurrentDB named
// by FUNDLEDGER_KURRENTDB_URL, e.g. "esdb://localhost:2113?tls=false". The
// server is shared and never emptied, so each scenario gets its own stream
// prefix: an empty ledger inside the shared database.
func TestConformanceRealServer(t *testing.T) {
	url := os.Getenv("FUNDLEDGER_KURRENTDB_URL")
	if url == "" {
		t.Skip("FUNDLEDGER_KURRENTDB_URL is not set; set it (e.g. esdb://localhost:2113?tls=false) to run the suite against a real KurrentDB")
	}
	// One look first, so an unreachable server fails once, clearly, rather
	// than once per scenario.
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	probe, err := Open(ctx, url, WithLogger(quiet))
	cancel()
	if err != nil {
		t.Fatalf("FUNDLEDGER_KURRENTDB_URL=%q: %v", url, err)
	}
	probe.Close()

	storetest.Run(t, func(t *testing.T) eventstore.Store {
		prefix := "conformance-" + uuid.NewString()[:8] + "."
		s, err := Open(context.Background(), url, WithLogger(quiet), WithStreamPrefix(prefix))
		if err != nil {
			t.Fatalf("Open(%s): %v", url, err)
		}
		t.Cleanup(func() { s.Close() })
		return s
	})
}
