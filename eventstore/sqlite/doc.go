// Package sqlite is fundledger's embedded, durable event store: one data
// directory holding one SQLite file (FileName) in WAL mode with
// synchronous=FULL, so an append is on disk before Append returns. On Linux
// the connections that write sync with fdatasync where the driver's SQLite
// would fsync (see datasync_linux.go).
//
// # Writing
//
// One writer goroutine owns the only write connection. Concurrent Append
// calls queue for it; it takes every request waiting at that moment (up to
// WithMaxBatch events), checks each request's expected version against the
// stream heads (including earlier requests of the same batch), seals the
// hash chain, inserts, and commits the batch as one transaction: one sync
// for all of them (group commit). A request whose precondition fails gets a
// *eventstore.ConcurrencyError and writes nothing; the others in the batch
// are unaffected.
//
// Context cancellation: a request the writer has not yet taken is withdrawn
// when its context ends, and Append returns ctx.Err() with nothing written.
// Once the writer has taken the request (a commit takes milliseconds) Append
// waits for the outcome and reports it whatever the context says, so
// ctx.Err() from Append always means "not written" and nil always means
// "committed and durable".
//
// Retries: re-appending event IDs that are already committed, in the same
// order, at the versions the same expected version gives, returns the
// original AppendResult and writes nothing. With Exact or NoStream this is
// recognised however far the stream has moved on; with Any or
// StreamExists only while those events are still the last of the stream
// (see retry.go). A request that fails its expected version and is not
// such a retry gets the usual *eventstore.ConcurrencyError. Event IDs are
// not checked for uniqueness across the ledger, which would need an index
// on them (see docs/storage.md); a request that repeats an ID within
// itself is refused with an *eventstore.InvalidAppendError on field "id"
// that matches ErrEventIDReused.
//
// RecordedAt is assigned by the writer from the clock (WithClock), in UTC,
// truncated to microseconds, and never decreases along the global log: a
// clock that steps back is clamped to the last recorded time. All events of
// one batch share one timestamp.
//
// If SQLite refuses a statement of the batch (say the disk is full while
// inserting), the batch is rolled back and every request in it gets the
// error; later appends are tried afresh. If the commit itself fails (the
// sync or the WAL write), every request of that batch gets the error and
// so does every later Append: the store must be closed and reopened, so
// nothing is ever acknowledged on top of a write the disk refused.
//
// # Reading
//
// Readers use a pool of read-only connections, so reads never wait for the
// writer and always see a committed prefix of the log. A large ReadAll page
// is read in parallel position ranges (see ReadAll). Subscribe pages
// through ReadAll and then waits for the writer's commit signal.
//
// Reads of what was committed last are answered from memory: the writer
// keeps its latest commits, the tail, and a read uses it only while no
// other connection or process has committed since (see tail.go). Events a
// read returns are the caller's own to change.
//
// A background connection checkpoints the WAL into the database file while
// appends come in, so commits do not wait for it; see checkpoint.go.
//
// # Files
//
// The directory holds FileName and, while the store is open, SQLite's
// FileName-wal and FileName-shm. Close checkpoints the WAL into FileName
// and removes the other two, so a closed ledger is that one file. The
// schema (see docs/storage.md) is meant to be read with the plain sqlite3
// shell. Only one process should open a directory at a time: SQLite's
// locking keeps a second one safe, but it would not see the first one's
// commit signals.
package sqlite
