// Package integrity verifies a fundledger event log from what a store
// returns: every per-stream hash chain, gapless versions, the global order,
// and the ledger digest, a Merkle root over every stream's head that an
// auditor records once to prove later that nothing before it changed.
//
// It depends only on the read side of the eventstore port, so it checks
// every backend the same way and trusts none of them.
package integrity

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/haixi-hrss/fundledger/eventstore"
)

// Reader is the part of eventstore.Store that Verify needs.
type Reader interface {
	// ReadAll returns up to limit events with position greater than after,
	// in commit order.
	ReadAll(ctx context.Context, after uint64, limit int) ([]eventstore.Event, error)
}

// DefaultPageSize is the number of events Verify reads per ReadAll call
// unless Options says otherwise.
const DefaultPageSize = 1000

// Options tunes Verify. The zero value verifies the whole log.
type Options struct {
	// PageSize is the ReadAll limit; <= 0 means DefaultPageSize.
	PageSize int
	// Through, if non-zero, stops verification after the last event with
	// position <= Through; the report's digest is then the digest of that
	// prefix.
	Through uint64
	// Expect, if non-nil, is a digest recorded earlier. Verify computes the
	// digest of the log prefix up to Expect.Position and returns a
	// *DigestMismatchError if the roots differ.
	Expect *Digest
	// Progress, if non-nil, is called after each page read.
	Progress func(Progress)
}

// Progress tells how far Verify has got.
type Progress struct {
	Events   uint64
	Streams  int
	Position uint64
}

// Report summarises a verified log (or prefix).
type Report struct {
	// Streams and Events count what was verified.
	Streams int
	Events  uint64
	// LastPosition is the position of the last verified event, 0 if none.
	LastPosition uint64
	// LastRecordedAt is the last verified event's recorded-at time.
	LastRecordedAt time.Time
	// Digest is the ledger digest at LastPosition.
	Digest Digest
	// ExpectMatched is true when Options.Expect was given and matched.
	ExpectMatched bool
}

// Verify reads the log through r from the start and checks, for every event
// in commit order, that its position is greater than the previous one's, its
// recorded-at is not earlier, its version follows its stream's previous
// event (0 for the first), its previous hash is that event's hash (zero for
// the first), and its hash equals eventstore.ComputeHash recomputed from the
// envelope as returned.
//
// It returns the report and nil for an intact log; the report so far and a
// *BrokenError naming the first broken event; the report so far and a
// *DigestMismatchError if Options.Expect does not match; or a read error.
//
// The hash chains alone cannot reveal a stream whose last events were
// deleted, or a log rewritten and re-hashed from some point on: comparing
// against a digest recorded earlier (Options.Expect) does.
func Verify(ctx context.Context, r Reader, opts Options) (Report, error) {
	if opts.Expect != nil && opts.Through > 0 && opts.Expect.Position > opts.Through {
		return Report{}, fmt.Errorf("integrity: expected digest at position %d lies beyond the verified prefix (through %d)",
			opts.Expect.Position, opts.Through)
	}
	v := verifier{heads: make(heads)}
	limit := opts.PageSize
	if limit <= 0 {
		limit = DefaultPageSize
	}
	expectPending := opts.Expect != nil
	for {
		page, err := r.ReadAll(ctx, v.rep.LastPosition, limit)
		if err != nil {
			return v.report(), fmt.Errorf("integrity: read after position %d: %w", v.rep.LastPosition, err)
		}
		if len(page) == 0 {
			break
		}
		for i := range page {
			e := &page[i]
			if opts.Through > 0 && e.Position > opts.Through {
				return v.finish(opts.Expect, expectPending)
			}
			if expectPending && e.Position > opts.Expect.Position {
				if err := v.compare(*opts.Expect); err != nil {
					return v.report(), err
				}
				expectPending = false
			}
			if err := v.check(e); err != nil {
				return v.report(), err
			}
		}
		if opts.Progress != nil {
			opts.Progress(Progress{Events: v.rep.Events, Streams: len(v.heads), Position: v.rep.LastPosition})
		}
		if err := ctx.Err(); err != nil {
			return v.report(), err
		}
	}
	return v.finish(opts.Expect, expectPending)
}

type verifier struct {
	heads heads
	rep   Report
}

func (v *verifier) report() Report {
	rep := v.rep
	rep.Streams = len(v.heads)
	rep.Digest = v.heads.digest(rep.LastPosition)
	return rep
}

// finish compares a digest whose position lies at or beyond the end of what
// was read, then returns the final report.
func (v *verifier) finish(expect *Digest, pending bool) (Report, error) {
	if pending {
		if err := v.compare(*expect); err != nil {
			return v.report(), err
		}
	}
	return v.report(), nil
}

func (v *verifier) compare(expect Digest) error {
	got := v.heads.digest(v.rep.LastPosition)
	if got.Root != expect.Root {
		return &DigestMismatchError{Expected: expect, Actual: got}
	}
	v.rep.ExpectMatched = true
	return nil
}

// check verifies e against what came before it and, if it holds, makes it
// the head of its stream.
func (v *verifier) check(e *eventstore.Event) error {
	broken := func(r Reason, format string, args ...any) error {
		return &BrokenError{Stream: e.Stream, Version: e.Version, Position: e.Position,
			EventID: e.ID, Reason: r, Detail: fmt.Sprintf(format, args...)}
	}
	if e.Position <= v.rep.LastPosition {
		return broken(PositionOrder, "position %d does not follow position %d", e.Position, v.rep.LastPosition)
	}
	if v.rep.Events > 0 && e.RecordedAt.Before(v.rep.LastRecordedAt) {
		return broken(TimeOrder, "recorded at %s, before the previous event's %s",
			e.RecordedAt.Format(time.RFC3339Nano), v.rep.LastRecordedAt.Format(time.RFC3339Nano))
	}
	prev, seen := v.heads[e.Stream]
	var want uint64
	if seen {
		want = prev.Version + 1
	}
	if e.Version != want {
		return broken(VersionGap, "expected version %d", want)
	}
	if e.PrevHash != prev.Hash {
		return broken(BrokenLink, "previous hash is %s, the stream's previous event hashes to %s", e.PrevHash, prev.Hash)
	}
	if h := eventstore.ComputeHash(e.PrevHash, e); h != e.Hash {
		return broken(HashMismatch, "stored hash %s, recomputed %s", e.Hash, h)
	}
	v.heads[e.Stream] = Head{Stream: e.Stream, Version: e.Version, Hash: e.Hash}
	v.rep.Events++
	v.rep.LastPosition = e.Position
	v.rep.LastRecordedAt = e.RecordedAt
	return nil
}

// DigestAt verifies the log prefix up to position and returns its digest.
// An auditor records the result and later passes it as Options.Expect.
func DigestAt(ctx context.Context, r Reader, position uint64) (Digest, error) {
	if position == 0 {
		return Digest{}, errors.New("integrity: digest position must be greater than zero")
	}
	rep, err := Verify(ctx, r, Options{Through: position})
	if err != nil {
		return Digest{}, err
	}
	return rep.Digest, nil
}
