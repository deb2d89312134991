package projections

import (
	"bytes"
	"cmp"
	"errors"
	"fmt"
	"maps"
	"slices"

	"github.com/tidwall/btree"

	"github.com/haixi-hrss/fundledger/domain/money"
)

// trailMagic starts the trail's state, naming its binary layout; a state
// without it (the JSON of earlier releases) or with another version is
// refused with ErrSnapshotFormat, and the runner rebuilds from the log.
//
// Layout after the magic, integers as (u)varints: the name table (count,
// then each name but "" as length and bytes); the claims sorted by ID
// (ID, line, check policy, entries, approvals); the actors sorted by name
// number (actor, then each action's position, stream and type); the lines
// sorted by ID (ID, then each allocation's record, IDs and amount). A
// record is position, version, seconds, nanoseconds, the six name numbers,
// the two IDs (name number, or uuidText and 16 bytes) and the 32-byte
// hash. Names are numbered in log order and every collection is written
// sorted, so equal models write equal bytes.
const trailMagic = "fundledger-trail 1\n"

// trailImage is what the trail's state is written from: the model's
// own containers for MarshalState, a frozen copy for Freeze.
type trailImage struct {
	names  []string
	claims *btree.Map[string, *claimTrail]
	actors map[ref][]actionRec
	lines  map[string][]allocationRec
}

// MarshalState implements Projection.
func (t *Trail) MarshalState() ([]byte, error) {
	return trailImage{names: t.names.strs, claims: t.claims, actors: t.actors, lines: t.lines}.marshal(), nil
}

// Freeze implements Freezer: a copy of the claims' tree and of the two
// small maps of lists (by actor and by budget line, as many as there are
// officers and lines), each list kept at its length now.
func (t *Trail) Freeze() func() ([]byte, error) {
	im := trailImage{names: t.names.strs, claims: t.claims.Copy(), actors: maps.Clone(t.actors), lines: maps.Clone(t.lines)}
	t.gen++
	return func() ([]byte, error) { return im.marshal(), nil }
}

func (im trailImage) marshal() []byte {
	var w stateWriter
	w.buf = make([]byte, 0, 1<<16+100*im.claims.Len()*12)
	w.buf = append(w.buf, trailMagic...)
	w.uvarint(uint64(len(im.names)))
	for _, s := range im.names[1:] {
		w.str(s)
	}
	w.uvarint(uint64(im.claims.Len()))
	im.claims.Scan(func(id string, c *claimTrail) bool {
		w.str(id)
		w.uvarint(uint64(c.line))
		w.uvarint(uint64(c.checkPolicy))
		w.uvarint(uint64(len(c.entries)))
		for i := range c.entries {
			w.record(&c.entries[i])
		}
		w.uvarint(uint64(len(c.approvals)))
		for _, a := range c.approvals {
			w.uvarint(uint64(a.entry))
			w.varint(int64(a.round))
			w.uvarint(uint64(a.actor))
			w.uvarint(uint64(a.role))
		}
		return true
	})
	w.uvarint(uint64(len(im.actors)))
	for _, actor := range slices.SortedFunc(maps.Keys(im.actors), cmp.Compare) {
		w.uvarint(uint64(actor))
		acts := im.actors[actor]
		w.uvarint(uint64(len(acts)))
		for _, a := range acts {
			w.uvarint(a.position)
			w.uvarint(uint64(a.stream))
			w.uvarint(uint64(a.typ))
		}
	}
	w.uvarint(uint64(len(im.lines)))
	for _, line := range slices.Sorted(maps.Keys(im.lines)) {
		w.str(line)
		allocs := im.lines[line]
		w.uvarint(uint64(len(allocs)))
		for i := range allocs {
			a := &allocs[i]
			w.record(&a.rec)
			w.str(a.allocationID)
			w.str(a.fundID)
			w.str(a.amount.String())
		}
	}
	return w.buf
}

// UnmarshalState implements Projection.
func (t *Trail) UnmarshalState(data []byte) error {
	rest, ok := bytes.CutPrefix(data, []byte(trailMagic))
	if !ok {
		return fmt.Errorf("trail: %w: the state does not start with %q", ErrSnapshotFormat, trailMagic[:len(trailMagic)-1])
	}
	t.Reset()
	r := stateReader{buf: rest}
	if err := t.read(&r); err != nil {
		t.Reset()
		return fmt.Errorf("trail: %w", err)
	}
	return nil
}

