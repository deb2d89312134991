package sqlite

/*
int fl_register(const char *name);
unsigned long fl_datasync_count(void);
*/
import "C"

import (
	"fmt"
	"sync"
)

// SQLite syncs with fdatasync when built with HAVE_FDATASYNC, as its own
// Linux builds are, but github.com/mattn/go-sqlite3 compiles it without, so
// every commit's sync is an fsync. On ext4 the WAL's modification time
// changes with every commit, so an fsync also writes the inode, a second
// synchronous device write for most commits (counted over one
// `fundledger bench store`: 5,461 inode writes for 6,920 fsyncs; 21 with
// this VFS), which fdatasync skips: it still writes everything needed to read the
// data back (contents, and the size when it grew). datasync_linux.c
// registers a VFS, datasyncVFS, that is SQLite's "unix" VFS with only the
// sync of the database and WAL files replaced; the connections that write
// use it. A file's first sync still goes through the unix VFS, which also
// syncs the directory of a file it has just created.
const datasyncVFS = "fundledger-unix-fdatasync"

var (
	datasyncOnce sync.Once
	datasyncErr  error
	// datasyncName is handed to C once and never freed: SQLite keeps the
	// pointer for as long as the VFS is registered.
	datasyncName = C.CString(datasyncVFS)
)

// writeVFS registers datasyncVFS on first use and returns its name.
func writeVFS() (string, error) {
	datasyncOnce.Do(func() {
		if rc := C.fl_register(datasyncName); rc != 0 {
			datasyncErr = fmt.Errorf("register SQLite VFS %s: code %d", datasyncVFS, rc)
		}
	})
	return datasyncVFS, datasyncErr
}

// datasyncs is how many syncs the VFS has made with fdatasync.
func datasyncs() uint64 { return uint64(C.fl_datasync_count()) }
