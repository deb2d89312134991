// Package schema is the ledger's catalogue: every event type it records and
// the aggregate each kind of stream folds into. The API, the command line,
// the demo and the projections all build their codec and their aggregates
// here, so a new event type is registered once.
package schema

import (
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
	"github.com/haixi-hrss/fundledger/domain/programme"
	"github.com/haixi-hrss/fundledger/domain/region"
	"github.com/haixi-hrss/fundledger/ledger"
	"github.com/haixi-hrss/fundledger/ledger/codec"
	"github.com/haixi-hrss/fundledger/persondata"
)

// Codec returns a codec for every event type the ledger records: each
// aggregate's events and the ledger's own records (idempotency keys,
// uniqueness reservations).
func Codec() *codec.Codec {
	c, err := codec.New(
		codec.Types(fund.EventTypes()),
		codec.Types(budget.EventTypes()),
		codec.Types(claim.EventTypes()),
		codec.Types(employer.EventTypes()),
		codec.Types(policy.EventTypes()),
		codec.Types(hire.EventTypes()),
		codec.Types(trainee.EventTypes()),
		codec.Types(indicator.EventTypes()),
		codec.Types(target.EventTypes()),
		codec.Types(paymentbatch.EventTypes()),
		codec.Types(factor.EventTypes()),
		codec.Types(ledger.Records()),
		codec.Types(persondata.EventTypes()),
	)
	if err != nil {
		// The registries are fixed at compile time; a clash between them
		// is a programming error a test catches, not a runtime condition.
		panic("schema: " + err.Error())
	}
	return c
}

// Fund is fund id's aggregate.
func Fund(id string) ledger.Aggregate[fund.State] {
	return ledger.Aggregate[fund.State]{Stream: fund.Stream(id), Evolve: fund.Evolve}
}

// BudgetLine is budget line id's aggregate: the ledger's own descriptor,
// so API writers of a line queue with the ledger's processes.
func BudgetLine(id string) ledger.Aggregate[budget.State] { return ledger.BudgetLineAggregate(id) }

// Claim is claim id's aggregate. Commands that move money with the claim
// go through the ledger's claim processes (SubmitClaim, ApproveClaim, …),
// not through Handle on this aggregate alone.
func Claim(id string) ledger.Aggregate[claim.State] { return ledger.ClaimAggregate(id) }

// Employer is the aggregate of the employer with unified social credit
// code creditCode.
func Employer(creditCode string) ledger.Aggregate[employer.State] {
	return ledger.Aggregate[employer.State]{Stream: employer.Stream(creditCode), Evolve: employer.Evolve}
}

// Policy is programme p's policy aggregate (its published versions).
func Policy(p programme.Code) ledger.Aggregate[policy.State] {
	return ledger.Aggregate[policy.State]{Stream: policy.Stream(p), Evolve: policy.Evolve}
}

// Hire is subsidised hire id's aggregate (its insured-status checkpoints).
func Hire(id string) ledger.Aggregate[hire.State] {
	return ledger.Aggregate[hire.State]{Stream: hire.Stream(id), Evolve: hire.Evolve}
}

// Trainee is trainee id's aggregate (certification and placement).
func Trainee(id string) ledger.Aggregate[trainee.State] {
	return ledger.Aggregate[trainee.State]{Stream: trainee.Stream(id), Evolve: trainee.Evolve}
}

// Indicator is the aggregate of region r's indicator values in year y.
func Indicator(r region.Code, y programme.FiscalYear) ledger.Aggregate[indicator.State] {
	return ledger.Aggregate[indicator.State]{Stream: indicator.Stream(r, y), Evolve: indicator.Evolve}
}

// Target is the aggregate of region r's indicator targets in year y.
func Target(r region.Code, y programme.FiscalYear) ledger.Aggregate[target.State] {
	return ledger.Aggregate[target.State]{Stream: target.Stream(r, y), Evolve: target.Evolve}
}

// PaymentBatch is payment batch id's aggregate. Sending a batch and
// recording the bank's answers go through the ledger's batch processes
// (ReleaseBatch, RecordBatchResults), which move the claims with it.
func PaymentBatch(id string) ledger.Aggregate[paymentbatch.State] {
	return ledger.Aggregate[paymentbatch.State]{Stream: paymentbatch.Stream(id), Evolve: paymentbatch.Evolve, Fold: paymentbatch.FoldFrom}
}

// Factors is the aggregate of the factor-method weights published for
// allocation year y.
func Factors(y programme.FiscalYear) ledger.Aggregate[factor.State] {
	return ledger.Aggregate[factor.State]{Stream: factor.Stream(y), Evolve: factor.Evolve}
}
