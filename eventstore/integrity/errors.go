package integrity

import (
	"errors"
	"fmt"

	"github.com/google/uuid"
)

var (
	// ErrBroken matches every *BrokenError.
	ErrBroken = errors.New("integrity: ledger is broken")
	// ErrDigestMismatch matches every *DigestMismatchError.
	ErrDigestMismatch = errors.New("integrity: ledger digest does not match")
)

// Reason says what is wrong with a broken event.
type Reason int

const (
	// HashMismatch: the hash recomputed from the stored envelope differs
	// from the stored hash, so a stored byte (data, metadata, type, ID,
	// recorded-at or the hash itself) changed.
	HashMismatch Reason = iota + 1
	// BrokenLink: the stored previous hash is not the hash of the stream's
	// previous event (or not zero for a stream's first event).
	BrokenLink
	// VersionGap: the stream version is not the one after the stream's
	// previous event (0 for the first), so an event is missing, repeated or
	// out of order.
	VersionGap
	// PositionOrder: the global position does not increase strictly (the
	// first position must be greater than zero).
	PositionOrder
	// TimeOrder: the recorded-at time is earlier than the previous event's
	// in the global log.
	TimeOrder
)

// String names the reason as the command line prints it.
func (r Reason) String() string {
	switch r {
	case HashMismatch:
		return "hash mismatch"
	case BrokenLink:
		return "broken link"
	case VersionGap:
		return "version gap"
	case PositionOrder:
		return "position out of order"
	case TimeOrder:
		return "recorded-at out of order"
	default:
		return fmt.Sprintf("reason(%d)", int(r))
	}
}

// BrokenError names the first broken event in the global log and what is
// wrong with it.
type BrokenError struct {
	Stream   string
	Version  uint64
	Position uint64
	EventID  uuid.UUID
	Reason   Reason
	// Detail gives the values that disagree, e.g. the stored and the
	// recomputed hash.
	Detail string
}

func (e *BrokenError) Error() string {
	return fmt.Sprintf("integrity: stream %q version %d position %d: %s: %s",
		e.Stream, e.Version, e.Position, e.Reason, e.Detail)
}

// Is makes errors.Is(err, ErrBroken) true.
func (e *BrokenError) Is(target error) bool { return target == ErrBroken }

// DigestMismatchError reports that the log's prefix up to an expected
// digest's position no longer yields that digest: something at or before the
// position was changed, removed or inserted while each stream's hash chain
// still holds (e.g. history rewritten and re-hashed, or a stream's last
// events deleted).
type DigestMismatchError struct {
	Expected Digest
	Actual   Digest
}

func (e *DigestMismatchError) Error() string {
	return fmt.Sprintf("integrity: digest at position %d is %s, expected %s",
		e.Expected.Position, e.Actual.Root, e.Expected.Root)
}

// Is makes errors.Is(err, ErrDigestMismatch) true.
func (e *DigestMismatchError) Is(target error) bool { return target == ErrDigestMismatch }
