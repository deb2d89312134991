package ledger

import (
	"strconv"
	"strings"
	"testing"

	"github.com/google/uuid"
)

// TestEventIDIsTheNameBasedUUID: EventID is uuid.NewSHA1 of the command
// ID, the quoted stream and the index, as the IDs already in the log were
// derived; a change would make retries of earlier commands unrecognised.
func TestEventIDIsTheNameBasedUUID(t *testing.T) {
	for _, stream := range []string{"claim-exp-1", "budget-f1-ui-expansion-632801-2025", `odd "stream" é`, strings.Repeat("x", 300)} {
		for _, index := range []int{0, 1, 12, 1 << 40} {
			cmd := uuid.New()
			name := strconv.AppendInt(strconv.AppendQuote(append([]byte(nil), cmd[:]...), stream), int64(index), 10)
			if got, want := EventID(cmd, stream, index), uuid.NewSHA1(eventIDSpace, name); got != want {
				t.Fatalf("EventID(%s, %q, %d) = %s, want %s", cmd, stream, index, got, want)
			}
		}
	}
}
