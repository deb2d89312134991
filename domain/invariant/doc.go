// Package invariant holds the cross-aggregate property tests of the money
// domain: random command sequences over one fund, its budget lines and
// their claims, run the way the ledger service runs them (a claim's
// approval reserves on its budget line, a payment spends, an objection,
// cancellation or placement releases, a clawback recovers; allocation and
// revocation are two-step processes with steps completed late or
// repeated), checking after every command that money is conserved, that no
// balance goes negative, that every instalment is paid at most once, that
// recovered ≤ paid ≤ approved, that a refused command changes nothing, and
// at the end that every stream's events, stored as JSON and decoded, fold
// back into the same state.
//
// The tests are in invariant_test.go: TestSeeded runs fixed random
// sequences in every `go test`; FuzzLedger is the coverage-guided target
// (go test -fuzz=FuzzLedger ./domain/invariant), whose committed corpus in
// testdata/fuzz also runs in every `go test`.
package invariant
