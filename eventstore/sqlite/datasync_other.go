//go:build !linux

package sqlite

// writeVFS names the VFS of the connections that write: on systems other
// than Linux, SQLite's default (see datasync_linux.go).
func writeVFS() (string, error) { return "", nil }
