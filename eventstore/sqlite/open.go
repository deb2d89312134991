package sqlite

import (
	"errors"
	"fmt"
	"io/fs"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"sync"
	"time"

	"github.com/mattn/go-sqlite3"

	"github.com/haixi-hrss/fundledger/eventstore"
)

// Store is the embedded event store. It implements eventstore.Store.
type Store struct {
	clock    func() time.Time
	maxBatch int
	pace     time.Duration // see pace.go
	// queuedAtCommit says requests were waiting when the last commit
	// ended; only the writer goroutine uses it.
	queuedAtCommit bool

	// mu guards closed. Append and the reads hold it shared while they use
	// the queue or a connection, so Close (exclusive) knows when they are
	// done.
	mu     sync.RWMutex
	closed bool

	queue      chan *request
	quit       chan struct{} // closed by Close: the writer drains and stops
	writerDone chan struct{}
	done       chan struct{} // closed by Close: subscriptions end
	commits    signal

	w       *writer
	ckpt    *checkpointer
	readers *readerPool
	// tail answers reads of what was committed last (see tail.go); nil
	// in a ReadOnlyStore.
	tail                  *tail
	tailEvents, tailBytes int
}

var _ eventstore.Store = (*Store)(nil)

// Option configures Open.
type Option func(*Store)

// WithClock sets the clock the writer reads RecordedAt from (default
// time.Now). Tests use it to step time; the store still truncates to
// microseconds and never lets the time decrease.
func WithClock(now func() time.Time) Option { return func(s *Store) { s.clock = now } }

// WithMaxBatch bounds how many events one group commit takes (default
// DefaultMaxBatch). A single request larger than n is still committed, alone.
func WithMaxBatch(n int) Option {
	return func(s *Store) {
		if n > 0 {
			s.maxBatch = n
		}
	}
}

// DefaultMaxBatch is the default bound on events per group commit: large
// enough to amortise the fsync over many writers, small enough to keep one
// transaction's WAL frames to a few megabytes.
const DefaultMaxBatch = 2048

// Open opens the ledger in dir, creating the directory and an empty ledger
// if needed. It refuses, with an error matching
// eventstore.ErrIncompatibleFormat, a file written in another format, and
// never modifies such a file.
func Open(dir string, opts ...Option) (*Store, error) {
	s := &Store{
		clock:      time.Now,
		maxBatch:   DefaultMaxBatch,
		tailEvents: defaultTailEvents,
		tailBytes:  defaultTailBytes,
		queue:      make(chan *request, 1024),
		quit:       make(chan struct{}),
		writerDone: make(chan struct{}),
		done:       make(chan struct{}),
	}
	for _, o := range opts {
		o(s)
	}
	if err := os.MkdirAll(dir, 0o750); err != nil {
		return nil, fmt.Errorf("eventstore/sqlite: %w", err)
	}
	path, err := filepath.Abs(filepath.Join(dir, FileName))
	if err != nil {
		return nil, fmt.Errorf("eventstore/sqlite: %w", err)
	}
	vfs, err := writeVFS()
	if err != nil {
		return nil, fmt.Errorf("eventstore/sqlite: %w", err)
	}
	c, err := openWriteConn(path, vfs)
	if err != nil {
		return nil, fmt.Errorf("eventstore/sqlite: open %s: %w", path, err)
	}
	w, err := newWriter(c, s.clock)
	if err != nil {
		c.Close()
		return nil, fmt.Errorf("eventstore/sqlite: open %s: %w", path, err)
	}
	s.w = w
	kc, err := openConn(dsn(path, withVFS(vfs, url.Values{
		"mode":          {"rw"},
		"_busy_timeout": {strconv.Itoa(busyTimeoutMS)},
		"_mutex":        {"no"},
		"_synchronous":  {"FULL"},
	})))
	if err != nil {
		w.close()
		c.Close()
		return nil, fmt.Errorf("eventstore/sqlite: open %s: %w", path, err)
	}
	s.ckpt = newCheckpointer(kc)
	readDSN := dsn(path, url.Values{
		"mode":          {"ro"},
		"_busy_timeout": {strconv.Itoa(busyTimeoutMS)},
		"_mutex":        {"no"},
	})
	watch, err := openWALWatch(readDSN)
	if err != nil {
		kc.Close()
		w.close()
		c.Close()
		return nil, fmt.Errorf("eventstore/sqlite: open %s: %w", path, err)
	}
	s.tail = newTail(watch, s.tailEvents, s.tailBytes)
	w.tail = s.tail
	s.readers = newReaderPool(readDSN)
	s.commits.init()
	go s.write()
	go s.ckpt.run(s.quit)
	return s, nil
}

// withVFS adds SQLite's vfs parameter to params unless vfs is "" (the
// default VFS).
func withVFS(vfs string, params url.Values) url.Values {
	if vfs != "" {
		params.Set("vfs", vfs)
	}
	return params
}

// openWriteConn opens the write connection with the VFS vfs, checks the
// format before anything can write to the file, and creates the schema in
// an empty one.
func openWriteConn(path, vfs string) (*sqlite3.SQLiteConn, error) {
	mode := "rw"
	if _, err := os.Stat(path); errors.Is(err, fs.ErrNotExist) {
		mode = "rwc"
	}
	c, err := openConn(dsn(path, withVFS(vfs, url.Values{
		"mode":          {mode},
		"_busy_timeout": {strconv.Itoa(busyTimeoutMS)},
		"_txlock":       {"immediate"},
		"_mutex":        {"no"},
	})))
	var se sqlite3.Error
	if errors.As(err, &se) && se.Code == sqlite3.ErrNotADB {
		return nil, fmt.Errorf("%w: %s is not a SQLite database: %v", eventstore.ErrIncompatibleFormat, FileName, err)
	}
	if err != nil {
		return nil, err
	}
	fresh, err := checkFormat(c)
	if err == nil {
		err = configure(c, fresh)
	}
	if err != nil {
		c.Close()
		return nil, err
	}
	return c, nil
}

// writerCacheKiB is the write connection's page cache, 8 MiB (2,048 pages
// of 4 KiB): enough for the stream index of a ledger of a few hundred
// thousand events, which appends write at random places. Not larger: when
// an insert splits a B-tree page, SQLite renumbers pages through a
// temporary page number far past the end of the file, and the commit then
// scans the cache's whole hash table to drop it: with 64 MiB (16,384
// pages) that was a quarter to a third of the CPU time of a 64-writer commit
// (docs/perf-store-round4.md).
const writerCacheKiB = 8192

// configure sets the durability settings and, in an empty file, creates
// the schema in one transaction (a crash leaves either nothing or all).
func configure(c *sqlite3.SQLiteConn, fresh bool) error {
	steps := []string{
		"PRAGMA journal_mode = WAL",
		"PRAGMA synchronous = FULL",
		// See writerCacheKiB.
		fmt.Sprintf("PRAGMA cache_size = -%d", writerCacheKiB),
		fmt.Sprintf("PRAGMA wal_autocheckpoint = %d", walBackstopPages),
	}
	if fresh {
		steps = append(steps,
			"BEGIN IMMEDIATE",
			schemaV2,
			fmt.Sprintf("PRAGMA application_id = %d", ApplicationID),
			fmt.Sprintf("PRAGMA user_version = %d", FormatVersion),
			"COMMIT")
	}
	for _, q := range steps {
		if err := execSQL(c, q); err != nil {
			return err
		}
	}
	return nil
}
