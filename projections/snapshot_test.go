package projections_test

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"github.com/haixi-hrss/fundledger/projections"
)

// TestOutdatedSnapshotIsRebuilt: a snapshot written by an earlier
// release (format 1, one JSON object; format 2, every model in JSON) or a
// model state in a layout this build does not read is set aside with a
// refusal matching ErrSnapshotFormat, and the models are rebuilt from the
// log.
func TestOutdatedSnapshotIsRebuilt(t *testing.T) {
	w := newWorld(t)
	w.phaseOne()
	b, tr := projections.NewBudgets(), projections.NewTrail()
	pr, err := w.runner(b, tr).CatchUp(w.ctx)
	if err != nil {
		t.Fatal(err)
	}
	state, err := b.MarshalState()
	if err != nil {
		t.Fatal(err)
	}
	v1, err := json.Marshal(map[string]any{"format": 1, "checkpoint": pr.Position, "models": map[string]json.RawMessage{"budgets": state}})
	if err != nil {
		t.Fatal(err)
	}
	header := fmt.Sprintf(`{"checkpoint":%d,"models":[{"name":"budgets","bytes":%d},{"name":"trail","bytes":2}]}`, pr.Position, len(state))
	v2 := "fundledger-projections 2\n" + header + "\n" + string(state) + "{}"
	v3JSONTrail := "fundledger-projections 3\n" + header + "\n" + string(state) + "{}"
	for name, file := range map[string]string{"format 1": string(v1), "format 2": v2, "format 3 with a JSON trail": v3JSONTrail} {
		if err := os.WriteFile(filepath.Join(w.dir, projections.SnapshotFile), []byte(file), 0o600); err != nil {
			t.Fatal(err)
		}
		again, againTrail := projections.NewBudgets(), projections.NewTrail()
		r := w.runner(again, againTrail)
		if r.Checkpoint() != 0 || len(again.Lines()) != 0 || !errors.Is(r.Refused(), projections.ErrSnapshotFormat) {
			t.Errorf("%s: restored at %d with %d lines, refusal %v; want a fresh start refused for its format",
				name, r.Checkpoint(), len(again.Lines()), r.Refused())
		}
		if _, err := r.CatchUp(w.ctx); err != nil {
			t.Fatal(err)
		}
		mustEqual(t, name+": rebuilt budgets", b, again)
		mustEqual(t, name+": rebuilt trail", tr, againTrail)
		if r := w.runner(projections.NewBudgets(), projections.NewTrail()); r.Checkpoint() != pr.Position || r.Refused() != nil {
			t.Errorf("%s: after the rebuild the snapshot restores at %d (refusal %v), want %d", name, r.Checkpoint(), r.Refused(), pr.Position)
		}
	}
}

// TestDamagedSnapshotIsAnError: a snapshot cut short, or with bytes past
// its last model, is refused rather than restored in part.
func TestDamagedSnapshotIsAnError(t *testing.T) {
	w := newWorld(t)
	w.phaseOne()
	if _, err := w.runner(projections.NewBudgets(), projections.NewClaims()).CatchUp(w.ctx); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(w.dir, projections.SnapshotFile)
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	for name, damaged := range map[string][]byte{"cut short": data[:len(data)-3], "trailing bytes": append(data, "xyz"...)} {
		if err := os.WriteFile(path, damaged, 0o600); err != nil {
			t.Fatal(err)
		}
		if _, err := projections.NewRunner(w.store, w.codec, w.dir, projections.NewBudgets(), projections.NewClaims()); err == nil {
			t.Errorf("%s: the snapshot was restored", name)
		}
	}
}
