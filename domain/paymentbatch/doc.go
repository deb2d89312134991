// Package paymentbatch is the payment batch aggregate (stream
// paybatch-<id>): a treasurer's disbursement run (拨付批次) of claim
// instalments sent to the bank together, and the bank's answer for each.
//
// Life of a batch:
//
//	open → closed → sent → settled
//
// A treasurer opens a batch for one fund or one budget line and adds
// items, each one instalment of one claim under a payment ID of its own.
// Closing the batch freezes its items and total. Sending it is the
// treasurer's order to pay: the ledger then releases each item's claim
// instalment for payment and records here which items were released and
// which the claim refused (withdrawn, with the claim's rule). The bank's
// answers are recorded per item, paid or failed; when every item has an
// outcome the batch is settled.
//
// The batch holds no money. The claim records the payment and drives its
// budget line; the batch is the treasurer's list of what went to the bank
// together, so the bank file, the claims and the budget lines can be
// traced to one another. Recording a release or a result the batch already
// holds decides nothing, so the ledger can repeat a step after a crash.
package paymentbatch
