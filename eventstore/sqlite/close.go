package sqlite

import (
	"errors"
	"fmt"

	"github.com/haixi-hrss/fundledger/eventstore"
)

// Close stops accepting calls, lets the writer commit what is already
// queued, ends subscriptions with ErrClosed, checkpoints the WAL into the
// database file (TRUNCATE) and closes every connection. A closed ledger is
// the single file FileName. Calls after Close, Close included, return
// eventstore.ErrClosed.
func (s *Store) Close() error {
	// Taking the lock waits for Appends that are queueing and for reads in
	// progress; after it nothing new starts.
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return eventstore.ErrClosed
	}
	s.closed = true
	s.mu.Unlock()

	close(s.quit)
	<-s.writerDone
	<-s.ckpt.stopped
	close(s.done)
	s.readers.close()
	s.tail.watch.close()
	s.ckpt.c.Close()

	var errs []error
	if err := execSQL(s.w.c, "PRAGMA wal_checkpoint(TRUNCATE)"); err != nil {
		errs = append(errs, fmt.Errorf("checkpoint: %w", err))
	}
	s.w.close()
	if err := s.w.c.Close(); err != nil {
		errs = append(errs, err)
	}
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("eventstore/sqlite: close: %w", err)
	}
	return nil
}
