package projections_test

import (
	"bufio"
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/haixi-hrss/fundledger/eventstore"
	"github.com/haixi-hrss/fundledger/eventstore/sqlite"
	"github.com/haixi-hrss/fundledger/projections"
)

// The lines TestCrashChild prints around each save: "started CP" before
// writing the snapshot at checkpoint CP, "finished CP NANOSECONDS" once
// it is written, synced and renamed into place.
const (
	saveStarted  = "crash-child: save started"
	saveFinished = "crash-child: save finished"
)

// childKill is what the killed child said about its saves.
type childKill struct {
	// finished counts the saves that finished; saved is the last one's
	// checkpoint and took its duration.
	finished int
	saved    uint64
	took     time.Duration
	// inFlight says a save had started and not finished when the child
	// died; flight is its checkpoint.
	inFlight bool
	flight   uint64
	// other holds any other output, to explain a child that failed.
	other []string
}

func (k *childKill) when() string {
	if k.inFlight {
		return fmt.Sprintf("while saving checkpoint %d", k.flight)
	}
	return "between saves"
}

// read takes in one line of the child's output.
func (k *childKill) read(line string) (started, finished bool) {
	var cp uint64
	var ns int64
	switch {
	case strings.HasPrefix(line, saveStarted):
		if _, err := fmt.Sscanf(line, saveStarted+" %d", &cp); err == nil {
			k.inFlight, k.flight = true, cp
			return true, false
		}
	case strings.HasPrefix(line, saveFinished):
		if _, err := fmt.Sscanf(line, saveFinished+" %d %d", &cp, &ns); err == nil {
			k.inFlight = false
			k.finished++
			k.saved, k.took = cp, time.Duration(ns)
			return false, true
		}
	}
	k.other = append(k.other, line)
	return false, false
}

// killChild starts TestCrashChild on dir and kills it with SIGKILL once it
// has finished a save: if aim, a short random time (within half the last
// save's duration, as the child's report of a start reaches us late) after
// a later save starts, otherwise at a random moment in the next 20 ms.
func killChild(t *testing.T, dir string, aim bool, rng *rand.Rand) *childKill {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^TestCrashChild$", "-test.count=1")
	cmd.Env = append(os.Environ(), crashDirEnv+"="+dir)
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	lines := make(chan string, 256)
	go func() {
		defer close(lines)
		sc := bufio.NewScanner(out)
		for sc.Scan() {
			lines <- sc.Text()
		}
	}()
	k := &childKill{}
	stop := func() {
		// An error means the child is gone already, which the output shows.
		_ = cmd.Process.Kill()
		for line := range lines {
			k.read(line)
		}
		_ = cmd.Wait()
	}
	deadline := time.After(time.Minute)
	// await reads lines until want reports one, failing if the child ends
	// or says nothing of the kind for a minute.
	await := func(what string, want func(started, finished bool) bool) {
		for {
			select {
			case line, ok := <-lines:
				if !ok {
					stop()
					t.Fatalf("the child ended before %s: %q", what, k.other)
				}
				if want(k.read(line)) {
					return
				}
			case <-deadline:
				stop()
				t.Fatalf("no %s from the child in a minute: %q", what, k.other)
			}
		}
	}
	await("a finished save", func(_, finished bool) bool { return finished })
	if aim {
		for range 1 + rng.IntN(3) {
			await("a save starting", func(started, _ bool) bool { return started })
		}
		time.Sleep(time.Duration(rng.Int64N(int64(max(k.took/2, time.Microsecond)))))
	} else {
		time.Sleep(time.Duration(rng.Int64N(int64(20 * time.Millisecond))))
	}
	stop()
	return k
}

// checkAfterKill reopens the store and the snapshot the killed child
// left and checks them (see TestKillDuringSaves); tmp says a temporary
// snapshot file was left beside it. It returns the log's head and the
// snapshot's checkpoint, and leaves the models caught up and saved.
func checkAfterKill(t *testing.T, w *world, round int, k *childKill, tmp bool) (head, cp uint64) {
	t.Helper()
	st, err := sqlite.Open(w.dir)
	if err != nil {
		t.Fatalf("round %d: the store does not open after kill -9: %v", round, err)
	}
	defer st.Close()
	log, err := st.ReadAll(w.ctx, 0, 0)
	if err != nil {
		t.Fatal(err)
	}
	head = log[len(log)-1].Position
	got := crashProjections()
	r, err := projections.NewRunner(st, w.codec, w.dir, got...)
	if err != nil {
		t.Fatalf("round %d: the snapshot does not load after kill -9: %v", round, err)
	}
	if err := r.Refused(); err != nil {
		t.Fatalf("round %d: the snapshot was refused after kill -9: %v", round, err)
	}
	cp = r.Checkpoint()
	switch {
	case cp > head:
		t.Fatalf("round %d: the snapshot's checkpoint %d is past the log's head %d", round, cp, head)
	case tmp && cp != k.saved:
		t.Fatalf("round %d: a temporary file was left and the snapshot is at %d, not at the last finished save %d", round, cp, k.saved)
	case cp != k.saved && (!k.inFlight || cp != k.flight):
		t.Fatalf("round %d: the snapshot is at %d, neither the last finished save %d nor the one under way (%s)", round, cp, k.saved, k.when())
	}
	want := crashProjections()
	pr, err := projections.Rebuild(w.ctx, prefixStore{st, cp}, w.codec, nil, want...)
	if err != nil || pr.Position != cp {
		t.Fatalf("round %d: replaying the log up to %d read up to %d: %v", round, cp, pr.Position, err)
	}
	for i := range got {
		mustEqual(t, fmt.Sprintf("round %d: saved models and the log up to their checkpoint", round), got[i], want[i])
	}
	if _, err := r.CatchUp(w.ctx); err != nil {
		t.Fatalf("round %d: catching up from the snapshot: %v", round, err)
	}
	if _, err := projections.Rebuild(w.ctx, st, w.codec, nil, want...); err != nil {
		t.Fatal(err)
	}
	for i := range got {
		mustEqual(t, fmt.Sprintf("round %d: models caught up from the snapshot and rebuilt", round), got[i], want[i])
	}
	return head, cp
}

// prefixStore is a store whose log ends at position upTo.
type prefixStore struct {
	eventstore.Store
	upTo uint64
}

func (s prefixStore) ReadAll(ctx context.Context, after uint64, limit int) ([]eventstore.Event, error) {
	evs, err := s.Store.ReadAll(ctx, after, limit)
	for i, ev := range evs {
		if ev.Position > s.upTo {
			return evs[:i], err
		}
	}
	return evs, err
}
