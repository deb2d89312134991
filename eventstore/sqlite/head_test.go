package sqlite

import (
	"context"
	"errors"
	"testing"

	"github.com/haixi-hrss/fundledger/eventstore"
)

// TestHeadIsLastPosition: Head is 0 on an empty log, then the position of
// the last committed event, and ErrClosed after Close.
func TestHeadIsLastPosition(t *testing.T) {
	for name, opts := range map[string][]Option{"tail": nil, "no_tail": {withTail(0, 0)}} {
		t.Run(name, func(t *testing.T) { testHeadIsLastPosition(t, opts...) })
	}
}

func testHeadIsLastPosition(t *testing.T, opts ...Option) {
	s := openStore(t, t.TempDir(), opts...)
	ctx := context.Background()
	if h, err := s.Head(ctx); err != nil || h != 0 {
		t.Fatalf("Head of an empty log: %d, %v", h, err)
	}
	mustAppend(t, s, "claim-1", eventstore.NoStream, newEvent(1), newEvent(2))
	res := mustAppend(t, s, "claim-2", eventstore.NoStream, newEvent(3))
	h, err := s.Head(ctx)
	if err != nil || h != res.Position {
		t.Fatalf("Head: %d, %v; the last append landed at %d", h, err, res.Position)
	}
	log, err := s.ReadAll(ctx, 0, 0)
	if err != nil || log[len(log)-1].Position != h {
		t.Fatalf("ReadAll ends at %d (%v), Head says %d", log[len(log)-1].Position, err, h)
	}
	s.Close()
	if _, err := s.Head(ctx); !errors.Is(err, eventstore.ErrClosed) {
		t.Errorf("Head after Close: %v", err)
	}
}

// TestReadAllSizesByWhatIsThere: a page asked for far more events than
// the log holds past after is allocated for those events alone, and a
// read at the head is empty.
func TestReadAllSizesByWhatIsThere(t *testing.T) {
	for name, opts := range map[string][]Option{"tail": nil, "no_tail": {withTail(0, 0)}} {
		t.Run(name, func(t *testing.T) { testReadAllSizesByWhatIsThere(t, opts...) })
	}
}

func testReadAllSizesByWhatIsThere(t *testing.T, opts ...Option) {
	s := openStore(t, t.TempDir(), opts...)
	ctx := context.Background()
	res := mustAppend(t, s, "claim-1", eventstore.NoStream, newEvent(1), newEvent(2), newEvent(3))
	page, err := s.ReadAll(ctx, res.Position-2, 1000)
	if err != nil {
		t.Fatal(err)
	}
	if len(page) != 2 || cap(page) != 2 {
		t.Errorf("ReadAll of the last 2 events with limit 1000: len %d, cap %d", len(page), cap(page))
	}
	page, err = s.ReadAll(ctx, res.Position, 1000)
	if err != nil || len(page) != 0 {
		t.Errorf("ReadAll at the head: %d events, %v", len(page), err)
	}
}
