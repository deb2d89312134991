package projections

import (
	"testing"
	"time"
)

// TestLiveSaveDue: Run saves after SaveInterval while saves are quick, and
// waits liveSaveFactor times the last save's duration once they are slow,
// so copying the models stalls queries and Sync for a bounded share of
// the time.
func TestLiveSaveDue(t *testing.T) {
	slow := 200 * time.Millisecond
	tests := []struct {
		name     string
		lastSave time.Duration
		ago      time.Duration
		want     bool
	}{
		{"quick save, interval not over", time.Millisecond, SaveInterval / 2, false},
		{"quick save, interval over", time.Millisecond, SaveInterval + time.Millisecond, true},
		{"slow save, interval over, factor not", slow, SaveInterval + time.Millisecond, false},
		{"slow save, just short of the factor", slow, liveSaveFactor*slow - 100*time.Millisecond, false},
		{"slow save, factor over", slow, liveSaveFactor*slow + time.Millisecond, true},
		{"very slow save, under the cap", 4 * time.Second, maxLiveSaveGap - time.Second, false},
		{"very slow save, cap over", 4 * time.Second, maxLiveSaveGap + time.Millisecond, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var r Runner
			r.lastStats.Store(&SaveStats{Duration: tt.lastSave})
			if got := r.liveSaveDue(time.Now().Add(-tt.ago)); got != tt.want {
				t.Errorf("liveSaveDue after %s with last save %s = %v, want %v", tt.ago, tt.lastSave, got, tt.want)
			}
		})
	}
}
