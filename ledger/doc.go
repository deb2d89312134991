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
//
// Every append waits for a durable commit, so what a command costs is
// mostly how many appends it makes one after another. The path keeps that
// number low:
//
//   - An idempotency key costs one record, IdempotencyKeyClaimed, appended
//     in the same commit as the command's events (on a store that is an
//     eventstore.MultiAppender; just before them on another); the result is not recorded after
//     them, because the claim's command ID determines it (the events' IDs
//     derive from it, so a retry finds them in the aggregate stream). A
//     fresh key is not read first: the claim's append (expected version
//     NoStream) is the check, and only a claim that fails reads the key
//     to follow the command that holds it.
//   - A step of a request whose first step's key binds the whole input
//     carries a StepKey instead and claims nothing (the API's claim check).
//   - Budget lines and claims are decided on the fold this process last
//     saw of them, without reading the store: the append's expected
//     version checks that nothing followed, and a refusal is only given on
//     the stream as read. A claim's fold keeps its events' IDs, so a
//     repeated command is still recognised.
//   - The commands waiting for one budget line are combined: whoever holds
//     the line's lock decides all of them in order and appends their
//     events in one append, so a line takes many commands per commit.
package ledger
