package eventstore

import "strconv"

// ExpectedVersion is an append's precondition on the stream's current state.
// The zero value is Any.
type ExpectedVersion struct {
	kind    expectKind
	version uint64
}

type expectKind uint8

const (
	expectAny expectKind = iota
	expectNoStream
	expectStreamExists
	expectExact
)

var (
	// Any appends whatever the stream's state.
	Any = ExpectedVersion{kind: expectAny}
	// NoStream appends only if the stream has no events. Uniqueness
	// reservations rely on it: exactly one writer can create a stream.
	NoStream = ExpectedVersion{kind: expectNoStream}
	// StreamExists appends only if the stream has at least one event.
	StreamExists = ExpectedVersion{kind: expectStreamExists}
)

// Exact appends only if the stream's last event has version v.
func Exact(v uint64) ExpectedVersion { return ExpectedVersion{kind: expectExact, version: v} }

// Version returns the exact version required and true, or false for the
// other kinds.
func (e ExpectedVersion) Version() (uint64, bool) { return e.version, e.kind == expectExact }

// IsAny reports whether e places no condition on the stream.
func (e ExpectedVersion) IsAny() bool { return e.kind == expectAny }

// IsNoStream reports whether e requires the stream not to exist.
func (e ExpectedVersion) IsNoStream() bool { return e.kind == expectNoStream }

// IsStreamExists reports whether e requires the stream to exist.
func (e ExpectedVersion) IsStreamExists() bool { return e.kind == expectStreamExists }

// Allows reports whether a stream whose current version is current (-1 for a
// stream with no events) satisfies e. Backends that check the condition
// themselves use it so every backend applies the same rule.
func (e ExpectedVersion) Allows(current int64) bool {
	switch e.kind {
	case expectNoStream:
		return current < 0
	case expectStreamExists:
		return current >= 0
	case expectExact:
		return current >= 0 && uint64(current) == e.version
	default:
		return true
	}
}

// String renders e for error messages.
func (e ExpectedVersion) String() string {
	switch e.kind {
	case expectNoStream:
		return "no stream"
	case expectStreamExists:
		return "stream exists"
	case expectExact:
		return strconv.FormatUint(e.version, 10)
	default:
		return "any"
	}
}
