package api

import "context"

// readViews brings the ledger's read models to the log head and calls fn
// while nothing is applied to them. Evaluator, batch and anomaly reads use
// it: they summarise the whole log, so they must not trail a command just
// acknowledged elsewhere.
func (s *server) readViews(ctx context.Context, fn func()) error {
	if err := s.syncHead(ctx, 0); err != nil {
		return err
	}
	s.l.Runner.Read(func(uint64) { fn() })
	return nil
}
