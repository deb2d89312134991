package projections

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sync"
)

// SnapshotFile is the name of the runner's snapshot in its data directory.
const SnapshotFile = "projections.json"

// snapshotFormat is the layout saveSnapshot writes.
//
// Format 1 was one JSON object {"format":1,"checkpoint":…,"models":{name:
// state}}: reading it meant scanning every model's bytes twice, once for
// the object and once for the model, which on a large ledger took longer
// than decoding the models. Format 2 is a header line naming the format,
// a JSON line with the checkpoint and each model's name and length, then
// the models' bytes one after another, so each model is read straight
// from its slice of the file, and all of them at once. Format 1 files are
// still read.
const snapshotFormat = 2

// snapshotMagic starts a format 2 file.
const snapshotMagic = "fundledger-projections 2\n"

// snapshotV1 is the persisted state of a runner in format 1.
type snapshotV1 struct {
	Format     int                        `json:"format"`
	Checkpoint uint64                     `json:"checkpoint"`
	Models     map[string]json.RawMessage `json:"models"`
}

// snapshotHeader is format 2's second line.
type snapshotHeader struct {
	Checkpoint uint64        `json:"checkpoint"`
	Models     []modelHeader `json:"models"`
}

type modelHeader struct {
	Name  string `json:"name"`
	Bytes int    `json:"bytes"`
}

// loadSnapshot restores projs from the snapshot at path and returns its
// checkpoint. A missing file, or one that lacks one of projs, leaves projs
// as they are (empty) and returns checkpoint 0.
func loadSnapshot(path string, projs []Projection) (uint64, error) {
	data, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return 0, nil
	}
	if err != nil {
		return 0, fmt.Errorf("projections: read snapshot: %w", err)
	}
	cp, models, err := parseSnapshot(data)
	if err != nil {
		return 0, fmt.Errorf("projections: snapshot %s: %w", path, err)
	}
	for _, p := range projs {
		if _, ok := models[p.Name()]; !ok {
			return 0, nil
		}
	}
	// Each projection restores its own model; they share nothing.
	errs := make([]error, len(projs))
	var wg sync.WaitGroup
	for i, p := range projs {
		wg.Go(func() {
			if err := p.UnmarshalState(models[p.Name()]); err != nil {
				errs[i] = fmt.Errorf("projections: restore %s: %w", p.Name(), err)
			}
		})
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		return 0, err
	}
	return cp, nil
}

// parseSnapshot returns a snapshot's checkpoint and its models by name.
func parseSnapshot(data []byte) (uint64, map[string][]byte, error) {
	if rest, ok := bytes.CutPrefix(data, []byte(snapshotMagic)); ok {
		line, body, ok := bytes.Cut(rest, []byte("\n"))
		if !ok {
			return 0, nil, errors.New("no header")
		}
		var h snapshotHeader
		if err := json.Unmarshal(line, &h); err != nil {
			return 0, nil, fmt.Errorf("header: %w", err)
		}
		models := make(map[string][]byte, len(h.Models))
		for _, m := range h.Models {
			if m.Bytes < 0 || m.Bytes > len(body) {
				return 0, nil, fmt.Errorf("model %s: %d bytes, %d left in the file", m.Name, m.Bytes, len(body))
			}
			models[m.Name], body = body[:m.Bytes], body[m.Bytes:]
		}
		if len(body) != 0 {
			return 0, nil, fmt.Errorf("%d bytes after the last model", len(body))
		}
		return h.Checkpoint, models, nil
	}
	var s snapshotV1
	if err := json.Unmarshal(data, &s); err != nil {
		return 0, nil, err
	}
	if s.Format != 1 {
		return 0, nil, fmt.Errorf("format %d, this build reads 1 and %d", s.Format, snapshotFormat)
	}
	models := make(map[string][]byte, len(s.Models))
	for name, m := range s.Models {
		models[name] = m
	}
	return s.Checkpoint, models, nil
}

// marshalModels returns each projection's state, marshalled at once.
func marshalModels(projs []Projection) ([][]byte, error) {
	out := make([][]byte, len(projs))
	errs := make([]error, len(projs))
	var wg sync.WaitGroup
	for i, p := range projs {
		wg.Go(func() {
			if out[i], errs[i] = p.MarshalState(); errs[i] != nil {
				errs[i] = fmt.Errorf("projections: marshal %s: %w", p.Name(), errs[i])
			}
		})
	}
	wg.Wait()
	return out, errors.Join(errs...)
}

// saveSnapshot replaces the snapshot at path atomically with the models
// of projs at checkpoint cp: it writes a temporary file, syncs it, renames
// it over the old one and syncs the directory, so after a crash the file
// is either wholly old or wholly new.
func saveSnapshot(path string, cp uint64, projs []Projection, models [][]byte) error {
	h := snapshotHeader{Checkpoint: cp}
	for i, p := range projs {
		h.Models = append(h.Models, modelHeader{Name: p.Name(), Bytes: len(models[i])})
	}
	header, err := json.Marshal(h)
	if err != nil {
		return fmt.Errorf("projections: encode snapshot: %w", err)
	}
	tmp := path + ".tmp"
	f, err := os.OpenFile(tmp, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o600)
	if err != nil {
		return fmt.Errorf("projections: write snapshot: %w", err)
	}
	w := bufio.NewWriterSize(f, 1<<20)
	parts := append([][]byte{[]byte(snapshotMagic), header, []byte("\n")}, models...)
	for _, part := range parts {
		if _, err = w.Write(part); err != nil {
			break
		}
	}
	if err == nil {
		err = w.Flush()
	}
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
	return syncDir(filepath.Dir(path))
}

// syncDir makes a rename in dir durable.
func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return fmt.Errorf("projections: sync snapshot directory: %w", err)
	}
	err = d.Sync()
	if cerr := d.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("projections: sync snapshot directory: %w", err)
	}
	return nil
}
