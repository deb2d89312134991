package projbench

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/haixi-hrss/fundledger/eventstore/sqlite"
)

// MillionEmployers is the number of units whose ledger holds about
// 1,000,000 events (1,000,226 with this generator).
const MillionEmployers = 14_000

// generatorVersion names the generator's output in cache directories; it
// changes whenever the generator records anything differently, so a stale
// cached ledger is never measured as a new one.
const generatorVersion = "v1"

// summaryFile marks a finished ledger in its directory and holds its
// Summary.
const summaryFile = "projbench.json"

// CacheDir is where Cached keeps generated ledgers unless told otherwise:
// FUNDLEDGER_PROJBENCH_CACHE, or fundledger-projbench in the user's cache
// directory (the system temporary directory if there is none).
func CacheDir() string {
	if d := os.Getenv("FUNDLEDGER_PROJBENCH_CACHE"); d != "" {
		return d
	}
	if d, err := os.UserCacheDir(); err == nil {
		return filepath.Join(d, "fundledger-projbench")
	}
	return filepath.Join(os.TempDir(), "fundledger-projbench")
}

// Cached returns the directory of a generated embedded ledger of opts'
// size under cache (CacheDir when empty), generating it first when it is
// not there. A ledger is generated into a scratch directory and renamed
// into place only when complete, so an interrupted generation is never
// taken for a finished one. Measurements must only read it.
func Cached(ctx context.Context, cache string, opts Options) (string, Summary, error) {
	if cache == "" {
		cache = CacheDir()
	}
	dir := filepath.Join(cache, fmt.Sprintf("%s-%d", generatorVersion, opts.Employers))
	if sum, err := readSummary(dir); err == nil {
		return dir, sum, nil
	} else if !errors.Is(err, fs.ErrNotExist) {
		return "", Summary{}, err
	}
	scratch := dir + ".partial"
	if err := os.RemoveAll(scratch); err != nil {
		return "", Summary{}, fmt.Errorf("projbench: %w", err)
	}
	if err := os.MkdirAll(scratch, 0o750); err != nil {
		return "", Summary{}, fmt.Errorf("projbench: %w", err)
	}
	sum, err := generateInto(ctx, scratch, opts)
	if err != nil {
		return "", Summary{}, err
	}
	if err := os.RemoveAll(dir); err != nil {
		return "", Summary{}, fmt.Errorf("projbench: %w", err)
	}
	if err := os.Rename(scratch, dir); err != nil {
		return "", Summary{}, fmt.Errorf("projbench: %w", err)
	}
	return dir, sum, nil
}

func generateInto(ctx context.Context, dir string, opts Options) (Summary, error) {
	store, err := sqlite.Open(dir)
	if err != nil {
		return Summary{}, fmt.Errorf("projbench: %w", err)
	}
	sum, err := Generate(ctx, store, opts)
	if cerr := store.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return Summary{}, err
	}
	data, err := json.Marshal(sum)
	if err != nil {
		return Summary{}, fmt.Errorf("projbench: %w", err)
	}
	if err := os.WriteFile(filepath.Join(dir, summaryFile), data, 0o640); err != nil {
		return Summary{}, fmt.Errorf("projbench: %w", err)
	}
	return sum, nil
}

func readSummary(dir string) (Summary, error) {
	data, err := os.ReadFile(filepath.Join(dir, summaryFile))
	if err != nil {
		return Summary{}, err
	}
	var sum Summary
	if err := json.Unmarshal(data, &sum); err != nil {
		return Summary{}, fmt.Errorf("projbench: %s: %w", dir, err)
	}
	return sum, nil
}
