package ledger

import (
	"errors"
	"fmt"
)

var (
	// ErrConflict matches every *ConflictError: the stream kept changing
	// under the command until its retries ran out.
	ErrConflict = errors.New("ledger: concurrent modification")
	// ErrIdempotencyMismatch matches every *IdempotencyMismatchError: an
	// idempotency key was reused for a different command.
	ErrIdempotencyMismatch = errors.New("ledger: idempotency key reused with different input")
	// ErrDuplicate matches every *DuplicateError: a uniqueness key is
	// already held by another owner.
	ErrDuplicate = errors.New("ledger: uniqueness key already reserved")
	// ErrNotOwner is returned when Release names an owner that does not
	// hold the key.
	ErrNotOwner = errors.New("ledger: key is not held by this owner")
	// ErrStepPending matches every *StepPendingError: a command's event
	// was recorded, but a step it calls for in another stream is not done
	// yet.
	ErrStepPending = errors.New("ledger: command recorded, follow-up step pending")
)

// ConflictError reports a command given up after Attempts tries, each one
// beaten by a concurrent append to Stream. Nothing of it was appended.
type ConflictError struct {
	Stream   string
	Attempts int
	// Last is the last concurrency error the store returned.
	Last error
}

func (e *ConflictError) Error() string {
	return fmt.Sprintf("ledger: stream %q changed concurrently on all %d attempts: %v", e.Stream, e.Attempts, e.Last)
}

// Is makes errors.Is(err, ErrConflict) true.
func (e *ConflictError) Is(target error) bool { return target == ErrConflict }

// Unwrap exposes the store's last concurrency error.
func (e *ConflictError) Unwrap() error { return e.Last }

// IdempotencyMismatchError reports an idempotency key seen before with a
// different command fingerprint.
type IdempotencyMismatchError struct {
	Key string
	// Stream is the stream the key's first command targeted.
	Stream string
}

func (e *IdempotencyMismatchError) Error() string {
	return fmt.Sprintf("ledger: idempotency key %q was first used for a different command on stream %q", e.Key, e.Stream)
}

// Is makes errors.Is(err, ErrIdempotencyMismatch) true.
func (e *IdempotencyMismatchError) Is(target error) bool { return target == ErrIdempotencyMismatch }

// DuplicateError reports a uniqueness key held by another owner.
type DuplicateError struct {
	// Stream is the key's reservation stream.
	Stream string
	// Owner is the current holder, e.g. "claim-42".
	Owner string
}

func (e *DuplicateError) Error() string {
	return fmt.Sprintf("ledger: %s is already reserved by %s", e.Stream, e.Owner)
}

// Is makes errors.Is(err, ErrDuplicate) true.
func (e *DuplicateError) Is(target error) bool { return target == ErrDuplicate }

// StepPendingError reports a command whose event is recorded on Stream
// while the step that event calls for (Step, e.g. the budget line's spend
// for a payment) could not be completed before the caller's context ended
// or the store failed. The command must not be presented as failed: its
// event stands, a retry of it completes the step, and so does the ledger's
// reconciliation of unfinished claims at start-up (ReconcileClaim,
// ReleaseClaimKeys). It deliberately does not unwrap to Err, so that a
// conflict inside the step is not mistaken for a conflict of the command.
type StepPendingError struct {
	// Stream is the stream the command's event was recorded on.
	Stream string
	// Step names the step still to do.
	Step string
	// Err is why the step is not done.
	Err error
}

func (e *StepPendingError) Error() string {
	return fmt.Sprintf("ledger: the command is recorded on %s, but its %s is pending and will be reconciled: %v", e.Stream, e.Step, e.Err)
}

// Is makes errors.Is(err, ErrStepPending) true.
func (e *StepPendingError) Is(target error) bool { return target == ErrStepPending }