func (t *Trail) read(r *stateReader) error {
	n := r.count()
	t.names.strs = make([]string, 1, n+1)
	for i := 1; i < n && r.err == nil; i++ {
		t.names.ref(r.str())
	}
	if r.err == nil && len(t.names.strs) != n {
		return errors.New("a name is listed twice")
	}
	r.names = len(t.names.strs)
	for range r.count() {
		id := r.str()
		c := &claimTrail{line: r.ref(), checkPolicy: r.ref(), gen: t.gen}
		c.entries = make([]trailRec, r.count())
		for i := range c.entries {
			r.record(&c.entries[i])
		}
		c.approvals = make([]approvalRec, r.count())
		for i := range c.approvals {
			c.approvals[i] = approvalRec{entry: r.count(), round: int(r.varint()), actor: r.ref(), role: r.ref()}
			if c.approvals[i].entry >= len(c.entries) {
				r.fail(fmt.Errorf("claim %q: approval of entry %d of %d", id, c.approvals[i].entry, len(c.entries)))
			}
		}
		if r.err != nil {
			return r.err
		}
		// Written in ID order, so each is appended to the tree.
		if _, dup := t.claims.Load(id, c); dup {
			return fmt.Errorf("claim %q is listed twice", id)
		}
	}
	for range r.count() {
		actor := r.ref()
		acts := make([]actionRec, r.count())
		for i := range acts {
			acts[i] = actionRec{position: r.uvarint(), stream: r.ref(), typ: r.ref()}
		}
		if r.err != nil {
			return r.err
		}
		t.actors[actor] = acts
	}
	for range r.count() {
		line := r.str()
		allocs := make([]allocationRec, r.count())
		for i := range allocs {
			a := &allocs[i]
			r.record(&a.rec)
			a.allocationID, a.fundID = r.str(), r.str()
			amount, err := money.Parse("amount", r.str())
			if err != nil && r.err == nil {
				r.fail(err)
			}
			a.amount = amount
		}
		if r.err != nil {
			return r.err
		}
		t.lines[line] = allocs
	}
	if r.err == nil && len(r.buf) != 0 {
		return fmt.Errorf("%d bytes after the state", len(r.buf))
	}
	return r.err
}

func (w *stateWriter) id(r idRef) {
	w.uvarint(uint64(r.text))
	if r.text == uuidText {
		w.buf = append(w.buf, r.id[:]...)
	}
}

func (w *stateWriter) record(r *trailRec) {
	w.uvarint(r.position)
	w.uvarint(r.version)
	w.varint(r.sec)
	w.uvarint(uint64(r.nsec))
	for _, n := range [...]ref{r.stream, r.typ, r.actor, r.role, r.policy, r.effect} {
		w.uvarint(uint64(n))
	}
	w.id(r.correlation)
	w.id(r.causation)
	w.buf = append(w.buf, r.hash[:]...)
}

func (r *stateReader) ref() ref {
	v := r.uvarint()
	if v >= uint64(r.names) {
		r.fail(fmt.Errorf("name %d of a table of %d", v, r.names))
		return 0
	}
	return ref(v)
}

func (r *stateReader) id() idRef {
	v := r.uvarint()
	if v == uint64(uuidText) {
		var out idRef
		copy(out.id[:], r.bytes(len(out.id)))
		out.text = uuidText
		return out
	}
	if v >= uint64(r.names) {
		r.fail(fmt.Errorf("name %d of a table of %d", v, r.names))
		return idRef{}
	}
	return idRef{text: ref(v)}
}

func (r *stateReader) record(rec *trailRec) {
	rec.position, rec.version, rec.sec = r.uvarint(), r.uvarint(), r.varint()
	nsec := r.uvarint()
	if nsec >= 1e9 {
		r.fail(fmt.Errorf("%d nanoseconds", nsec))
	}
	rec.nsec = uint32(nsec)
	for _, n := range [...]*ref{&rec.stream, &rec.typ, &rec.actor, &rec.role, &rec.policy, &rec.effect} {
		*n = r.ref()
	}
	rec.correlation, rec.causation = r.id(), r.id()
	copy(rec.hash[:], r.bytes(len(rec.hash)))
}

// Restored implements Relayer.
func (t *Trail) Restored(state []byte) (Projection, error) { return restoreFresh(NewTrail(), state) }

// Adopt implements Relayer.
func (t *Trail) Adopt(fresh Projection) {
	f := fresh.(*Trail)
	t.names, t.claims, t.gen, t.actors, t.lines = f.names, f.claims, f.gen, f.actors, f.lines
}
