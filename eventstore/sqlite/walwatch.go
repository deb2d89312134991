package sqlite

/*
#include <stdlib.h>

// The few declarations of SQLite's public ABI (sqlite3.h) this file needs;
// the struct layouts and the file-control code are part of its stable
// interface.
typedef struct sqlite3 sqlite3;
typedef struct sqlite3_file sqlite3_file;
typedef struct {
	int iVersion;
	void *v1[12]; // xClose ... xDeviceCharacteristics
	int (*xShmMap)(sqlite3_file *, int region, int size, int extend, void volatile **p);
} fl_io_methods;
struct sqlite3_file {
	const fl_io_methods *pMethods;
};
extern int sqlite3_open_v2(const char *filename, sqlite3 **db, int flags, const char *vfs);
extern int sqlite3_close_v2(sqlite3 *db);
extern int sqlite3_busy_timeout(sqlite3 *db, int ms);
extern int sqlite3_exec(sqlite3 *db, const char *sql, void *callback, void *arg, char **errmsg);
extern int sqlite3_file_control(sqlite3 *db, const char *name, int op, void *arg);

enum {
	FLW_OK = 0, FLW_ERROR = 1,
	FLW_OPEN_READONLY = 0x1, FLW_OPEN_URI = 0x40, FLW_OPEN_NOMUTEX = 0x8000,
	FLW_FCNTL_FILE_POINTER = 7,
	FLW_REGION = 32768, // a wal-index region (WALINDEX_PGSZ)
};

// fl_watch_open opens a read-only connection, reads through it once so
// that it maps the wal-index (the FileName-shm file), and returns the
// address of the wal-index's first region, where the header is. The
// region stays mapped while the connection is open.
static int fl_watch_open(const char *uri, int busy_ms, sqlite3 **db, void volatile **hdr) {
	*hdr = 0;
	int rc = sqlite3_open_v2(uri, db, FLW_OPEN_READONLY | FLW_OPEN_URI | FLW_OPEN_NOMUTEX, 0);
	if (rc == FLW_OK) rc = sqlite3_busy_timeout(*db, busy_ms);
	if (rc == FLW_OK) rc = sqlite3_exec(*db, "PRAGMA mmap_size = 0; SELECT max(position) FROM events", 0, 0, 0);
	sqlite3_file *f = 0;
	if (rc == FLW_OK) rc = sqlite3_file_control(*db, "main", FLW_FCNTL_FILE_POINTER, &f);
	if (rc != FLW_OK) return rc;
	if (!f || !f->pMethods || f->pMethods->iVersion < 2 || !f->pMethods->xShmMap) return FLW_ERROR;
	rc = f->pMethods->xShmMap(f, 0, FLW_REGION, 0, hdr);
	if (rc == FLW_OK && !*hdr) rc = FLW_ERROR;
	return rc;
}
*/
import "C"

import (
	"fmt"
	"sync/atomic"
	"unsafe"
)

// walHeader is SQLite's wal-index header (WalIndexHdr, 48 bytes), the
// first thing in FileName-shm. Every commit by any connection of any
// process rewrites it, and with it its change counter (iChange) and its
// frame count, so an unchanged header means that nothing was committed in
// between. SQLite's readers look at it to decide whether their cache is
// still good; the tail looks at it to decide whether what it remembers is
// still the whole story.
type walHeader [12]uint32

// walWatch watches the wal-index header through SQLite's own mapping of
// it, held by a read-only connection of its own.
type walWatch struct {
	db  *C.sqlite3
	hdr unsafe.Pointer // two copies of the header, back to back
}

func openWALWatch(dsn string) (*walWatch, error) {
	uri := C.CString(dsn)
	defer C.free(unsafe.Pointer(uri))
	w := &walWatch{}
	var hdr unsafe.Pointer
	rc := C.fl_watch_open(uri, busyTimeoutMS, &w.db, (*unsafe.Pointer)(unsafe.Pointer(&hdr)))
	if rc != C.FLW_OK {
		C.sqlite3_close_v2(w.db)
		return nil, fmt.Errorf("eventstore/sqlite: map the wal-index: sqlite error %d", int(rc))
	}
	w.hdr = hdr
	return w, nil
}

// header returns the header, and false if it is being rewritten: SQLite
// writes its second copy first and its first copy last, so two equal
// copies are a header no commit is halfway through.
func (w *walWatch) header() (walHeader, bool) {
	words := (*[2 * len(walHeader{})]uint32)(w.hdr)
	var a, b walHeader
	for i := range a {
		a[i] = atomic.LoadUint32(&words[i])
	}
	for i := range b {
		b[i] = atomic.LoadUint32(&words[len(a)+i])
	}
	return a, a == b
}

func (w *walWatch) close() {
	C.sqlite3_close_v2(w.db)
	w.db, w.hdr = nil, nil
}
