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

// snapshotFormat is the layout saveSnapshot writes: a header line naming
// the format, a JSON line with the checkpoint and each model's name and
// length, then the models' bytes one after another, so each model is read
// straight from its slice of the file, and all of them at once.
//
// Format 1 was one JSON object, format 2 this layout with every model's
// state in JSON. Format 3 lets a model keep a binary state (the trail's
// JSON was 260 MB on a million-event ledger and took seconds to write and
// read). A file in an earlier format is not read: the models are rebuilt
// from the log, as when there is no snapshot.
const snapshotFormat = 3

// snapshotMagic starts a format 3 file; snapshotPrefix any format's but 1.
const (
	snapshotPrefix = "fundledger-projections "
	snapshotMagic  = snapshotPrefix + "3\n"
)

// ErrSnapshotFormat matches a snapshot, or one model's state in it,
// written in a layout this build does not read: by an earlier release, or
// a later one. The runner then rebuilds the models from the log.
var ErrSnapshotFormat = errors.New("snapshot in a format this build does not read")

// snapshotHeader is the second line of the file.
type snapshotHeader struct {
	Checkpoint uint64        `json:"checkpoint"`
	Models     []modelHeader `json:"models"`
}

type modelHeader struct {
	Name  string `json:"name"`
	Bytes int    `json:"bytes"`
}

// loadSnapshot restores projs from the snapshot at path and returns its
// checkpoint. A missing file, one that lacks one of projs, or one in a
// format this build does not read (ErrSnapshotFormat, for the file or a
// model) leaves projs empty and returns checkpoint 0, so that they are
// rebuilt from the log; it then returns the refusal as refused.
func loadSnapshot(path string, projs []Projection) (cp uint64, refused, err error) {
	data, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return 0, nil, nil
	}
	if err != nil {
		return 0, nil, fmt.Errorf("projections: read snapshot: %w", err)
	}
	cp, models, err := parseSnapshot(data)
	if errors.Is(err, ErrSnapshotFormat) {
		return 0, fmt.Errorf("projections: snapshot %s: %w", path, err), nil
	}
	if err != nil {
		return 0, nil, fmt.Errorf("projections: snapshot %s: %w", path, err)
	}
	for _, p := range projs {
		if _, ok := models[p.Name()]; !ok {
			return 0, nil, nil
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
	err = errors.Join(errs...)
	if errors.Is(err, ErrSnapshotFormat) {
		for _, p := range projs {
			p.Reset()
		}
		return 0, fmt.Errorf("projections: snapshot %s: %w", path, err), nil
	}
	if err != nil {
		return 0, nil, err
	}
	return cp, nil, nil
}

// parseSnapshot returns a snapshot's checkpoint and its models by name.
func parseSnapshot(data []byte) (uint64, map[string][]byte, error) {
	rest, ok := bytes.CutPrefix(data, []byte(snapshotMagic))
	if !ok {
		if bytes.HasPrefix(data, []byte(snapshotPrefix)) || bytes.HasPrefix(data, []byte("{")) {
			return 0, nil, fmt.Errorf("%w: this build reads format %d", ErrSnapshotFormat, snapshotFormat)
		}
		return 0, nil, errors.New("not a snapshot of read models")
	}
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
