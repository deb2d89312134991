package ledger

import (
	"context"
	"testing"

	"github.com/google/uuid"

	"github.com/haixi-hrss/fundledger/domain"
)

// TestRepeatOnAStaleProcessIsReplayed: a command applied by one
// process and repeated (same command ID, as the API derives it from the
// idempotency key) on another whose cached fold of the stream predates
// it is decided on that fold and appended with the fold's expected
// version; the store acknowledges the append as a retry of the original
// (same event IDs at the same versions) and writes nothing. The answer
// must then say Replayed, as Result documents ("this call appended
// nothing because the command had already been applied"): the API
// answers 200 with Idempotent-Replayed for a replay and 201 otherwise,
// directMoves moves money only for a fresh append, and the haixi loader
// counts the events as appended.
func TestRepeatOnAStaleProcessIsReplayed(t *testing.T) {

	shared, sharedAdd := sharedTally("line-1", 100)
	for _, c := range []struct {
		name string
		agg  Aggregate[int]
		add  func(int) func(int) ([]domain.Event, error)
	}{{"recent", tally("tally-1"), add}, {"shared", shared, sharedAdd}} {
		t.Run(c.name, func(t *testing.T) {
			ctx := context.Background()
			st := openTallyStore(t)
			here, there := tallyService(t, st), tallyService(t, st)
			// there caches the stream at version 0.
			if _, err := Handle(ctx, there, c.agg, Command{ID: uuid.New()}, c.add(1)); err != nil {
				t.Fatal(err)
			}
			cmd := Command{ID: uuid.New()}
			first, err := Handle(ctx, here, c.agg, cmd, c.add(2))
			if err != nil {
				t.Fatal(err)
			}
			again, err := Handle(ctx, there, c.agg, cmd, c.add(2))
			if err != nil {
				t.Fatal(err)
			}
			evs, err := st.Store.ReadStream(ctx, c.agg.Stream, 0, 0)
			if err != nil || len(evs) != 2 {
				t.Fatalf("stream holds %d events (%v), want 2: the repeat appended", len(evs), err)
			}
			if !again.Replayed || again.EventIDs[0] != first.EventIDs[0] || again.Position != first.Position {
				t.Errorf("repeat on the stale process: %+v\nwant a replay of %+v", again, first)
			}
		})
	}
}
