package sqlite

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/haixi-hrss/fundledger/eventstore"
)

func paceEvent() eventstore.EventData {
	return eventstore.EventData{ID: uuid.New(), Type: "Paced", SchemaVersion: 1, Data: []byte(`{}`)}
}

// commit is one commit as the log shows it: its events share RecordedAt,
// which the writer reads as the commit begins.
type commit struct {
	at     time.Time
	events int
}

// commits reads the log and groups its events by commit.
func commits(t *testing.T, s *Store) []commit {
	t.Helper()
	evs, err := s.ReadAll(context.Background(), 0, 0)
	if err != nil {
		t.Fatal(err)
	}
	var out []commit
	for _, e := range evs {
		if n := len(out); n > 0 && out[n-1].at.Equal(e.RecordedAt) {
			out[n-1].events++
			continue
		}
		out = append(out, commit{at: e.RecordedAt, events: 1})
	}
	return out
}

// TestPaceSpacesCommitsOfManyCallers: with a commit pace, a commit that
// follows one of several requests begins at least the pace after it; so
// 16 callers appending one event at a time share a few commits.
func TestPaceSpacesCommitsOfManyCallers(t *testing.T) {
	const pace = 100 * time.Millisecond
	s := openStore(t, t.TempDir(), WithCommitPace(pace))
	ctx := context.Background()
	var wg sync.WaitGroup
	for c := range 16 {
		wg.Go(func() {
			for range 5 {
				if _, err := s.Append(ctx, fmt.Sprintf("paced-%d", c), eventstore.Any, paceEvent()); err != nil {
					t.Error(err)
					return
				}
			}
		})
	}
	wg.Wait()
	cs := commits(t, s)
	total := 0
	for i, c := range cs {
		total += c.events
		if i > 0 && cs[i-1].events > 1 {
			// RecordedAt is read a little after the commit's start (after
			// BEGIN), so a loaded machine may shorten a gap by a few ms;
			// without pacing these gaps are well under a millisecond.
			if gap := c.at.Sub(cs[i-1].at); gap < pace/2 {
				t.Errorf("commit %d began %v after a commit of %d events, want about the pace %v", i, gap, cs[i-1].events, pace)
			}
		}
	}
	if total != 80 {
		t.Fatalf("%d events in the log, want 80", total)
	}
	if len(cs) > 40 {
		t.Errorf("80 appends by 16 callers took %d commits, want them shared", len(cs))
	}
}

// TestPaceNeverDelaysALoneCaller: one caller appending in a loop takes a
// commit of one request at a time with nothing queued behind it, so it
// never waits for the pace, however long.
func TestPaceNeverDelaysALoneCaller(t *testing.T) {
	s := openStore(t, t.TempDir(), WithCommitPace(time.Hour))
	ctx := context.Background()
	done := make(chan error, 1)
	go func() {
		for range 20 {
			if _, err := s.Append(ctx, "lone", eventstore.Any, paceEvent()); err != nil {
				done <- err
				return
			}
		}
		done <- nil
	}()
	select {
	case err := <-done:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(time.Minute):
		t.Fatal("20 appends of a lone caller did not finish in a minute: it waited for the hour-long pace")
	}
	if cs := commits(t, s); len(cs) != 20 {
		t.Errorf("%d commits, want one per append", len(cs))
	}
}
