package projections

// UnsavedEvents is how many events r has applied since its last save or
// restore: what liveSaveDue weighs against liveSaveEvents.
func UnsavedEvents(r *Runner) uint64 { return r.events.Load() - r.lastSaved.Load() }
