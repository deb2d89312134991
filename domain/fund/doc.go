// Package fund is the fund aggregate (stream fund-<id>): a pot of money for
// one fiscal year and fund kind, at one level of government, that receives
// transfers and allocates them to budget lines.
//
// Money never appears or vanishes: Received = Allocated + Unallocated at
// every step, a fund never allocates more than it has unallocated, and every
// transfer's document number is unique within the fund.
//
// Allocation and revocation each touch two streams, the fund and a budget
// line, and the ledger service runs them as a process whose only refusable
// step comes first:
//
//   - allocate: the fund decides Allocate (refused beyond the unallocated
//     remainder) and records FundAllocated; the budget line then records the
//     allocation by the same allocation ID, which it cannot refuse and
//     which is idempotent, so a restart after a crash simply repeats it.
//   - revoke: the budget line first gives up the amount from its unreserved
//     remainder (refused if reservations or spending use it); the fund then
//     records the revocation by the same revocation ID with RecordRevocation,
//     again idempotent, so a restart completes it.
//
// Either way the constrained side moves first and the other side only
// follows, so a crash between the steps never leaves money counted twice.
package fund
