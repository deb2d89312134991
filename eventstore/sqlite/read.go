package sqlite

import (
	"context"
	"database/sql/driver"
	"errors"
	"fmt"
	"io"
	"math"
	"time"

	"github.com/google/uuid"

	"github.com/haixi-hrss/fundledger/eventstore"
)

// ReadStream implements eventstore.Store.
func (s *Store) ReadStream(ctx context.Context, stream string, from uint64, limit int) ([]eventstore.Event, error) {
	return s.read(ctx, streamRead{stream: stream, from: from, limit: limit})
}

// ReadStreamBackward implements eventstore.Store. n <= 0 yields no events.
func (s *Store) ReadStreamBackward(ctx context.Context, stream string, n int) ([]eventstore.Event, error) {
	return s.read(ctx, streamRead{stream: stream, limit: max(n, 0), backward: true})
}

// streamRead is a ReadStream (from version from on) or ReadStreamBackward
// call; limit 0 is no limit forward, no events backward.
type streamRead struct {
	stream   string
	from     uint64
	limit    int
	backward bool
}

// Head returns the position of the last committed event, 0 when the log
// is empty. It is one index lookup, where learning the head through
// ReadAll reads every event after a position.
func (s *Store) Head(ctx context.Context) (uint64, error) {
	if err := ctx.Err(); err != nil {
		return 0, err
	}
	s.mu.RLock()
	defer s.mu.RUnlock()
	if s.closed {
		return 0, eventstore.ErrClosed
	}
	if s.tail != nil {
		if head, ok := s.tail.head(); ok {
			return head, nil
		}
	}
	return s.queryHead(ctx)
}

// queryHead is Head without the checks: the caller holds s.mu shared.
func (s *Store) queryHead(ctx context.Context) (uint64, error) {
	r, err := s.readers.get(ctx)
	if err != nil {
		return 0, fmt.Errorf("eventstore/sqlite: read the head: %w", err)
	}
	defer s.readers.put(r)
	rows, err := r.head.query(ctx, nil)
	if err != nil {
		return 0, fmt.Errorf("eventstore/sqlite: read the head: %w", err)
	}
	defer rows.Close()
	row := make([]driver.Value, 1)
	if err := rows.Next(row); err != nil {
		return 0, fmt.Errorf("eventstore/sqlite: read the head: %w", err)
	}
	pos, _ := row[0].(int64) // NULL for an empty log
	return uint64(max(pos, 0)), nil
}

// sqlInt maps a version or position to SQLite's signed integers; anything
// beyond the largest one lies past every stored row, and so does the
// largest one itself.
func sqlInt(v uint64) int64 { return int64(min(v, math.MaxInt64)) }

// sqlLimit maps the port's "no limit" to SQLite's.
func sqlLimit(limit int) int64 {
	if limit <= 0 {
		return -1
	}
	return int64(limit)
}

// read answers q from the tail if it can, else with a reader's statement,
// and then tells the tail where the stream ends if the read showed it.
func (s *Store) read(ctx context.Context, q streamRead) ([]eventstore.Event, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	s.mu.RLock()
	defer s.mu.RUnlock()
	if s.closed {
		return nil, eventstore.ErrClosed
	}
	var seen tailSeen
	if s.tail != nil {
		var events []eventstore.Event
		var ok bool
		if events, ok, seen = s.tail.readStream(q); ok {
			return events, nil
		}
	}
	// Growing the slice row by row costs a sixth of a full scan, so take
	// the caller's limit as the capacity when there is a sensible one.
	var events []eventstore.Event
	if q.limit > 0 && q.limit <= maxPrealloc {
		events = make([]eventstore.Event, 0, q.limit)
	}
	var err error
	if q.backward {
		events, err = s.query(ctx, func(r *reader) stmt { return r.backward }, events, q.stream, int64(q.limit))
	} else {
		events, err = s.query(ctx, func(r *reader) stmt { return r.stream }, events, q.stream, sqlInt(q.from), sqlLimit(q.limit))
	}
	if err == nil && s.tail != nil {
		s.tail.learn(q, events, seen)
	}
	return events, err
}

// maxPrealloc bounds the capacity read allocates up front.
const maxPrealloc = 4096

