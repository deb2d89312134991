package sqlite

import (
	"testing"

	"github.com/google/uuid"
)

// TestAppendUUID: the writer's UUID text is uuid.UUID.String's, the form
// the event_id column holds and the readers parse.
func TestAppendUUID(t *testing.T) {
	for _, id := range []uuid.UUID{{}, uuid.New(), uuid.New(), uuid.Max} {
		if got := string(appendUUID([]byte("x"), id)); got != "x"+id.String() {
			t.Errorf("appendUUID(%s) = %q", id, got)
		}
	}
}
