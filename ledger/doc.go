// Package ledger is the application service between the outside world (API,
// CLI, process managers) and the event store: it runs every command through
// one path that loads the aggregate's stream, folds it into state, lets the
// domain decide, and appends the decided events with the exact expected
// version, retrying a bounded number of times when another writer got there
// first.
//
// The same path gives idempotency (a command's idempotency key is claimed in
// the log itself, so it survives restarts) and deterministic event IDs (a
// retried command produces recognisably the same events). Reserve and
// Release enforce uniqueness across streams through the store's own
// concurrency control.
package ledger
