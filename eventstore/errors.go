package eventstore

import (
	"errors"
	"fmt"
)

var (
	// ErrConcurrency matches every *ConcurrencyError.
	ErrConcurrency = errors.New("eventstore: wrong expected version")
	// ErrInvalidAppend matches every rejected append request (empty, bad
	// stream name, missing ID or type, data that is not JSON, too large).
	ErrInvalidAppend = errors.New("eventstore: invalid append")
	// ErrAppendTooLarge is returned, wrapped in an *InvalidAppendError, for
	// an append request larger than MaxAppendSize.
	ErrAppendTooLarge = errors.New("append larger than the 1 MiB limit")
	// ErrIncompatibleFormat is returned when a data directory was written by
	// a format version this build does not read.
	ErrIncompatibleFormat = errors.New("eventstore: incompatible storage format")
	// ErrClosed is returned by calls on a closed store.
	ErrClosed = errors.New("eventstore: store is closed")
)

// ConcurrencyError reports an append whose expected version did not hold.
// Nothing was written.
type ConcurrencyError struct {
	Stream   string
	Expected ExpectedVersion
	// Actual is the stream's current version, or -1 if it has no events.
	Actual int64
}

func (e *ConcurrencyError) Error() string {
	actual := "no stream"
	if e.Actual >= 0 {
		actual = fmt.Sprintf("version %d", e.Actual)
	}
	return fmt.Sprintf("eventstore: stream %q: expected version %s, found %s", e.Stream, e.Expected, actual)
}

// Is makes errors.Is(err, ErrConcurrency) true.
func (e *ConcurrencyError) Is(target error) bool { return target == ErrConcurrency }

// InvalidAppendError names the event and the rule an append request broke.
type InvalidAppendError struct {
	Stream string
	// Index is the offending event's index in the request, or -1.
	Index int
	// Field names the offending field ("stream", "type", "data", ...).
	Field string
	// Err says which rule was broken.
	Err error
}

func (e *InvalidAppendError) Error() string {
	where := fmt.Sprintf("stream %q", e.Stream)
	if e.Index >= 0 {
		where += fmt.Sprintf(", event %d", e.Index)
	}
	return fmt.Sprintf("eventstore: invalid append (%s): %s: %v", where, e.Field, e.Err)
}

// Is makes errors.Is(err, ErrInvalidAppend) true.
func (e *InvalidAppendError) Is(target error) bool { return target == ErrInvalidAppend }

// Unwrap exposes the broken rule, e.g. ErrAppendTooLarge.
func (e *InvalidAppendError) Unwrap() error { return e.Err }
