package eventstore_test

import (
	"errors"
	"math"
	"strings"
	"testing"

	"github.com/haixi-hrss/fundledger/eventstore"
)

func TestExpectedVersionAllows(t *testing.T) {
	cases := []struct {
		expected eventstore.ExpectedVersion
		current  int64 // -1: the stream has no events
		want     bool
	}{
		{eventstore.Any, -1, true},
		{eventstore.Any, 0, true},
		{eventstore.Any, 41, true},
		{eventstore.ExpectedVersion{}, -1, true},
		{eventstore.ExpectedVersion{}, 7, true},
		{eventstore.NoStream, -1, true},
		{eventstore.NoStream, 0, false},
		{eventstore.NoStream, 5, false},
		{eventstore.StreamExists, -1, false},
		{eventstore.StreamExists, 0, true},
		{eventstore.StreamExists, 5, true},
		{eventstore.Exact(0), -1, false},
		{eventstore.Exact(0), 0, true},
		{eventstore.Exact(0), 1, false},
		{eventstore.Exact(5), 4, false},
		{eventstore.Exact(5), 5, true},
		{eventstore.Exact(5), 6, false},
		{eventstore.Exact(math.MaxInt64), math.MaxInt64, true},
		{eventstore.Exact(math.MaxUint64), -1, false},
		{eventstore.Exact(math.MaxUint64), math.MaxInt64, false},
	}
	for _, c := range cases {
		if got := c.expected.Allows(c.current); got != c.want {
			t.Errorf("%s.Allows(%d) = %v, want %v", c.expected, c.current, got, c.want)
		}
	}
}

func TestExpectedVersionKinds(t *testing.T) {
	cases := []struct {
		expected                    eventstore.ExpectedVersion
		str                         string
		any, noStream, streamExists bool
		exact                       bool
		version                     uint64
	}{
		{eventstore.Any, "any", true, false, false, false, 0},
		{eventstore.ExpectedVersion{}, "any", true, false, false, false, 0},
		{eventstore.NoStream, "no stream", false, true, false, false, 0},
		{eventstore.StreamExists, "stream exists", false, false, true, false, 0},
		{eventstore.Exact(0), "0", false, false, false, true, 0},
		{eventstore.Exact(42), "42", false, false, false, true, 42},
		{eventstore.Exact(math.MaxUint64), "18446744073709551615", false, false, false, true, math.MaxUint64},
	}
	for _, c := range cases {
		if got := c.expected.String(); got != c.str {
			t.Errorf("String() = %q, want %q", got, c.str)
		}
		if c.expected.IsAny() != c.any || c.expected.IsNoStream() != c.noStream || c.expected.IsStreamExists() != c.streamExists {
			t.Errorf("%s: IsAny %v IsNoStream %v IsStreamExists %v", c.str, c.expected.IsAny(), c.expected.IsNoStream(), c.expected.IsStreamExists())
		}
		v, exact := c.expected.Version()
		if exact != c.exact || exact && v != c.version {
			t.Errorf("%s.Version() = %d, %v; want %d, %v", c.str, v, exact, c.version, c.exact)
		}
	}
	if eventstore.Exact(0) == eventstore.NoStream || eventstore.Exact(0) == eventstore.Any || eventstore.Exact(1) == eventstore.Exact(2) {
		t.Error("distinct expected versions compare equal")
	}
}

func TestConcurrencyError(t *testing.T) {
	cases := []struct {
		err  *eventstore.ConcurrencyError
		want []string
	}{
		{&eventstore.ConcurrencyError{Stream: "uniq-grant-ab12", Expected: eventstore.NoStream, Actual: 0},
			[]string{`"uniq-grant-ab12"`, "expected version no stream", "found version 0"}},
		{&eventstore.ConcurrencyError{Stream: "claim-1", Expected: eventstore.Exact(3), Actual: -1},
			[]string{`"claim-1"`, "expected version 3", "found no stream"}},
		{&eventstore.ConcurrencyError{Stream: "claim-1", Expected: eventstore.StreamExists, Actual: -1},
			[]string{"expected version stream exists", "found no stream"}},
	}
	for _, c := range cases {
		var err error = c.err
		wrapped := errors.Join(errors.New("appending"), err)
		if !errors.Is(wrapped, eventstore.ErrConcurrency) {
			t.Errorf("%v does not match ErrConcurrency", err)
		}
		if errors.Is(err, eventstore.ErrInvalidAppend) || errors.Is(err, eventstore.ErrClosed) {
			t.Errorf("%v matches an unrelated sentinel", err)
		}
		var ce *eventstore.ConcurrencyError
		if !errors.As(wrapped, &ce) || ce != c.err {
			t.Errorf("errors.As does not find %v", err)
		}
		for _, w := range c.want {
			if !strings.Contains(err.Error(), w) {
				t.Errorf("message %q does not contain %q", err.Error(), w)
			}
		}
	}
}
