package projections_test

import (
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strconv"
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
	"github.com/haixi-hrss/fundledger/ledger/codec"
	"github.com/haixi-hrss/fundledger/projections"
)

const (
	crashDirEnv = "FUNDLEDGER_PROJECTIONS_CRASH_DIR"
	// crashRoundsEnv sets how many times TestKillDuringSaves kills its
	// child, for a longer soak than the default.
	crashRoundsEnv = "FUNDLEDGER_PROJECTIONS_CRASH_ROUNDS"
)

// crashProjections are the models the killed child keeps: the trail makes
// the snapshot large enough that writing it takes a while.
func crashProjections() []projections.Projection {
	return []projections.Projection{projections.NewBudgets(), projections.NewTrail()}
}

// TestCrashChild is the process TestKillDuringSaves kills: it resumes from
// the snapshot, then appends transfers and catches up over and over, each
// catch-up saving a snapshot. It reports on stdout when each save starts
// and when it has finished (see childSaves).
func TestCrashChild(t *testing.T) {
	dir := os.Getenv(crashDirEnv)
	if dir == "" {
		t.Skip("run only as TestKillDuringSaves's child")
	}
	ctx := context.Background()
	c := newCodec(t)
	st, err := sqlite.Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	r, err := projections.NewRunner(st, c, dir, crashProjections()...)
	if err != nil {
		t.Fatal(err)
	}
	projections.AroundSnapshotWrite(r, func(cp uint64, write func() error) error {
		fmt.Printf("%s %d\n", saveStarted, cp)
		start := time.Now()
		if err := write(); err != nil {
			return err
		}
		fmt.Printf("%s %d %d\n", saveFinished, cp, time.Since(start))
		return nil
	})
	if _, err := r.CatchUp(ctx); err != nil {
		t.Fatal(err)
	}
	for i := 0; ; i++ {
		evs := transferEvents(t, c, fmt.Sprintf("p%d-%d", os.Getpid(), i), 50+i%5*40)
		if _, err := st.Append(ctx, fund.Stream(fundID), eventstore.Any, evs...); err != nil {
			t.Fatal(err)
		}
		if _, err := r.CatchUp(ctx); err != nil {
			t.Fatal(err)
		}
	}
}

// transferEvents encodes n transfers into the fund, their documents named
// after prefix, each carrying an actor so the trail records it.
func transferEvents(t testing.TB, c *codec.Codec, prefix string, n int) []eventstore.EventData {
	t.Helper()
	out := make([]eventstore.EventData, 0, n)
	for i := range n {
		ev := &fund.TransferReceived{Document: fmt.Sprintf("%s-%d", prefix, i), Amount: money.MustParse(fmt.Sprintf("%d.%02d", i+1, i%100)),
			Source: "s", Actor: "a", Role: role.Administrator, At: at}
		typ, ver, data, err := c.Encode(ev)
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, eventstore.EventData{ID: uuid.New(), Type: typ, SchemaVersion: ver, Data: data,
			Metadata: eventstore.Metadata{Actor: "a", Role: string(role.Administrator)}})
	}
	return out
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

// TestKillDuringSaves kills (kill -9) a process that keeps appending to
// the log and saving snapshots, once it has saved at least one, and most
// rounds while a later save is being written. After each kill the
// snapshot must load, hold the last save that finished (or the one under
// way, if it got as far as the rename, never a temporary file), its
// checkpoint must not be past the log's head, its models must be exactly
// those of the log up to that checkpoint, and catching up from it must
// give the models of a full rebuild.
func TestKillDuringSaves(t *testing.T) {
	rounds := 16
	if s := os.Getenv(crashRoundsEnv); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n < 1 {
			t.Fatalf("%s=%q: want a positive number of rounds", crashRoundsEnv, s)
		}
		rounds = n
	}
	w := newWorld(t)
	appendTransfers(w, 5, 100)
	if err := w.store.Close(); err != nil {
		t.Fatal(err)
	}
	rng := rand.New(rand.NewPCG(uint64(time.Now().UnixNano()), 4))
	tmpPath := filepath.Join(w.dir, projections.SnapshotFile+".tmp")
	var midSave, tmpLeft int
	for round := range rounds {
		// One round in eight kills at any moment after the first save, the
		// others aim at a save under way.
		k := killChild(t, w.dir, round%8 != 7, rng)
		_, err := os.Stat(tmpPath)
		tmp := err == nil
		head, cp := checkAfterKill(t, w, round, k, tmp)
		if k.inFlight {
			midSave++
		}
		if tmp {
			tmpLeft++
		}
		t.Logf("round %d: %d saves finished, killed %s; snapshot at %d, log head %d, temp file left: %v",
			round, k.finished, k.when(), cp, head, tmp)
	}
	t.Logf("%d rounds, %d killed while a save was under way, %d left a temporary file", rounds, midSave, tmpLeft)
	if midSave == 0 {
		t.Fatalf("no round killed the child while a save was under way: the test proved nothing about torn snapshots")
	}
}
