package projections

// AroundSnapshotWrite makes r call around in place of writing each
// snapshot, with the checkpoint being saved and the write itself, so a
// test can report when a save starts and when it has finished.
func AroundSnapshotWrite(r *Runner, around func(cp uint64, write func() error) error) {
	write := r.writeSnapshot
	r.writeSnapshot = func(path string, cp uint64, projs []Projection, models [][]byte) error {
		return around(cp, func() error { return write(path, cp, projs, models) })
	}
}
