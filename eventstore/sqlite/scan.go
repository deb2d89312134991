package sqlite

/*
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

// The few SQLite calls the scanner makes, declared here rather than
// through a header: the library is the one github.com/mattn/go-sqlite3
// compiles into the program (or links, with its libsqlite3 tag), and these
// are its stable C API.
typedef struct sqlite3 sqlite3;
typedef struct sqlite3_stmt sqlite3_stmt;
extern int sqlite3_open_v2(const char *filename, sqlite3 **db, int flags, const char *vfs);
extern int sqlite3_close_v2(sqlite3 *db);
extern int sqlite3_busy_timeout(sqlite3 *db, int ms);
extern int sqlite3_exec(sqlite3 *db, const char *sql, void *callback, void *arg, char **errmsg);
extern int sqlite3_prepare_v2(sqlite3 *db, const char *sql, int n, sqlite3_stmt **stmt, const char **tail);
extern int sqlite3_bind_int64(sqlite3_stmt *stmt, int i, long long v);
extern int sqlite3_step(sqlite3_stmt *stmt);
extern int sqlite3_reset(sqlite3_stmt *stmt);
extern int sqlite3_finalize(sqlite3_stmt *stmt);
extern long long sqlite3_column_int64(sqlite3_stmt *stmt, int col);
extern const void *sqlite3_column_blob(sqlite3_stmt *stmt, int col);
extern const unsigned char *sqlite3_column_text(sqlite3_stmt *stmt, int col);
extern int sqlite3_column_bytes(sqlite3_stmt *stmt, int col);
extern const char *sqlite3_errmsg(sqlite3 *db);

enum {
	FL_OK = 0, FL_NOMEM = 7, FL_ROW = 100, FL_DONE = 101,
	FL_OPEN_READONLY = 0x1, FL_OPEN_URI = 0x40, FL_OPEN_NOMUTEX = 0x8000,
	FL_INTS = 4,   // position, version, schema_version, recorded_at
	FL_BYTES = 13, // data, then the 12 text columns
};

// fl_scan is one read-only connection with the log's scan prepared, and
// the buffer the rows of one call are copied into.
typedef struct {
	sqlite3 *db;
	sqlite3_stmt *stmt;
	unsigned char *buf;
	size_t cap, len;
} fl_scan;

static int fl_open(fl_scan *s, const char *uri, int busy_ms, const char *setup, const char *query) {
	int rc = sqlite3_open_v2(uri, &s->db, FL_OPEN_READONLY | FL_OPEN_URI | FL_OPEN_NOMUTEX, 0);
	if (rc == FL_OK) rc = sqlite3_busy_timeout(s->db, busy_ms);
	if (rc == FL_OK) rc = sqlite3_exec(s->db, setup, 0, 0, 0);
	if (rc == FL_OK) rc = sqlite3_prepare_v2(s->db, query, -1, &s->stmt, 0);
	return rc;
}

static void fl_close(fl_scan *s) {
	sqlite3_finalize(s->stmt);
	sqlite3_close_v2(s->db);
	free(s->buf);
	s->stmt = 0, s->db = 0, s->buf = 0, s->cap = s->len = 0;
}

// fl_read runs the scan for at most limit rows after position after and
// copies each row into s->buf as FL_INTS 8-byte integers, FL_BYTES 4-byte
// lengths and the bytes back to back, all in the machine's byte order. It
// returns FL_DONE when every row was read, and always resets the
// statement, so no read transaction outlives the call.
static int fl_read(fl_scan *s, long long after, long long limit, long long *rows) {
	int rc = FL_OK;
	s->len = 0;
	*rows = 0;
	sqlite3_bind_int64(s->stmt, 1, after);
	sqlite3_bind_int64(s->stmt, 2, limit);
	while ((rc = sqlite3_step(s->stmt)) == FL_ROW) {
		const void *p[FL_BYTES];
		uint32_t n[FL_BYTES];
		size_t need = FL_INTS * 8 + sizeof n;
		for (int i = 0; i < FL_BYTES; i++) {
			// The pointer first, then its length, as SQLite asks.
			p[i] = i == 0 ? sqlite3_column_blob(s->stmt, FL_INTS + i) : (const void *)sqlite3_column_text(s->stmt, FL_INTS + i);
			n[i] = (uint32_t)sqlite3_column_bytes(s->stmt, FL_INTS + i);
			need += n[i];
		}
		if (s->len + need > s->cap) {
			size_t cap = 2 * s->cap;
			if (cap < s->len + need) cap = s->len + need + (1 << 20);
			unsigned char *grown = realloc(s->buf, cap);
			if (!grown) {
				rc = FL_NOMEM;
				break;
			}
			s->buf = grown, s->cap = cap;
		}
		unsigned char *w = s->buf + s->len;
		for (int i = 0; i < FL_INTS; i++) {
			long long v = sqlite3_column_int64(s->stmt, i);
			memcpy(w, &v, 8);
			w += 8;
		}
		memcpy(w, n, sizeof n);
		w += sizeof n;
		for (int i = 0; i < FL_BYTES; i++) {
			if (n[i]) memcpy(w, p[i], n[i]);
			w += n[i];
		}
		s->len += need;
		(*rows)++;
	}
	int reset = sqlite3_reset(s->stmt);
	if (rc == FL_DONE && reset != FL_OK) rc = reset;
	return rc;
}
*/
import "C"

import (
	"context"
	"encoding/binary"
	"fmt"
	"strconv"
	"unsafe"

	"github.com/haixi-hrss/fundledger/eventstore"
)

