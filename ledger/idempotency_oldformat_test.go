package ledger

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"testing"

	"github.com/google/uuid"

	"github.com/haixi-hrss/fundledger/eventstore"
)

// oldKeyedRun writes what the ledger before 8c0f06b left for a keyed
// command: the claim (event ID derived from the command ID and the key's
// stream), the command's events and, when complete, the completion record
// naming them.
func oldKeyedRun(t *testing.T, st eventstore.Store, cmd Command, stream string, by int, complete bool) Result {
	t.Helper()
	ctx := context.Background()
	fp, err := Fingerprint(stream, &cmd)
	if err != nil {
		t.Fatal(err)
	}
	key := IdempotencyStream(cmd.IdempotencyKey)
	claim, err := record(EventID(cmd.ID, key, 0), IdempotencyKeyClaimed{CommandID: cmd.ID, Stream: stream, Fingerprint: fp}, cmd.metadata())
	if err != nil {
		t.Fatal(err)
	}
	if _, err := st.Append(ctx, key, eventstore.NoStream, claim); err != nil {
		t.Fatal(err)
	}
	head, err := st.ReadStream(ctx, stream, 0, 0)
	if err != nil {
		t.Fatal(err)
	}
	expected := eventstore.NoStream
	if len(head) > 0 {
		expected = eventstore.Exact(uint64(len(head) - 1))
	}
	id := EventID(cmd.ID, stream, 0)
	res, err := st.Append(ctx, stream, expected, eventstore.EventData{ID: id, Type: "Added", SchemaVersion: 1,
		Data: []byte(fmt.Sprintf(`{"by":%d}`, by)), Metadata: cmd.metadata()})
	if err != nil {
		t.Fatal(err)
	}
	out := Result{Stream: stream, FirstVersion: res.FirstVersion, LastVersion: res.LastVersion, Position: res.Position,
		EventIDs: []uuid.UUID{id}}
	if complete {
		done, err := record(EventID(cmd.ID, key, 1), IdempotencyKeyCompleted{Stream: stream, FirstVersion: res.FirstVersion,
			LastVersion: res.LastVersion, Position: res.Position, EventIDs: []uuid.UUID{id}}, cmd.metadata())
		if err != nil {
			t.Fatal(err)
		}
		if _, err := st.Append(ctx, key, eventstore.Exact(0), done); err != nil {
			t.Fatal(err)
		}
	}
	return out
}

// TestOldFormatKeysOnStaleProcesses: keys left by the ledger before
// one record per key, complete (claim and completion) and interrupted
// (claim and events, no completion), retried on a process whose cached
// fold of the stream is stale, under the first command ID (as the API
// derives it) and under a new one: the first events are the answer and
// nothing is appended again; other input under the key is a mismatch.
func TestOldFormatKeysOnStaleProcesses(t *testing.T) {
	for _, complete := range []bool{true, false} {
		t.Run(fmt.Sprintf("complete=%v", complete), func(t *testing.T) {
			ctx := context.Background()
			st := openTallyStore(t)
			stale := tallyService(t, st)
			if _, err := Handle(ctx, stale, tally("tally-1"), Command{ID: uuid.New()}, add(1)); err != nil {
				t.Fatal(err)
			}
			cmd := reviewKeyed("old-key", 2)
			first := oldKeyedRun(t, st.Store, cmd, "tally-1", 2, complete)
			for _, id := range []uuid.UUID{cmd.ID, uuid.New()} {
				retry := cmd
				retry.ID = id
				res, err := Handle(ctx, stale, tally("tally-1"), retry, add(2))
				if err != nil {
					t.Fatal(err)
				}
				if !slices.Equal(res.EventIDs, first.EventIDs) || res.FirstVersion != first.FirstVersion || res.Position != first.Position {
					t.Errorf("retry under %s: %+v, want the first result %+v", id, res, first)
				}
			}
			other := reviewKeyed("old-key", 3)
			if _, err := Handle(ctx, stale, tally("tally-1"), other, add(3)); !errors.Is(err, ErrIdempotencyMismatch) {
				t.Errorf("other input: err = %v, want ErrIdempotencyMismatch", err)
			}
			evs, err := st.Store.ReadStream(ctx, "tally-1", 0, 0)
			if err != nil || len(evs) != 2 {
				t.Errorf("stream holds %d events (%v), want 2: a retry appended", len(evs), err)
			}
			if recs, err := st.Store.ReadStream(ctx, IdempotencyStream("old-key"), 0, 0); err != nil || len(recs) != map[bool]int{true: 2, false: 1}[complete] {
				t.Errorf("key stream holds %d records (%v), want the old ones only", len(recs), err)
			}
		})
	}
}
