package codec

import (
	"hash/maphash"
	"sync/atomic"
)

// stringTable shares the text of short strings that payloads repeat
// (actors, roles, codes, statuses, the rules of checks) instead of
// allocating each anew: a replay decodes millions of them, and the read
// models keep many. A slot holds the last string hashed to it; a
// collision only costs an allocation. Safe for concurrent use.
type stringTable struct {
	seed  maphash.Seed
	slots [stringSlots]atomic.Pointer[string]
}

const (
	stringSlots = 2048
	// longestShared keeps identifiers used once or twice (claim, payment
	// ids) from churning the slots.
	longestShared = 24
)

func newStringTable() *stringTable { return &stringTable{seed: maphash.MakeSeed()} }

// text returns b as a string, shared with earlier calls where it can be.
func (t *stringTable) text(b []byte) string {
	if len(b) == 0 || len(b) > longestShared {
		return string(b)
	}
	slot := &t.slots[maphash.Bytes(t.seed, b)%stringSlots]
	if p := slot.Load(); p != nil && *p == string(b) {
		return *p
	}
	s := string(b)
	slot.Store(&s)
	return s
}
