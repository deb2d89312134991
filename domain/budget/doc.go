// Package budget is the budget line aggregate (stream budget-<id>): the
// money one fund allocated to one programme in one county for one fiscal
// year, and what claims have done with it.
//
// A claim's money moves in two phases, as TigerBeetle's pending transfers
// do: Reserve holds an amount for the claim out of what is available; Spend
// posts part or all of the claim's hold when a payment settles; Release
// voids part or all of it when the claim is rejected, sent back by an
// objection, cancelled or reduced; Recover credits a clawback of money the
// claim was paid back to the line.
//
// Balances (all ≥ 0 at every step):
//
//	Available = Allocated − Reserved − Spent + Recovered
//
// equivalently Allocated = Available + Reserved + Spent − Recovered. Released
// is a running total of voided reservations, shown for the record; it is not
// a balance, because released money is available again.
//
// Decisions, documented because TigerBeetle decides differently:
//   - A partial Spend keeps the rest of the hold reserved: a monthly subsidy
//     posts one instalment at a time against one reservation, and the
//     remainder returns only through an explicit Release.
//   - One open hold per claim: reserving for a claim whose hold still has
//     money pending is refused (rule "claim-reserved-once"); after the hold
//     is fully spent or released, a new reservation (e.g. re-approval after
//     an objection) is allowed under a new reservation ID.
//   - Every movement carries an operation ID (allocation, revocation,
//     reservation, payment, release or recovery ID). Repeating an operation
//     with the same ID and the same figures decides no events, so the ledger
//     service can retry a process step after a crash; the same ID with
//     other figures is refused (rule "operation-id-reused").
package budget
