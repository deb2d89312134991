package projections

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
)

// SnapshotFile is the name of the runner's snapshot in its data directory.
const SnapshotFile = "projections.json"

// snapshotFormat is bumped when the file's layout changes.
const snapshotFormat = 1

// snapshot is the persisted state of a runner: every read model and the
// checkpoint they are valid at, in one file so they cannot disagree.
type snapshot struct {
	Format     int                        `json:"format"`
	Checkpoint uint64                     `json:"checkpoint"`
	Models     map[string]json.RawMessage `json:"models"`
}

// loadSnapshot reads the snapshot at path; a missing file is an empty
// snapshot at checkpoint 0.
func loadSnapshot(path string) (snapshot, error) {
	data, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return snapshot{Format: snapshotFormat}, nil
	}
	if err != nil {
		return snapshot{}, fmt.Errorf("projections: read snapshot: %w", err)
	}
	var s snapshot
	if err := json.Unmarshal(data, &s); err != nil {
		return snapshot{}, fmt.Errorf("projections: snapshot %s: %w", path, err)
	}
	if s.Format != snapshotFormat {
		return snapshot{}, fmt.Errorf("projections: snapshot %s has format %d, this build reads %d", path, s.Format, snapshotFormat)
	}
	return s, nil
}

// saveSnapshot replaces the snapshot at path atomically: it writes a
// temporary file, syncs it, renames it over the old one and syncs the
// directory, so after a crash the file is either wholly old or wholly new.
func saveSnapshot(path string, s snapshot) error {
	data, err := json.Marshal(s)
	if err != nil {
		return fmt.Errorf("projections: encode snapshot: %w", err)
	}
	tmp := path + ".tmp"
	f, err := os.OpenFile(tmp, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o600)
	if err != nil {
		return fmt.Errorf("projections: write snapshot: %w", err)
	}
	_, err = f.Write(data)
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("projections: write snapshot: %w", err)
	}
	if err := os.Rename(tmp, path); err != nil {
		return fmt.Errorf("projections: replace snapshot: %w", err)
	}
	// The rename is durable only once the directory entry is synced.
	dir, err := os.Open(filepath.Dir(path))
	if err != nil {
		return fmt.Errorf("projections: sync snapshot directory: %w", err)
	}
	err = dir.Sync()
	if cerr := dir.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("projections: sync snapshot directory: %w", err)
	}
	return nil
}
