package eventstore

import (
	"context"
	"iter"
)

// Store is the port every backend implements. All methods are safe for
// concurrent use.
type Store interface {
	// Append atomically appends events to stream if expected holds, and
	// returns where they landed. Either every event is committed and
	// durable when Append returns nil, or none is. A failed precondition
	// returns a *ConcurrencyError; a malformed request an
	// *InvalidAppendError.
	//
	// A retry of an append that was already committed (the same event IDs,
	// in the same order, at the versions the same expected version gives)
	// is acknowledged with the original result and writes nothing, so a
	// caller that lost an acknowledgement can safely send again.
	Append(ctx context.Context, stream string, expected ExpectedVersion, events ...EventData) (AppendResult, error)

	// ReadStream returns up to limit events of stream with version >= from,
	// oldest first; limit <= 0 means no limit. A stream with no events
	// yields an empty slice and no error.
	ReadStream(ctx context.Context, stream string, from uint64, limit int) ([]Event, error)

	// ReadStreamBackward returns the last n events of stream, newest first.
	ReadStreamBackward(ctx context.Context, stream string, n int) ([]Event, error)

	// ReadAll returns up to limit events of the global log with position
	// greater than after, in commit order; after = 0 reads from the start.
	// It never returns an event while an earlier one is still uncommitted,
	// so successive reads see growing prefixes of the log.
	ReadAll(ctx context.Context, after uint64, limit int) ([]Event, error)

	// Subscribe yields every event with position greater than after, in
	// commit order: first those already committed, then each new one as it
	// is committed, with no gap and no duplicate between the two phases.
	// It ends after yielding a non-nil error, ctx.Err() once ctx is done.
	Subscribe(ctx context.Context, after uint64) iter.Seq2[Event, error]

	// Close releases the store's resources. Calls after Close return
	// ErrClosed.
	Close() error
}

// StreamAppend is one stream's part of a MultiAppender.AppendMulti call:
// what Append would take.
type StreamAppend struct {
	Stream   string
	Expected ExpectedVersion
	Events   []EventData
}

// MultiAppender is a Store that can append to several streams in one
// atomic commit. The ledger claims a command's idempotency key and appends
// its events in one commit when its store offers this, and in two appends
// (the claim first) when it does not; both orders are safe, one commit is
// cheaper.
type MultiAppender interface {
	Store
	// AppendMulti appends each part as Append would, all in one commit:
	// every part is committed and durable when it returns nil, or none
	// is. The parts name distinct streams. A part whose precondition
	// fails returns that part's *ConcurrencyError and writes no part; a
	// malformed part an *InvalidAppendError. A part that retries an
	// append already committed is acknowledged with the original result,
	// Repeated, as Append does, while the other parts are written. The
	// results are in the order of the parts, and the events of a part
	// written take consecutive global positions (the ledger derives the
	// position of a command's last event within a part from it).
	AppendMulti(ctx context.Context, parts ...StreamAppend) ([]AppendResult, error)
}

// AppendResult says where an append landed.
type AppendResult struct {
	// FirstVersion and LastVersion are the stream versions of the first and
	// last appended events.
	FirstVersion, LastVersion uint64
	// Position is the global position of the last appended event: a
	// ReadAll or Subscribe after Position-1 includes it.
	Position uint64
	// Repeated is set when the events were found already in the stream (a
	// retry of a committed append, see Store.Append) instead of being
	// written: a caller that decided them on stale state learns that its
	// command had been applied before. (A backend that resends after
	// losing the answer to its own first attempt may report that attempt's
	// events as Repeated too.)
	Repeated bool
}
