package ledger

// QueuedOps counts the commands waiting for stream's next combined
// append, for tests that must know a batch will hold them all.
func QueuedOps(s *Service, stream string) int {
	s.ops.mu.Lock()
	defer s.ops.mu.Unlock()
	return len(s.ops.waiting[stream])
}
