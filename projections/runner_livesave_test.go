package projections

import (
	"testing"
	"time"
)

// TestLiveSaveDue: Run saves once liveSaveEvents have been applied since
// the last save, no sooner than SaveInterval and liveSaveFactor times the
// last save's and relayout's duration, so copying the models takes a bounded share of
// the time and happens only when it spares a restart real replay; and
// after maxLiveSaveGap in any case.
func TestLiveSaveDue(t *testing.T) {
	slow := 200 * time.Millisecond
	tests := []struct {
		name     string
		lastSave time.Duration
		relayout time.Duration // of the relayout after the last save
		ago      time.Duration
		events   uint64
		want     bool
	}{
		{"quick save, interval over, few events", time.Millisecond, 0, SaveInterval + time.Millisecond, liveSaveEvents - 1, false},
		{"quick save, interval not over, enough events", time.Millisecond, 0, SaveInterval / 2, liveSaveEvents, false},
		{"quick save, interval over, enough events", time.Millisecond, 0, SaveInterval + time.Millisecond, liveSaveEvents, true},
		{"slow save, interval over, factor not", slow, 0, SaveInterval + time.Millisecond, 10 * liveSaveEvents, false},
		{"slow save, just short of the factor", slow, 0, liveSaveFactor*slow - 100*time.Millisecond, 10 * liveSaveEvents, false},
		{"slow save, factor over", slow, 0, liveSaveFactor*slow + time.Millisecond, liveSaveEvents, true},
		{"slow save, factor over, few events", slow, 0, liveSaveFactor*slow + time.Millisecond, liveSaveEvents / 2, false},
		{"few events, just short of the cap", time.Millisecond, 0, maxLiveSaveGap - time.Second, 1, false},
		{"few events, cap over", time.Millisecond, 0, maxLiveSaveGap + time.Millisecond, 1, true},
		{"very slow save, under the cap", 4 * time.Second, 0, maxLiveSaveGap - time.Second, 10 * liveSaveEvents, false},
		{"very slow save, cap over", 4 * time.Second, 0, maxLiveSaveGap + time.Millisecond, 1, true},
		{"slow save and relayout, factor over the save alone", slow, slow, liveSaveFactor*slow + time.Millisecond, liveSaveEvents, false},
		{"slow save and relayout, factor over both", slow, slow, 2*liveSaveFactor*slow + time.Millisecond, liveSaveEvents, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := Runner{saveEvents: liveSaveEvents}
			r.lastStats.Store(&SaveStats{Duration: tt.lastSave})
			if tt.relayout > 0 {
				r.lastRelayout.Store(&RelayoutStats{Restore: tt.relayout / 2, Hold: tt.relayout / 4, Duration: tt.relayout})
			}
			// Counted from a save taken after some events, as in a
			// running server.
			r.lastSaved.Store(1000)
			r.events.Store(1000 + tt.events)
			if got := r.liveSaveDue(time.Now().Add(-tt.ago)); got != tt.want {
				t.Errorf("liveSaveDue %s after the last save (which took %s), %d events since = %v, want %v",
					tt.ago, tt.lastSave, tt.events, got, tt.want)
			}
		})
	}
}
