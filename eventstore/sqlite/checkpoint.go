package sqlite

import (
	"time"

	"github.com/mattn/go-sqlite3"
)

// Checkpointing copies committed pages from the WAL into the database file.
// SQLite's automatic checkpoint runs inside the committing connection, so
// every few hundred appends one commit would also copy megabytes and fsync
// the database file while every queued caller waits. Instead a background
// goroutine with its own connection runs PASSIVE checkpoints, which never
// block the writer or the readers, at most every checkpointPause while
// commits come in. The writer keeps SQLite's automatic checkpoint with a
// high threshold (walBackstopPages) as a backstop: by then the background
// has copied almost everything, so it is cheap, and after it SQLite starts
// the WAL over from the beginning, which bounds its size under constant
// load.
const (
	checkpointPause  = 50 * time.Millisecond
	walBackstopPages = 16384
)

// checkpointer runs until quit is closed; then Close checkpoints for good.
type checkpointer struct {
	c       *sqlite3.SQLiteConn
	wake    chan struct{} // one pending wake-up is enough
	stopped chan struct{}
}

func newCheckpointer(c *sqlite3.SQLiteConn) *checkpointer {
	return &checkpointer{c: c, wake: make(chan struct{}, 1), stopped: make(chan struct{})}
}

// poke asks for a checkpoint soon; it never blocks the writer.
func (k *checkpointer) poke() {
	select {
	case k.wake <- struct{}{}:
	default:
	}
}

func (k *checkpointer) run(quit <-chan struct{}) {
	defer close(k.stopped)
	for {
		select {
		case <-k.wake:
		case <-quit:
			return
		}
		// A failed checkpoint loses nothing: the pages stay in the WAL and
		// the next checkpoint, or Close's, copies them.
		execSQL(k.c, "PRAGMA wal_checkpoint(PASSIVE)")
		select {
		case <-time.After(checkpointPause):
		case <-quit:
			return
		}
	}
}
