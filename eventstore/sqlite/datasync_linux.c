// A VFS that is SQLite's own "unix" VFS except that, after a file's first
// sync, it syncs the database and WAL files with fdatasync instead of fsync.
// See datasync_linux.go for why.

#include <errno.h>
#include <stddef.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

// The few declarations of SQLite's public ABI (sqlite3.h) this file needs;
// the struct layouts are part of SQLite's stable interface.
typedef long long sqlite3_int64;
typedef struct sqlite3_file sqlite3_file;
typedef struct sqlite3_io_methods sqlite3_io_methods;
typedef struct sqlite3_vfs sqlite3_vfs;
struct sqlite3_file {
	const sqlite3_io_methods *pMethods;
};
struct sqlite3_io_methods {
	int iVersion;
	int (*xClose)(sqlite3_file *);
	int (*xRead)(sqlite3_file *, void *, int, sqlite3_int64);
	int (*xWrite)(sqlite3_file *, const void *, int, sqlite3_int64);
	int (*xTruncate)(sqlite3_file *, sqlite3_int64);
	int (*xSync)(sqlite3_file *, int);
	void *rest[13]; // version 3 methods this file passes through unchanged
};
struct sqlite3_vfs {
	int iVersion;
	int szOsFile;
	int mxPathname;
	sqlite3_vfs *pNext;
	const char *zName;
	void *pAppData;
	int (*xOpen)(sqlite3_vfs *, const char *, sqlite3_file *, int, int *);
	void *rest[15]; // version 3 methods this file passes through unchanged
};
#define FL_SQLITE_OK 0
#define FL_SQLITE_IOERR_FSYNC (10 | (4 << 8))
#define FL_SQLITE_OPEN_MAIN_DB 0x00000100
#define FL_SQLITE_OPEN_WAL 0x00080000

// Defined by the SQLite that github.com/mattn/go-sqlite3 compiles into the
// program. Weak, so that this package's own cgo link step, which does not
// see that object, leaves them unresolved; the program's link resolves them.
extern sqlite3_vfs *sqlite3_vfs_find(const char *) __attribute__((weak));
extern int sqlite3_vfs_register(sqlite3_vfs *, int) __attribute__((weak));

// The state this VFS keeps after the unix VFS's own file object.
typedef struct {
	sqlite3_io_methods methods; // the file's methods, xSync replaced
	const sqlite3_io_methods *orig;
	int fd;
	int synced; // the first sync went through the unix VFS
} fl_extra;

static sqlite3_vfs fl_vfs;
static unsigned long fl_datasyncs; // counted for the tests
static sqlite3_vfs *fl_base;
static int fl_base_size; // the unix VFS's szOsFile, rounded up to 8

static fl_extra *fl_extra_of(sqlite3_file *f) {
	return (fl_extra *)((char *)f + fl_base_size);
}

static int fl_sync(sqlite3_file *f, int flags) {
	fl_extra *x = fl_extra_of(f);
	if (!x->synced) {
		// The unix VFS's sync also syncs the directory of a file it has
		// just created, once; let it do that.
		int rc = x->orig->xSync(f, flags);
		if (rc == FL_SQLITE_OK) {
			x->synced = 1;
		}
		return rc;
	}
	int rc;
	do {
		rc = fdatasync(x->fd);
	} while (rc != 0 && errno == EINTR);
	if (rc != 0) {
		return FL_SQLITE_IOERR_FSYNC;
	}
	__atomic_add_fetch(&fl_datasyncs, 1, __ATOMIC_RELAXED);
	return FL_SQLITE_OK;
}

unsigned long fl_datasync_count(void) {
	return __atomic_load_n(&fl_datasyncs, __ATOMIC_RELAXED);
}

// fl_fd returns the descriptor of a unix VFS file: unixFile's fourth field,
// after three pointers. It checks that the descriptor is the named file's.
static int fl_fd(sqlite3_file *f, const char *name) {
	int fd = *(int *)((char *)f + 3 * sizeof(void *));
	struct stat a, b;
	if (name == NULL || fd < 0 || fstat(fd, &a) != 0 || stat(name, &b) != 0) {
		return -1;
	}
	if (a.st_dev != b.st_dev || a.st_ino != b.st_ino) {
		return -1;
	}
	return fd;
}

static int fl_open(sqlite3_vfs *vfs, const char *name, sqlite3_file *f, int flags, int *outFlags) {
	(void)vfs;
	int rc = fl_base->xOpen(fl_base, name, f, flags, outFlags);
	if (rc != FL_SQLITE_OK || f->pMethods == NULL) {
		return rc;
	}
	if ((flags & (FL_SQLITE_OPEN_MAIN_DB | FL_SQLITE_OPEN_WAL)) == 0 || f->pMethods->iVersion < 3) {
		return rc;
	}
	int fd = fl_fd(f, name);
	if (fd < 0) {
		return rc; // not laid out as expected: keep the unix VFS's fsync
	}
	fl_extra *x = fl_extra_of(f);
	memcpy(&x->methods, f->pMethods, sizeof x->methods);
	x->methods.iVersion = 3;
	x->methods.xSync = fl_sync;
	x->orig = f->pMethods;
	x->fd = fd;
	x->synced = 0;
	f->pMethods = &x->methods;
	return rc;
}

// fl_register registers the VFS under name (a string that must outlive
// the program); it returns 0 on success. Call it once.
int fl_register(const char *name) {
	if (fl_base != NULL) {
		return 0;
	}
	if (sqlite3_vfs_find == NULL || sqlite3_vfs_register == NULL) {
		return -1;
	}
	sqlite3_vfs *base = sqlite3_vfs_find("unix");
	if (base == NULL || base->iVersion < 3) {
		return -2;
	}
	memcpy(&fl_vfs, base, sizeof fl_vfs);
	fl_vfs.iVersion = 3;
	fl_base_size = (base->szOsFile + 7) & ~7;
	fl_vfs.szOsFile = fl_base_size + (int)sizeof(fl_extra);
	fl_vfs.pNext = NULL;
	fl_vfs.zName = name;
	fl_vfs.xOpen = fl_open;
	fl_base = base;
	return sqlite3_vfs_register(&fl_vfs, 0);
}
