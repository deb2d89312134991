package sqlite

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"iter"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"time"

	"github.com/mattn/go-sqlite3"

	"github.com/haixi-hrss/fundledger/eventstore"
)

// ErrReadOnly matches every *ReadOnlyError.
var ErrReadOnly = errors.New("eventstore/sqlite: ledger opened read-only")

// ErrChangedWhileReading is returned by a read of a ReadOnlyStore that
// opened a closed ledger (see OpenReadOnly) when the database file changed
// after it was opened: a writer has since checkpointed into it, so what
// the read saw may mix two states. Opening again reads safely beside that
// writer.
var ErrChangedWhileReading = errors.New("eventstore/sqlite: the ledger file changed while it was open read-only")

// ReadOnlyError is Append's refusal on a ReadOnlyStore. Nothing is written.
type ReadOnlyError struct {
	// Stream is the stream the refused append was for.
	Stream string
	// Path is the database file the store reads.
	Path string
}

func (e *ReadOnlyError) Error() string {
	return fmt.Sprintf("eventstore/sqlite: cannot append to stream %q: %s is open read-only", e.Stream, e.Path)
}

// Is makes errors.Is(err, ErrReadOnly) true.
func (e *ReadOnlyError) Is(target error) bool { return target == ErrReadOnly }

// ReadOnlyPollInterval is how often a caught-up Subscribe on a ReadOnlyStore
// looks for events another process committed: a read-only store has no
// writer whose commit signal it could wait for.
const ReadOnlyPollInterval = 100 * time.Millisecond

// ReadOnlyStore reads a ledger without ever writing to it. It implements
// eventstore.Store; Append returns a *ReadOnlyError.
type ReadOnlyStore struct {
	path string
	// inner supplies the read path of Store: its reader pool, its lock
	// and its closed flag. It has no writer and no checkpointer.
	inner *Store
	// opened is the database file as it was when a closed ledger was
	// opened (nil when a writer's WAL was there): every read checks the
	// file is still that one.
	opened fs.FileInfo
	done   chan struct{} // closed by Close: subscriptions end
}

var _ eventstore.Store = (*ReadOnlyStore)(nil)

// OpenReadOnly opens the ledger in dir for reading only. It never creates
// or modifies a file: the directory and FileName must exist (a missing
// file gives an error matching fs.ErrNotExist, an empty or foreign one
// eventstore.ErrIncompatibleFormat), no writer goroutine is started, and
// every connection is opened with mode=ro.
//
// How it reads depends on what it finds:
//
//   - FileName-wal and FileName-shm exist: a writer has the ledger open
//     (or crashed with commits still in the WAL). The connections share
//     SQLite's WAL index with it (immutable=0), so each read sees a
//     committed prefix of the log, new commits included, and never blocks
//     the writer.
//   - Neither exists (or the WAL is empty): the ledger is closed and
//     FileName holds every commit. SQLite would create the WAL files even
//     for a mode=ro connection, so the file is read as immutable instead,
//     and every read then checks that the file has not changed since it
//     was opened; if a writer has checkpointed into it meanwhile, the read
//     fails with ErrChangedWhileReading rather than return a torn view.
//
// A non-empty FileName-wal without FileName-shm holds commits that only a
// writer can recover; OpenReadOnly refuses it. The choice is made once, by
// looking at the files: a writer that closes in the instant between that
// look and the first connection leaves SQLite to create the WAL files
// again, and they stay until the next writer opens the ledger.
func OpenReadOnly(dir string) (*ReadOnlyStore, error) {
	path, err := filepath.Abs(filepath.Join(dir, FileName))
	if err != nil {
		return nil, fmt.Errorf("eventstore/sqlite: %w", err)
	}
	info, err := os.Stat(path)
	switch {
	case err != nil:
		return nil, fmt.Errorf("eventstore/sqlite: open %s read-only: %w", path, err)
	case !info.Mode().IsRegular():
		return nil, fmt.Errorf("%w: %s is not a regular file", eventstore.ErrIncompatibleFormat, path)
	case info.Size() == 0:
		return nil, fmt.Errorf("%w: %s is empty, not a ledger", eventstore.ErrIncompatibleFormat, path)
	}
	shared, err := writerPresent(path)
	if err != nil {
		return nil, err
	}
	params := url.Values{
		"mode":          {"ro"},
		"_busy_timeout": {strconv.Itoa(busyTimeoutMS)},
		"_mutex":        {"no"},
	}
	s := &ReadOnlyStore{path: path, done: make(chan struct{})}
	if shared {
		params.Set("immutable", "0")
	} else {
		params.Set("immutable", "1")
		s.opened = info
	}
	name := dsn(path, params)
	if err := checkReadable(name); err != nil {
		return nil, fmt.Errorf("eventstore/sqlite: open %s read-only: %w", path, err)
	}
	s.inner = &Store{readers: newReaderPool(name)}
	if err := s.unchanged(); err != nil {
		s.inner.readers.close()
		return nil, err
	}
	return s, nil
}

