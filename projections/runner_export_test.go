package projections

import "context"

// UnsavedEvents is how many events r has applied since its last save or
// restore: what liveSaveDue weighs against liveSaveEvents.
func UnsavedEvents(r *Runner) uint64 { return r.events.Load() - r.lastSaved.Load() }

// SaveForRelayout saves r's models as Run does, returning the checkpoint
// and the states it wrote.
func SaveForRelayout(r *Runner) (uint64, [][]byte, error) { return r.saveAt(false) }

// Relayout renews r's Relayers from models saved at cp, as Run does after
// a save.
func Relayout(ctx context.Context, r *Runner, cp uint64, models [][]byte) error {
	return r.relayout(ctx, cp, models)
}

// Records identifies the records a Relayer holds, which Adopt replaces.
func Records(p Projection) any {
	switch m := p.(type) {
	case *Claims:
		return m.claims
	case *Trail:
		return m.claims
	case *Anomalies:
		return m.claims
	case *Performance:
		return m.s.Claims
	}
	return nil
}

// SetLiveSaveEvents makes r's Run save (and renew its models) once n
// events have been applied since its last save, in place of
// liveSaveEvents.
func SetLiveSaveEvents(r *Runner, n uint64) { r.saveEvents = n }

// PauseRelayouts makes r's relayouts call fn between their passes without
// the lock and the one with it.
func PauseRelayouts(r *Runner, fn func()) { r.paused = fn }

// ClaimsIndex returns c's query index, nil when it is not built.
func ClaimsIndex(c *Claims) any {
	if x := c.idx.Load(); x != nil {
		return x
	}
	return nil
}
