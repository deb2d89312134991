package sqlite

import (
	"testing"

	"github.com/haixi-hrss/fundledger/eventstore"
)

// TestCommitsSyncWithFdatasync checks that commits are made durable
// through the fdatasync VFS (datasync_linux.go): it fails if the write
// connection is opened with another VFS, or if the VFS cannot find a
// file's descriptor and falls back to fsync. Not parallel, so that no
// other store's commits are counted.
func TestCommitsSyncWithFdatasync(t *testing.T) {
	dir := t.TempDir()
	s := openStore(t, dir)
	// The WAL's first sync goes through the unix VFS (it also syncs the
	// directory); the commits after it use fdatasync.
	mustAppend(t, s, "thing-1", eventstore.NoStream, newEvent(0))
	before := datasyncs()
	const commits = 5
	for i := 1; i <= commits; i++ {
		mustAppend(t, s, "thing-1", eventstore.Exact(uint64(i-1)), newEvent(i))
	}
	if got := datasyncs() - before; got < commits {
		t.Fatalf("%d commits made %d fdatasyncs, want at least one each", commits, got)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}

	s = openStore(t, dir)
	log := readLog(t, s)
	if len(log) != commits+1 {
		t.Fatalf("reopened ledger holds %d events, want %d", len(log), commits+1)
	}
	verifyLog(t, log)
}
