package ledger_test

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"sync"
	"testing"

	"github.com/google/uuid"

	"github.com/haixi-hrss/fundledger/domain"
	"github.com/haixi-hrss/fundledger/eventstore/sqlite"
	"github.com/haixi-hrss/fundledger/ledger"
)

// crashDirEnv tells the test binary to act as the process that is killed.
const crashDirEnv = "FUNDLEDGER_LEDGER_CRASH_DIR"

const crashWorkers = 4

// addTwo decides two events, so a torn append would show as an odd count.
func addTwo(counter) ([]domain.Event, error) {
	return []domain.Event{Incremented{By: 1}, Incremented{By: 1}}, nil
}

func crashCommand(worker, n int) (ledger.Aggregate[counter], ledger.Command) {
	key := fmt.Sprintf("w%d-%d", worker, n)
	return counterAggregate(fmt.Sprintf("counter-%d", worker%2)),
		ledger.Command{ID: uuid.New(), Name: "AddTwo", IdempotencyKey: key, Payload: key}
}

// TestCrashChild is the process TestKill9DuringIdempotentCommands kills:
// its workers send idempotent commands forever and print each
// acknowledged result.
func TestCrashChild(t *testing.T) {
	dir := os.Getenv(crashDirEnv)
	if dir == "" {
		t.Skip("helper process of TestKill9DuringIdempotentCommands")
	}
	st, err := sqlite.Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	svc := newService(t, st)
	var mu sync.Mutex
	var wg sync.WaitGroup
	for w := range crashWorkers {
		wg.Go(func() {
			for n := 0; ; n++ {
				agg, cmd := crashCommand(w, n)
				res, err := ledger.Handle(context.Background(), svc, agg, cmd, addTwo)
				if err != nil {
					t.Error(err)
					return
				}
				mu.Lock()
				fmt.Fprintf(os.Stdout, "ack %d %d %d %d %d\n", w, n, res.FirstVersion, res.LastVersion, res.Position)
				mu.Unlock()
			}
		})
	}
	wg.Wait()
}

// TestKill9DuringIdempotentCommands kills (SIGKILL) a process in the middle
// of idempotent commands, then checks after reopening the data directory
// that every acknowledged command replays its acknowledged result, that the
// commands in flight complete when retried, and that each command's events
// are in the log exactly once and whole.
func TestKill9DuringIdempotentCommands(t *testing.T) {
	if testing.Short() {
		t.Skip("starts and kills a process")
	}
	dir := t.TempDir()
	child := exec.Command(os.Args[0], "-test.run=^TestCrashChild$", "-test.count=1")
	child.Env = append(os.Environ(), crashDirEnv+"="+dir)
	out, err := child.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	child.Stderr = os.Stderr
	if err := child.Start(); err != nil {
		t.Fatal(err)
	}
	type ack struct{ first, last, pos uint64 }
	acked := map[[2]int]ack{}
	next := make([]int, crashWorkers) // per worker, the first unacknowledged n
	lines := bufio.NewScanner(out)
	read := func() bool {
		if !lines.Scan() {
			return false
		}
		var w, n int
		var a ack
		// Other lines are the test framework's own output.
		if _, err := fmt.Sscanf(lines.Text(), "ack %d %d %d %d %d", &w, &n, &a.first, &a.last, &a.pos); err == nil {
			acked[[2]int{w, n}] = a
			next[w] = max(next[w], n+1)
		}
		return true
	}
	for len(acked) < 300 && read() {
	}
	if err := child.Process.Kill(); err != nil {
		t.Fatal(err)
	}
	// Acknowledgements printed before the kill landed count too.
	for read() {
	}
	_ = child.Wait() // killed: the error is expected
	if len(acked) < 300 {
		t.Fatalf("child stopped after %d acknowledgements", len(acked))
	}

	st := openStore(t, dir)
	svc := newService(t, st)
	ctx := context.Background()
	for k, a := range acked {
		agg, cmd := crashCommand(k[0], k[1])
		res, err := ledger.Handle(ctx, svc, agg, cmd, addTwo)
		if err != nil {
			t.Fatalf("replay of acknowledged %v: %v", k, err)
		}
		if !res.Replayed || res.FirstVersion != a.first || res.LastVersion != a.last || res.Position != a.pos {
			t.Errorf("acknowledged %v as %+v, after the crash it is %+v", k, a, res)
		}
	}
	// Each worker had at most one command in flight when it was killed;
	// the log shows how far each got (0 records: not claimed, 1: claimed,
	// 2: completed but unacknowledged).
	var stages []int
	for w := range crashWorkers {
		agg, cmd := crashCommand(w, next[w])
		stages = append(stages, len(readStream(t, st, ledger.IdempotencyStream(cmd.IdempotencyKey))))
		if _, err := ledger.Handle(ctx, svc, agg, cmd, addTwo); err != nil {
			t.Fatalf("retry of in-flight w%d-%d: %v", w, next[w], err)
		}
	}

	t.Logf("in-flight commands at the kill had %v idempotency records", stages)

	perKey := map[string][]uint64{}
	for _, stream := range []string{"counter-0", "counter-1"} {
		for _, ev := range readStream(t, st, stream) {
			k := ev.Metadata.IdempotencyKey
			perKey[stream+"/"+k] = append(perKey[stream+"/"+k], ev.Version)
		}
	}
	if want := len(acked) + crashWorkers; len(perKey) != want {
		t.Errorf("%d commands in the log, want %d (acknowledged + in flight)", len(perKey), want)
	}
	for k, versions := range perKey {
		if len(versions) != 2 || versions[1] != versions[0]+1 || strings.HasSuffix(k, "/") {
			t.Errorf("command %s has events at versions %v, want one contiguous pair", k, versions)
		}
	}
}
