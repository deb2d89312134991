package auth

import (
	"fmt"
	"os"
	"syscall"
)

// lock takes an exclusive flock on path+".lock". The kernel drops the lock
// when the process dies, so a killed CLI run never leaves a stale lock (the
// weakness of an O_EXCL lock file).
func lock(path string) (unlock func(), err error) {
	f, err := os.OpenFile(path+".lock", os.O_CREATE|os.O_RDWR, 0o600)
	if err != nil {
		return nil, fmt.Errorf("auth: lock file: %w", err)
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX); err != nil {
		f.Close()
		return nil, fmt.Errorf("auth: lock tokens: %w", err)
	}
	return func() {
		// Closing the descriptor releases the flock.
		f.Close()
	}, nil
}
