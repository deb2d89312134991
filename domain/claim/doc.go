// Package claim is the claim aggregate (stream claim-<id>): one application
// for one payment, of any programme, from submission to payment and
// possibly clawback.
//
// Life of a claim:
//
//	submitted → checked → approved → in disclosure → disclosed → paid
//	               ↘ rejected   ↖ objection ↙          ↘ cancelled
//
// Check records the eligibility assessment made under the policy version in
// force on the claim's effective date, with that version's ID and the
// parameters later steps need (two-approver threshold, disclosure length);
// an ineligible assessment rejects the claim at once. Approval follows
// maker-checker: no approver may be the submitter, and a claim above the
// threshold needs two different approvers. Disclosure (公示) shows a masked
// identifier for at least the policy's number of working days; an objection
// sends the claim back to review and the next approval round starts afresh.
// Until a decision a clerk records the evidence received (kind, document
// number, the file's SHA-256, day received); each file once per claim.
//
// Money is paid in instalments, each paid at most once: one per month for
// the absorption and social-insurance subsidies (at most the policy's
// months, or to retirement), one for every other programme. A training
// advance and its settlement, whose share depends on the trainee's
// placement, are two claims, each assessed by the training rules. A
// treasurer releases an instalment for payment and records the bank's
// result; a failed payment is released again or the claim is cancelled. A
// clawback recovers at most what was paid. Paid ≤ approved and recovered ≤
// paid at every step.
//
// The claim drives its budget line through the ledger's process manager:
// ClaimApproved names the reservation to make (the ledger reserves before
// it appends the approval, and releases if the append fails);
// ClaimObjectionRaised and ClaimCancelled name a release;
// ClaimInstalmentPaid names a spend and ClaimClawedBack a recovery. Each
// carries the operation ID the budget line uses to recognise a repeated
// step.
package claim
