package projections

// BeforeSnapshotWrite makes r call before ahead of writing each snapshot,
// after the models were copied, so a test can hold a save in the middle.
func BeforeSnapshotWrite(r *Runner, before func()) {
	write := r.writeSnapshot
	r.writeSnapshot = func(path string, cp uint64, projs []Projection, models [][]byte) error {
		before()
		return write(path, cp, projs, models)
	}
}
