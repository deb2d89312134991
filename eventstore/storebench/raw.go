package storebench

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"time"
)

// rawSingle appends each record to a file and syncs it before the next:
// the ceiling for one writer that waits for durability.
func rawSingle(ctx context.Context, dir string, w *workload) ([]Result, error) {
	recs := records(w.single)
	f, err := os.OpenFile(filepath.Join(dir, "raw-single.log"), os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	start := time.Now()
	for _, rec := range recs {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		if _, err := f.Write(rec); err != nil {
			return nil, err
		}
		if err := datasync(f); err != nil {
			return nil, err
		}
	}
	return []Result{{Name: RawSingle, Events: len(recs), Elapsed: time.Since(start)}}, nil
}

// rawGrouped runs the concurrent writers against a file whose one syncing
// goroutine writes every record waiting at that moment with one write and
// one fdatasync, then acknowledges them: group commit with nothing else.
func rawGrouped(ctx context.Context, dir string, w *workload) ([]Result, error) {
	recs := records(w.grouped)
	f, err := os.OpenFile(filepath.Join(dir, "raw-grouped.log"), os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600)
	if err != nil {
		return nil, err
	}
	defer f.Close()

	type req struct {
		rec  []byte
		done chan error
	}
	queue := make(chan req, w.opts.Writers)
	stop := make(chan struct{})
	var syncer sync.WaitGroup
	syncer.Go(func() {
		var buf []byte
		var batch []req
		for {
			select {
			case r := <-queue:
				batch = append(batch[:0], r)
			case <-stop:
				return
			}
		drain:
			for {
				select {
				case r := <-queue:
					batch = append(batch, r)
				default:
					break drain
				}
			}
			buf = buf[:0]
			for _, r := range batch {
				buf = append(buf, r.rec...)
			}
			_, err := f.Write(buf)
			if err == nil {
				err = datasync(f)
			}
			for _, r := range batch {
				r.done <- err
			}
		}
	})
	defer func() { close(stop); syncer.Wait() }()

	start := time.Now()
	err = forEachWriter(ctx, w.opts.Writers, len(recs), func(i int, done chan error) error {
		queue <- req{recs[i], done}
		return <-done
	})
	if err != nil {
		return nil, fmt.Errorf("raw grouped: %w", err)
	}
	return []Result{{Name: RawGrouped, Events: len(recs), Elapsed: time.Since(start)}}, nil
}

func records(items []item) [][]byte {
	recs := make([][]byte, len(items))
	for i := range items {
		recs[i] = items[i].record()
	}
	return recs
}

// forEachWriter runs n goroutines; writer k handles indexes k, k+n, ... of
// total, one at a time, and the first error stops them all.
func forEachWriter(ctx context.Context, n, total int, do func(i int, done chan error) error) error {
	ctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	var wg sync.WaitGroup
	for k := range n {
		wg.Go(func() {
			done := make(chan error, 1)
			for i := k; i < total; i += n {
				if ctx.Err() != nil {
					return
				}
				if err := do(i, done); err != nil {
					cancel(err)
					return
				}
			}
		})
	}
	wg.Wait()
	return context.Cause(ctx)
}
