//go:build !linux

package storebench

import "os"

// datasync flushes f to the device; fdatasync is Linux-only, fsync is the
// portable equivalent.
func datasync(f *os.File) error { return f.Sync() }
