// Package haixi is the demo scenario: Haixi Prefecture's first quarter of
// 2025 as data, and the steps that record it through the real ledger —
// the two funds with their transfers and allocations to all seven
// county-level units, the published policy versions, employers with their
// monthly headcounts and premiums, claims of every programme moving through
// every state (rejections, an objection, a failed payment, a cancellation,
// a clawback), the outcomes the money bought, and the year's targets with
// the monthly indicator values measured against them.
//
// Every command goes through the ledger service (ledger.Handle and the
// claim processes), so every amount is decided by the domain's rules from
// the facts listed here, under the policy version in force on the claim's
// date. Every command has a fixed ID and idempotency key derived from its
// step name, and every time in it is a fixed business time, so running the
// scenario again appends nothing and a run that stopped part way is
// completed by the next.
//
// People are named in the log by their keyed references only; each claim
// about a person registers the person's resident ID and invented name in
// the ledger's person register first (ledger.SubmitPersonClaim), as the
// API does, so the people can be revealed and erased like real ones.
//
// People's names and resident IDs are invented (Haixi area codes 6328xx,
// valid check characters); document numbers, units and amounts are
// illustrative and marked 演示 (demo); only the prefecture's indicator
// totals to the end of March and the year's targets are the published
// figures.
package haixi
