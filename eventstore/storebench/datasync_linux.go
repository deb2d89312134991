package storebench

import (
	"os"
	"syscall"
)

// datasync flushes f's data (and the size it grew to) to the device.
func datasync(f *os.File) error { return syscall.Fdatasync(int(f.Fd())) }
