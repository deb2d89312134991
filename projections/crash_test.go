package projections_test

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"os/exec"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/haixi-hrss/fundledger/domain"
	"github.com/haixi-hrss/fundledger/domain/fund"
	"github.com/haixi-hrss/fundledger/domain/money"
	"github.com/haixi-hrss/fundledger/domain/programme"
	"github.com/haixi-hrss/fundledger/domain/region"
	"github.com/haixi-hrss/fundledger/domain/role"
	"github.com/haixi-hrss/fundledger/eventstore"
	"github.com/haixi-hrss/fundledger/eventstore/sqlite"
	"github.com/haixi-hrss/fundledger/projections"
)

const crashDirEnv = "FUNDLEDGER_PROJECTIONS_CRASH_DIR"

// TestCrashChild is the process TestKillDuringSaves kills: it rebuilds the
// models over and over, each rebuild saving several snapshots.
func TestCrashChild(t *testing.T) {
	dir := os.Getenv(crashDirEnv)
	if dir == "" {
		t.Skip("run only as TestKillDuringSaves's child")
	}
	st, err := sqlite.Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	r, err := projections.NewRunner(st, newCodec(t), dir, projections.NewBudgets())
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; ; i++ {
		if _, err := r.Rebuild(context.Background(), nil); err != nil {
			t.Fatal(err)
		}
		if i == 0 {
			fmt.Println("ready")
		}
	}
}

// appendTransfers opens the fund and receives transfers into it: appends
// appends of size events each, the first event being FundOpened.
func appendTransfers(w *world, appends, size int) {
	w.t.Helper()
	events := []domain.Event{&fund.Opened{FundID: fundID, Name: "f", FiscalYear: 2025, Kind: programme.EmploymentSubsidy,
		Level: fund.Prefecture, Region: region.Haixi, Actor: "a", Role: role.Administrator, At: at}}
	for i := 1; i < appends*size; i++ {
		events = append(events, &fund.TransferReceived{Document: fmt.Sprintf("d-%d", i), Amount: money.MustParse(fmt.Sprintf("%d.%02d", i, i%100)),
			Source: "s", Actor: "a", Role: role.Administrator, At: at})
	}
	for len(events) > 0 {
		var batch []eventstore.EventData
		for _, ev := range events[:size] {
			typ, ver, data, err := w.codec.Encode(ev)
			if err != nil {
				w.t.Fatal(err)
			}
			batch = append(batch, eventstore.EventData{ID: uuid.New(), Type: typ, SchemaVersion: ver, Data: data})
		}
		if _, err := w.store.Append(w.ctx, fund.Stream(fundID), eventstore.Any, batch...); err != nil {
			w.t.Fatal(err)
		}
		events = events[size:]
	}
}

// TestKillDuringSaves kills a process in the middle of saving snapshots
// (kill -9) and checks that what is on disk always loads and always holds
// exactly the models of the log prefix up to its own checkpoint.
func TestKillDuringSaves(t *testing.T) {
	w := newWorld(t)
	// 25 appends of 100 events: the runner's 1,000-event batches end on
	// append boundaries, so each checkpoint is an as-of instant.
	appendTransfers(w, 25, 100)
	log := w.log(0)
	if err := w.store.Close(); err != nil {
		t.Fatal(err)
	}

	for round := range 6 {
		cmd := exec.Command(os.Args[0], "-test.run=^TestCrashChild$", "-test.count=1")
		cmd.Env = append(os.Environ(), crashDirEnv+"="+w.dir)
		out, err := cmd.StdoutPipe()
		if err != nil {
			t.Fatal(err)
		}
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		if line, err := bufio.NewReader(out).ReadString('\n'); err != nil || line != "ready\n" {
			cmd.Process.Kill()
			cmd.Wait()
			t.Fatalf("child said %q, %v", line, err)
		}
		time.Sleep(time.Duration(3+round*11) * time.Millisecond)
		if err := cmd.Process.Kill(); err != nil {
			t.Fatal(err)
		}
		cmd.Wait()

		st, err := sqlite.Open(w.dir)
		if err != nil {
			t.Fatal(err)
		}
		got := projections.NewBudgets()
		r, err := projections.NewRunner(st, w.codec, w.dir, got)
		if err != nil {
			st.Close()
			t.Fatalf("round %d: the snapshot does not load after kill -9: %v", round, err)
		}
		want := projections.NewBudgets()
		if cp := r.Checkpoint(); cp > 0 {
			i := 0
			for log[i].Position != cp {
				i++
			}
			pr, err := projections.AsOf(w.ctx, st, w.codec, log[i].RecordedAt, want)
			if err != nil || pr.Position != cp {
				st.Close()
				t.Fatalf("round %d: as-of the checkpoint %d read up to %d: %v", round, cp, pr.Position, err)
			}
		}
		t.Logf("round %d: killed at checkpoint %d", round, r.Checkpoint())
		st.Close()
		mustEqual(t, "saved models and the prefix up to their checkpoint", got, want)
	}
}