// query is read without the checks: the caller holds s.mu shared. It
// appends the decoded rows to dst.
func (s *Store) query(ctx context.Context, which func(*reader) stmt, dst []eventstore.Event, args ...driver.Value) ([]eventstore.Event, error) {
	r, err := s.readers.get(ctx)
	if err != nil {
		return nil, fmt.Errorf("eventstore/sqlite: read: %w", err)
	}
	defer s.readers.put(r)
	rows, err := which(r).query(ctx, namedArgs(nil, args...))
	if err != nil {
		return nil, fmt.Errorf("eventstore/sqlite: read: %w", err)
	}
	defer rows.Close()
	row := make([]driver.Value, 2)
	for {
		err := rows.Next(row)
		if errors.Is(err, io.EOF) {
			return dst, nil
		}
		if err != nil {
			return nil, fmt.Errorf("eventstore/sqlite: read: %w", err)
		}
		dst = append(dst, eventstore.Event{})
		if err := decodeEvent(row, &dst[len(dst)-1]); err != nil {
			return nil, err
		}
	}
}

// decodeEvent fills e from a row selected with eventColumns.
func decodeEvent(row []driver.Value, e *eventstore.Event) error {
	e.Data, _ = row[0].([]byte)
	packed, _ := row[1].(string)
	var nums [packedInts + packedTexts]int64
	rest := packed
	for i := range nums {
		sep := byte(',')
		if i == len(nums)-1 {
			sep = ';'
		}
		n, tail, ok := parseInt(rest, sep)
		if !ok {
			return corrupt(nums[0], "packed row", fmt.Errorf("cannot parse %.80q", packed))
		}
		nums[i], rest = n, tail
	}
	var texts [packedTexts]string
	for i, n := range nums[packedInts:] {
		if n < 0 || n > int64(len(rest)) {
			return corrupt(nums[0], "packed row", fmt.Errorf("text %d of %d bytes overruns %.80q", i, n, packed))
		}
		texts[i], rest = rest[:n], rest[n:]
	}
	if rest != "" {
		return corrupt(nums[0], "packed row", fmt.Errorf("%d bytes left over in %.80q", len(rest), packed))
	}
	return fillEvent(e, [packedInts]int64(nums[:packedInts]), texts)
}

// fillEvent sets e's fields but Data from a row's integer columns
// (position, version, schema version, recorded-at) and text columns (in
// eventColumns' order), checking the ID and the hashes.
func fillEvent(e *eventstore.Event, nums [packedInts]int64, texts [packedTexts]string) error {
	e.Position = uint64(nums[0])
	e.Version = uint64(nums[1])
	e.SchemaVersion = int(nums[2])
	e.RecordedAt = time.UnixMicro(nums[3]).UTC()
	e.Stream = texts[0]
	var err error
	if e.ID, err = uuid.Parse(texts[1]); err != nil {
		return corrupt(nums[0], "event_id", err)
	}
	e.Type = texts[2]
	e.Metadata = eventstore.Metadata{Actor: texts[3], Role: texts[4], CorrelationID: texts[5], CausationID: texts[6],
		IdempotencyKey: texts[7], EffectiveDate: texts[8], PolicyVersion: texts[9]}
	if err := parseHex(&e.PrevHash, texts[10]); err != nil {
		return corrupt(nums[0], "prev_hash", err)
	}
	if err := parseHex(&e.Hash, texts[11]); err != nil {
		return corrupt(nums[0], "hash", err)
	}
	return nil
}

// parseInt parses a decimal integer up to sep and returns what follows sep.
func parseInt(s string, sep byte) (n int64, rest string, ok bool) {
	i, neg := 0, false
	if i < len(s) && s[i] == '-' {
		neg, i = true, 1
	}
	start := i
	for ; i < len(s) && '0' <= s[i] && s[i] <= '9'; i++ {
		n = n*10 + int64(s[i]-'0')
	}
	if i == start || i-start > 18 || i >= len(s) || s[i] != sep {
		return 0, s, false
	}
	if neg {
		n = -n
	}
	return n, s[i+1:], true
}

func corrupt(pos int64, column string, err error) error {
	return fmt.Errorf("eventstore/sqlite: event at position %d: column %s: %w", pos, column, err)
}

// parseHex decodes a 64-character hex string without allocating.
func parseHex(h *eventstore.Hash, s string) error {
	if len(s) != 2*len(h) {
		return fmt.Errorf("hash %q is not 64 hex characters", s)
	}
	for i := range h {
		hi, lo := hexValue[s[2*i]], hexValue[s[2*i+1]]
		if hi|lo > 0x0f {
			return fmt.Errorf("hash %q is not hex", s)
		}
		h[i] = hi<<4 | lo
	}
	return nil
}

// hexValue maps a hex digit to its value and every other byte to 0xff.
var hexValue = func() (t [256]byte) {
	for i := range t {
		t[i] = 0xff
	}
	for i, c := range "0123456789abcdef" {
		t[c] = byte(i)
	}
	for i, c := range "ABCDEF" {
		t[c] = byte(10 + i)
	}
	return t
}()
