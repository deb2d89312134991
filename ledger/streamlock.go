package ledger

import (
	"context"
	"sync"
)

// streamLocks serialises this process's writers of one stream at a time,
// such as the budget movements of many claims on one county line: without
// it they would race each other to the store's expected-version check and
// some would run out of attempts. Writers of different streams never wait
// for each other. Other processes are still kept apart by that check.
type streamLocks struct {
	mu    sync.Mutex
	locks map[string]*streamLock
}

type streamLock struct {
	held  chan struct{} // a token in the channel means held
	users int           // holders and waiters; the lock is dropped at 0
}

// lock waits until the caller alone holds stream's lock, or ctx ends; on
// success the caller must call the returned unlock once.
func (l *streamLocks) lock(ctx context.Context, stream string) (unlock func(), err error) {
	l.mu.Lock()
	if l.locks == nil {
		l.locks = make(map[string]*streamLock)
	}
	sl, ok := l.locks[stream]
	if !ok {
		sl = &streamLock{held: make(chan struct{}, 1)}
		l.locks[stream] = sl
	}
	sl.users++
	l.mu.Unlock()

	select {
	case sl.held <- struct{}{}:
		return func() {
			<-sl.held
			l.leave(stream, sl)
		}, nil
	case <-ctx.Done():
		l.leave(stream, sl)
		return nil, ctx.Err()
	}
}

func (l *streamLocks) leave(stream string, sl *streamLock) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if sl.users--; sl.users == 0 {
		delete(l.locks, stream)
	}
}
