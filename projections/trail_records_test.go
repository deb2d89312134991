package projections

import (
	"testing"

	"github.com/google/uuid"
)

// TestIDRefsKeepTheirText: a correlation or causation ID comes back as
// exactly the text recorded, whether it is held as a UUID (canonical
// lower-case form) or in the name table (anything else).
func TestIDRefsKeepTheirText(t *testing.T) {
	n := newNameTable()
	id := uuid.NewString()
	for _, c := range []struct {
		text   string
		asUUID bool
	}{
		{id, true},
		{"6F9619FF-8B86-D011-B42D-00C04FC964FF", false},
		{"req-" + id, false},
		{"", false},
		{"not-a-uuid-but-thirty-six-characters", false},
		{"{" + id[1:35] + "}", false},
		{"00000000-0000-0000-0000-000000000000", true},
	} {
		r := n.idRef(c.text)
		if got := n.idText(r); got != c.text {
			t.Errorf("%q came back as %q", c.text, got)
		}
		if (r.text == uuidText) != c.asUUID {
			t.Errorf("%q held as a UUID: %v, want %v", c.text, r.text == uuidText, c.asUUID)
		}
	}
}
