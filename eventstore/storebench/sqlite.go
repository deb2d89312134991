package storebench

import (
	"context"
	"fmt"
	"path/filepath"
	"time"

	"github.com/haixi-hrss/fundledger/eventstore"
	"github.com/haixi-hrss/fundledger/eventstore/sqlite"
)

// sqliteRun measures the embedded store on one ledger: appends by one
// writer, then by the concurrent writers (one event per Append, expected
// version Any so that writers never conflict), then a full read of the
// global log it built.
func sqliteRun(ctx context.Context, dir string, w *workload) ([]Result, error) {
	s, err := sqlite.Open(filepath.Join(dir, "ledger"))
	if err != nil {
		return nil, err
	}
	defer s.Close()

	start := time.Now()
	for _, it := range w.single {
		if _, err := s.Append(ctx, it.stream, eventstore.Any, it.event); err != nil {
			return nil, fmt.Errorf("sqlite append: %w", err)
		}
	}
	single := Result{Name: SQLiteSingle, Events: len(w.single), Elapsed: time.Since(start)}

	start = time.Now()
	err = forEachWriter(ctx, w.opts.Writers, len(w.grouped), func(i int, _ chan error) error {
		it := &w.grouped[i]
		_, err := s.Append(ctx, it.stream, eventstore.Any, it.event)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("sqlite concurrent append: %w", err)
	}
	grouped := Result{Name: SQLiteGrouped, Events: len(w.grouped), Elapsed: time.Since(start)}

	read, err := readLog(ctx, s)
	if err != nil {
		return nil, err
	}
	if want := len(w.single) + len(w.grouped); read.Events != want {
		return nil, fmt.Errorf("read %d events from the log, wrote %d", read.Events, want)
	}
	return []Result{single, grouped, read}, nil
}

// readPage is how many events each ReadAll of the read measurement asks for.
const readPage = 1000

// readLog reads the whole global log, page by page, into eventstore.Event.
func readLog(ctx context.Context, s eventstore.Store) (Result, error) {
	start := time.Now()
	var after uint64
	n := 0
	for {
		page, err := s.ReadAll(ctx, after, readPage)
		if err != nil {
			return Result{}, fmt.Errorf("read log: %w", err)
		}
		if len(page) == 0 {
			return Result{Name: ReadLog, Events: n, Elapsed: time.Since(start)}, nil
		}
		n += len(page)
		after = page[len(page)-1].Position
	}
}
