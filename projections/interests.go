package projections

import (
	"github.com/haixi-hrss/fundledger/domain"
	"github.com/haixi-hrss/fundledger/domain/budget"
	"github.com/haixi-hrss/fundledger/domain/claim"
	"github.com/haixi-hrss/fundledger/domain/fund"
	"github.com/haixi-hrss/fundledger/domain/paymentbatch"
)

// The read models of this package declare what they fold (Selective), so
// a replay never decodes the events none of them reads: on a real ledger
// about half the log is employers' monthly reports, which only the trail
// indexes, by their envelope. Each declaration names whole aggregates'
// registries rather than single types, so an event type added to an
// aggregate is decoded without anyone remembering to list it here;
// TestSelectiveRebuildEqualsFullDecoding checks each against decoding
// everything.

// payloadOf returns Payload for the event types of registries, else
// otherwise.
func payloadOf(otherwise Interest, registries ...map[string]func() domain.Event) func(string) Interest {
	types := map[string]bool{}
	for _, r := range registries {
		for name := range r {
			types[name] = true
		}
	}
	return func(eventType string) Interest {
		if types[eventType] {
			return Payload
		}
		return otherwise
	}
}

var (
	budgetsInterest = payloadOf(Ignore, fund.EventTypes(), budget.EventTypes())
	claimsInterest  = payloadOf(Ignore, claim.EventTypes())
	// The trail indexes every event by actor from its envelope and reads
	// the payloads of claim, fund and budget events.
	trailInterest   = payloadOf(EnvelopeOnly, claim.EventTypes(), fund.EventTypes(), budget.EventTypes())
	batchesInterest = payloadOf(Ignore, paymentbatch.EventTypes())
)

// Interest implements Selective: fund and budget events.
func (b *Budgets) Interest(eventType string) Interest { return budgetsInterest(eventType) }

// Interest implements Selective: claim events.
func (c *Claims) Interest(eventType string) Interest { return claimsInterest(eventType) }

// Interest implements Selective: every envelope, and the payloads of
// claim, fund and budget events.
func (t *Trail) Interest(eventType string) Interest { return trailInterest(eventType) }

// Interest implements Selective: payment batch events.
func (p *PaymentBatches) Interest(eventType string) Interest { return batchesInterest(eventType) }
