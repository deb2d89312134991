package sqlite

import (
	"context"
	"runtime"

	"github.com/mattn/go-sqlite3"
)

// reader is one read-only connection with its statements prepared, and
// the scanner ReadAll reads the log with, opened on its first use.
type reader struct {
	c                      *sqlite3.SQLiteConn
	stream, backward, head stmt
	scan                   *scanner
}

// mmapSize is how much of the database a scanner maps. Reading through a
// memory map instead of read(2) calls per page roughly halves the cost of
// a full scan of the log. The readers' connections, which make point reads
// of a few pages, map nothing: a read transaction that starts after a
// commit unmaps the whole map (munmap, and a TLB shootdown on every CPU),
// which cost more than the few read(2) calls it saves (docs/performance.md,
// API round 5).
const mmapSize = 1 << 30

// readerPool hands out read-only connections, opening up to max of them on
// demand. In WAL mode they read the last committed state without waiting
// for the writer.
type readerPool struct {
	dsn   string
	idle  chan *reader
	slots chan struct{} // one token per open connection
}

func newReaderPool(dsn string) *readerPool {
	n := max(4, 2*runtime.GOMAXPROCS(0))
	return &readerPool{dsn: dsn, idle: make(chan *reader, n), slots: make(chan struct{}, n)}
}

func (p *readerPool) get(ctx context.Context) (*reader, error) {
	select {
	case r := <-p.idle:
		return r, nil
	default:
	}
	select {
	case r := <-p.idle:
		return r, nil
	case p.slots <- struct{}{}:
		r, err := p.open()
		if err != nil {
			<-p.slots
		}
		return r, err
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

func (p *readerPool) put(r *reader) { p.idle <- r }

func (p *readerPool) open() (*reader, error) {
	c, err := openConn(p.dsn)
	if err != nil {
		return nil, err
	}
	if err := execSQL(c, "PRAGMA mmap_size = 0"); err != nil {
		c.Close()
		return nil, err
	}
	r := &reader{c: c}
	for _, q := range []struct {
		s     *stmt
		query string
	}{
		{&r.stream, "SELECT " + eventColumns + " FROM events WHERE stream_id = (SELECT id FROM streams WHERE name = ?) AND version >= ? ORDER BY version LIMIT ?"},
		{&r.backward, "SELECT " + eventColumns + " FROM events WHERE stream_id = (SELECT id FROM streams WHERE name = ?) ORDER BY version DESC LIMIT ?"},
		// A bare max of the rowid is one lookup at the end of its b-tree.
		{&r.head, "SELECT max(position) FROM events"},
	} {
		if *q.s, err = prepare(c, q.query); err != nil {
			r.close()
			return nil, err
		}
	}
	return r, nil
}

// scanner returns r's scanner, opening it on the database named dsn on
// the first call.
func (r *reader) scanner(dsn string) (*scanner, error) {
	if r.scan == nil {
		sc, err := openScanner(dsn)
		if err != nil {
			return nil, err
		}
		r.scan = sc
	}
	return r.scan, nil
}

func (r *reader) close() {
	if r.scan != nil {
		r.scan.close()
	}
	r.stream.close()
	r.backward.close()
	r.head.close()
	r.c.Close()
}

// close closes every connection. The caller guarantees none is in use.
func (p *readerPool) close() {
	for {
		select {
		case r := <-p.idle:
			r.close()
			<-p.slots
		default:
			return
		}
	}
}
