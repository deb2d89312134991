package projections_test

import (
	"encoding/json"
	"os"
	"path/filepath"
	"testing"

	"github.com/haixi-hrss/fundledger/projections"
)

// TestFormatOneSnapshotStillLoads: a snapshot written in format 1 (one
// JSON object) by an earlier build restores as it was saved.
func TestFormatOneSnapshotStillLoads(t *testing.T) {
	w := newWorld(t)
	w.phaseOne()
	b := projections.NewBudgets()
	pr, err := w.runner(b).CatchUp(w.ctx)
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
	if err := os.WriteFile(filepath.Join(w.dir, projections.SnapshotFile), v1, 0o600); err != nil {
		t.Fatal(err)
	}
	again := projections.NewBudgets()
	if r := w.runner(again); r.Checkpoint() != pr.Position {
		t.Errorf("format 1 snapshot restored at %d, want %d", r.Checkpoint(), pr.Position)
	}
	mustEqual(t, "saved and restored from format 1", b, again)
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