// writerPresent reports whether the WAL files of path exist, so that a
// read-only connection can use them without creating any.
func writerPresent(path string) (bool, error) {
	wal, walErr := os.Stat(path + "-wal")
	_, shmErr := os.Stat(path + "-shm")
	for _, err := range []error{walErr, shmErr} {
		if err != nil && !errors.Is(err, fs.ErrNotExist) {
			return false, fmt.Errorf("eventstore/sqlite: open %s read-only: %w", path, err)
		}
	}
	switch {
	case walErr == nil && shmErr == nil:
		return true, nil
	case walErr == nil && wal.Size() > 0:
		return false, fmt.Errorf("eventstore/sqlite: open %s read-only: %s-wal holds commits but %s-shm is missing; open the ledger for writing once to recover them",
			path, FileName, FileName)
	}
	return false, nil
}

// checkReadable opens one connection and checks the file is a ledger in
// this build's format.
func checkReadable(name string) error {
	c, err := openConn(name)
	var se sqlite3.Error
	if errors.As(err, &se) && se.Code == sqlite3.ErrNotADB {
		return fmt.Errorf("%w: %s is not a SQLite database: %v", eventstore.ErrIncompatibleFormat, FileName, err)
	}
	if err != nil {
		return err
	}
	defer c.Close()
	fresh, err := checkFormat(c)
	if err != nil {
		return err
	}
	if fresh {
		return fmt.Errorf("%w: %s holds no ledger", eventstore.ErrIncompatibleFormat, FileName)
	}
	return nil
}

// unchanged checks that a closed ledger's file is still the one opened.
func (s *ReadOnlyStore) unchanged() error {
	if s.opened == nil {
		return nil
	}
	now, err := os.Stat(s.path)
	if err != nil {
		return fmt.Errorf("%w: %s: %v", ErrChangedWhileReading, s.path, err)
	}
	if !os.SameFile(now, s.opened) || now.Size() != s.opened.Size() || !now.ModTime().Equal(s.opened.ModTime()) {
		return fmt.Errorf("%w: %s (size %d, modified %s when opened; now size %d, modified %s)", ErrChangedWhileReading, s.path,
			s.opened.Size(), s.opened.ModTime().Format(time.RFC3339Nano), now.Size(), now.ModTime().Format(time.RFC3339Nano))
	}
	return nil
}

// checked returns a read's result, or ErrChangedWhileReading if the file
// changed under it.
func (s *ReadOnlyStore) checked(events []eventstore.Event, err error) ([]eventstore.Event, error) {
	if err != nil {
		return nil, err
	}
	if err := s.unchanged(); err != nil {
		return nil, err
	}
	return events, nil
}

// Append implements eventstore.Store: it always returns a *ReadOnlyError
// and writes nothing.
func (s *ReadOnlyStore) Append(_ context.Context, stream string, _ eventstore.ExpectedVersion, _ ...eventstore.EventData) (eventstore.AppendResult, error) {
	return eventstore.AppendResult{}, &ReadOnlyError{Stream: stream, Path: s.path}
}

// ReadStream implements eventstore.Store.
func (s *ReadOnlyStore) ReadStream(ctx context.Context, stream string, from uint64, limit int) ([]eventstore.Event, error) {
	return s.checked(s.inner.ReadStream(ctx, stream, from, limit))
}

// ReadStreamBackward implements eventstore.Store.
func (s *ReadOnlyStore) ReadStreamBackward(ctx context.Context, stream string, n int) ([]eventstore.Event, error) {
	return s.checked(s.inner.ReadStreamBackward(ctx, stream, n))
}

// ReadAll implements eventstore.Store.
func (s *ReadOnlyStore) ReadAll(ctx context.Context, after uint64, limit int) ([]eventstore.Event, error) {
	return s.checked(s.inner.ReadAll(ctx, after, limit))
}

// Subscribe implements eventstore.Store. It pages through ReadAll and, once
// caught up, looks again every ReadOnlyPollInterval. Reading after the
// last delivered position means no event is delivered twice, and each page
// is a committed prefix, so none is missed. It ends with ErrClosed when the
// store is closed.
func (s *ReadOnlyStore) Subscribe(ctx context.Context, after uint64) iter.Seq2[eventstore.Event, error] {
	return func(yield func(eventstore.Event, error) bool) {
		for {
			page, err := s.ReadAll(ctx, after, subscribePage)
			if err != nil {
				if ctx.Err() != nil {
					err = ctx.Err() // the port promises ctx.Err() itself
				}
				yield(eventstore.Event{}, err)
				return
			}
			for _, e := range page {
				if !yield(e, nil) {
					return
				}
				after = e.Position
			}
			if len(page) > 0 {
				continue
			}
			t := time.NewTimer(ReadOnlyPollInterval)
			select {
			case <-t.C:
			case <-ctx.Done():
				t.Stop()
				yield(eventstore.Event{}, ctx.Err())
				return
			case <-s.done:
				t.Stop()
				yield(eventstore.Event{}, eventstore.ErrClosed)
				return
			}
		}
	}
}

// Close waits for reads in progress, ends subscriptions with ErrClosed and
// closes every connection. It writes nothing: no checkpoint, no WAL file
// removed. Calls after Close, Close included, return eventstore.ErrClosed.
func (s *ReadOnlyStore) Close() error {
	s.inner.mu.Lock()
	if s.inner.closed {
		s.inner.mu.Unlock()
		return eventstore.ErrClosed
	}
	s.inner.closed = true
	s.inner.mu.Unlock()
	close(s.done)
	s.inner.readers.close()
	return nil
}
