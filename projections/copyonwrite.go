package projections

import "github.com/tidwall/btree"

// cowMap is an ordered map of records, keyed by string, that a Freezer
// can hand to a save in constant time: freeze returns a copy of the tree
// (copy-on-write, so the copy costs nothing until the map changes), and
// from then on a record the copy shares is replaced by a clone before it
// is changed (see writable), so the frozen copy never sees a change.
//
// Each record carries the generation of the map it was made in; a record
// of the current generation is in no frozen copy and is changed in place.
// It is not safe for concurrent use, but a frozen copy may be read on
// another goroutine while the map goes on changing.
type cowMap[T any] struct {
	tree *btree.Map[string, cowRecord[T]]
	// index holds what tree holds, for lookups: a Go map finds a record
	// with a hash where the tree compares a dozen keys, and Apply looks
	// up records far more often than it adds them. No copy shares it.
	index map[string]cowRecord[T]
	gen   uint64
	// clone copies a record deeply enough that changing the copy leaves
	// the original as it was; nil for records that are only ever
	// replaced whole (set), never changed (writable).
	clone func(*T) *T
}

// cowRecord is a record and the generation it belongs to. It has no Copy
// method: the tree would then copy every record of a node it copies.
type cowRecord[T any] struct {
	gen uint64
	rec *T
}

// newCowMap returns an empty map whose records clone copies.
func newCowMap[T any](clone func(*T) *T) *cowMap[T] {
	return &cowMap[T]{tree: new(btree.Map[string, cowRecord[T]]), index: map[string]cowRecord[T]{}, clone: clone}
}

// get returns the record under k, for reading only.
func (m *cowMap[T]) get(k string) (*T, bool) {
	r, ok := m.index[k]
	return r.rec, ok
}

// writable returns the record under k for the caller to change: when a
// frozen copy may share it, a clone put in its place.
func (m *cowMap[T]) writable(k string) (*T, bool) {
	r, ok := m.index[k]
	if !ok || r.gen == m.gen {
		return r.rec, ok
	}
	cp := m.clone(r.rec)
	m.set(k, cp)
	return cp, true
}

// set puts rec under k; the map owns it from now on.
func (m *cowMap[T]) set(k string, rec *T) {
	r := cowRecord[T]{gen: m.gen, rec: rec}
	m.tree.Set(k, r)
	m.index[k] = r
}

// load is set for keys given in ascending order, as a saved state lists
// them: each is appended to the tree.
func (m *cowMap[T]) load(k string, rec *T) {
	r := cowRecord[T]{gen: m.gen, rec: rec}
	m.tree.Load(k, r)
	m.index[k] = r
}

// len returns the number of records.
func (m *cowMap[T]) len() int { return m.tree.Len() }

// scan calls fn for each record in key order, for reading only, until fn
// returns false.
func (m *cowMap[T]) scan(fn func(k string, rec *T) bool) {
	m.tree.Scan(func(k string, r cowRecord[T]) bool { return fn(k, r.rec) })
}

// freeze returns a copy of the map as it is now, to be scanned only (it
// has no index), and makes every record it shares read-only for m.
func (m *cowMap[T]) freeze() *cowMap[T] {
	frozen := &cowMap[T]{tree: m.tree.Copy(), gen: m.gen, clone: m.clone}
	m.gen++
	return frozen
}