// scanColumns are what the scanner selects, in the order fl_read copies
// them: the integers, the data, then the texts in decodeEvent's order.
const scanColumns = `position, version, schema_version, recorded_at, data,
	stream, event_id, type, actor, role, correlation_id, causation_id, idempotency_key,
	effective_date, policy_version, prev_hash, hash`

// scanChunk bounds the rows one call copies, so a read of the whole log
// holds a few megabytes of C memory, not the log.
const scanChunk = 4096

// scanner reads the global log for ReadAll. It is a read-only connection
// of its own, driven from C: one call steps through up to scanChunk rows
// and copies them into one buffer, where the driver makes a call per row
// and allocates and boxes each column, and the packed form of
// eventColumns has SQLite format every row with printf. A scan of the log
// then costs about half the CPU. Like a reader, it is used by one
// goroutine at a time.
type scanner struct {
	s   C.fl_scan
	dsn string
	// rows counts the rows read since the connection was opened, for
	// recycling (see scanRecycle).
	rows int64
}

// scanRecycle is how many rows a scanner reads before its connection is
// closed and another opened in its place. The pages of the database a
// connection has read through its memory map stay in the process's
// resident set until it closes, so a scanner that read a whole 600 MB
// log would hold 600 MB; one that is recycled holds a few tens of them,
// for the cost of an open every 64k rows.
const scanRecycle = 1 << 16

// openScanner opens a scanner on the database named by the SQLite URI
// dsn, the readers' own.
func openScanner(dsn string) (*scanner, error) {
	sc := &scanner{dsn: dsn}
	if err := sc.open(); err != nil {
		return nil, err
	}
	return sc, nil
}

func (sc *scanner) open() error {
	uri := C.CString(sc.dsn)
	defer C.free(unsafe.Pointer(uri))
	setup := C.CString("PRAGMA mmap_size = " + strconv.Itoa(mmapSize) + "; PRAGMA query_only = 1")
	defer C.free(unsafe.Pointer(setup))
	query := C.CString("SELECT " + scanColumns + " FROM events WHERE position > ?1 ORDER BY position LIMIT ?2")
	defer C.free(unsafe.Pointer(query))
	sc.rows = 0
	if rc := C.fl_open(&sc.s, uri, busyTimeoutMS, setup, query); rc != C.FL_OK {
		err := sc.err(rc)
		C.fl_close(&sc.s)
		return fmt.Errorf("eventstore/sqlite: open a scan: %w", err)
	}
	return nil
}

func (sc *scanner) close() { C.fl_close(&sc.s) }

// err describes SQLite's result code rc.
func (sc *scanner) err(rc C.int) error {
	msg := "out of memory"
	if sc.s.db != nil {
		msg = C.GoString(C.sqlite3_errmsg(sc.s.db))
	}
	return fmt.Errorf("sqlite error %d: %s", int(rc), msg)
}

// read appends to dst the events after position after, at most limit of
// them (none when limit is 0, every one when it is negative), checking
// ctx between chunks.
func (sc *scanner) read(ctx context.Context, dst []eventstore.Event, after int64, limit int64) ([]eventstore.Event, error) {
	for limit != 0 {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		n := int64(scanChunk)
		if limit > 0 {
			n = min(n, limit)
		}
		var rows C.longlong
		if rc := C.fl_read(&sc.s, C.longlong(after), C.longlong(n), &rows); rc != C.FL_DONE {
			return nil, fmt.Errorf("eventstore/sqlite: read: %w", sc.err(rc))
		}
		var err error
		buf := unsafe.Slice((*byte)(unsafe.Pointer(sc.s.buf)), int(sc.s.len))
		if dst, err = decodeRows(dst, buf, int(rows)); err != nil {
			return nil, err
		}
		sc.rows += int64(rows)
		if sc.rows >= scanRecycle {
			C.fl_close(&sc.s)
			if err := sc.open(); err != nil {
				return nil, err
			}
		}
		if int64(rows) < n {
			break // the log ends here
		}
		after = int64(dst[len(dst)-1].Position)
		if limit > 0 {
			limit -= n
		}
	}
	return dst, nil
}

// scanHeader is the size of a row's integers and lengths in the buffer.
const scanHeader = 8*packedInts + 4*(1+packedTexts)

// decodeRows appends to dst the rows fl_read copied into buf. Each
// event's data and texts are copied out of buf into memory of their own,
// the texts into one string that they share, as the packed form's did.
func decodeRows(dst []eventstore.Event, buf []byte, rows int) ([]eventstore.Event, error) {
	ne := binary.NativeEndian
	for range rows {
		if len(buf) < scanHeader {
			return nil, fmt.Errorf("eventstore/sqlite: read: a scanned row is cut short")
		}
		var nums [packedInts]int64
		for i := range nums {
			nums[i] = int64(ne.Uint64(buf[8*i:]))
		}
		var lens [1 + packedTexts]int
		total := 0
		for i := range lens {
			lens[i] = int(ne.Uint32(buf[8*packedInts+4*i:]))
			total += lens[i]
		}
		body := buf[scanHeader:]
		if total > len(body) {
			return nil, fmt.Errorf("eventstore/sqlite: read: a scanned row is cut short")
		}
		buf = body[total:]
		dst = append(dst, eventstore.Event{})
		e := &dst[len(dst)-1]
		e.Data = append(make([]byte, 0, lens[0]), body[:lens[0]]...)
		var texts [packedTexts]string
		if packed := string(body[lens[0]:total]); packed != "" {
			for i, n := range lens[1:] {
				texts[i], packed = packed[:n], packed[n:]
			}
		}
		if err := fillEvent(e, nums, texts); err != nil {
			return nil, err
		}
	}
	return dst, nil
}
