package projections

import (
	"bytes"
	"fmt"
	"maps"
	"slices"

	"github.com/haixi-hrss/fundledger/domain/programme"
	"github.com/haixi-hrss/fundledger/domain/uniqueness"
	"github.com/tidwall/btree"
)

// anomaliesImage is what the state is written from: the model's own
// trees for MarshalState, frozen copies for Freeze.
type anomaliesImage struct {
	found                []Anomaly
	claims               *btree.Map[string, *watchedClaim]
	paid                 *btree.Map[string, []paidClaim]
	clawbacks, dishonest *btree.Map[string, mark]
}

// MarshalState implements Projection.
func (a *Anomalies) MarshalState() ([]byte, error) {
	return anomaliesImage{found: a.found, claims: a.claims, paid: a.paid, clawbacks: a.clawbacks, dishonest: a.dishonest}.marshal()
}

// Freeze implements Freezer: copies of the trees, whose watched claims
// Apply replaces from now on (see claim), and the findings and every list
// of paid claims at their length now (they only grow).
func (a *Anomalies) Freeze() func() ([]byte, error) {
	im := anomaliesImage{found: a.found, claims: a.claims.Copy(), paid: a.paid.Copy(), clawbacks: a.clawbacks.Copy(),
		dishonest: a.dishonest.Copy()}
	a.gen++
	return im.marshal
}

// claim returns claim id's watched state for Apply to change: when a
// frozen image may share it, a copy put in its place. The copy has its
// own set of reported payments (changed in place); its lists only grow.
func (a *Anomalies) claim(id string) (*watchedClaim, bool) {
	w, ok := a.claims.Get(id)
	if !ok || w.gen == a.gen {
		return w, ok
	}
	cp := *w
	cp.Reported, cp.gen = maps.Clone(w.Reported), a.gen
	a.claims.Set(id, &cp)
	return &cp, true
}

// anomaliesMagic starts the model's state, naming its binary layout; a
// state without it (the JSON of earlier releases, which took 117 ms to
// write and 82 ms to read for 28,000 claims) or with another version is
// refused with ErrSnapshotFormat, and the runner rebuilds from the log.
//
// Layout after the magic, integers as (u)varints, texts that repeat
// (kinds, programmes, beneficiary kinds, officers, rules) as names (see
// namedWriter), other texts as length and bytes, every list and index as
// its count then its items, the indexes in key order:
//
//   - the findings: kind, claims, positions, subject (kind, reference),
//     actor, explanation;
//   - the watched claims: ID, programme, beneficiary (kind, reference),
//     submitter, submitted, keys (rule, value), paid, clawed back, the
//     payments reported (sorted), the review rounds self-approved;
//   - the paid claims by what an exclusion compares: key, then each
//     claim, programme and position;
//   - the first clawbacks, then the dishonest units: key, claim,
//     position.
//
// Equal models write equal bytes. A restored list or set that was empty
// is nil, as the JSON form's were.
const anomaliesMagic = "fundledger-anomalies 1\n"

// marshal writes the image's state.
func (im anomaliesImage) marshal() ([]byte, error) {
	w := namedWriter{names: map[string]uint64{}}
	w.buf = append(make([]byte, 0, 1<<16+400*im.claims.Len()), anomaliesMagic...)
	w.uvarint(uint64(len(im.found)))
	for i := range im.found {
		an := &im.found[i]
		w.name(string(an.Kind))
		w.strs(an.Claims)
		w.uvarint(uint64(len(an.Positions)))
		for _, p := range an.Positions {
			w.uvarint(p)
		}
		w.name(an.Subject.Kind)
		w.str(an.Subject.Ref)
		w.name(an.Actor)
		w.str(an.Explanation)
	}
	w.uvarint(uint64(im.claims.Len()))
	im.claims.Scan(func(id string, c *watchedClaim) bool {
		w.str(id)
		w.name(string(c.Programme))
		w.name(c.Beneficiary.Kind)
		w.str(c.Beneficiary.Ref)
		w.name(c.SubmittedBy)
		w.uvarint(c.Submitted)
		w.uvarint(uint64(len(c.Keys)))
		for _, k := range c.Keys {
			w.name(k.Rule)
			w.str(k.Value)
		}
		w.uvarint(c.Paid)
		w.uvarint(c.ClawedBack)
		w.strs(slices.Sorted(maps.Keys(c.Reported)))
		w.uvarint(uint64(len(c.SelfApproved)))
		for _, round := range c.SelfApproved {
			w.varint(int64(round))
		}
		return true
	})
	w.uvarint(uint64(im.paid.Len()))
	im.paid.Scan(func(key string, paid []paidClaim) bool {
		w.str(key)
		w.uvarint(uint64(len(paid)))
		for _, p := range paid {
			w.str(p.Claim)
			w.name(string(p.Programme))
			w.uvarint(p.Position)
		}
		return true
	})
	for _, marks := range [...]*btree.Map[string, mark]{im.clawbacks, im.dishonest} {
		w.uvarint(uint64(marks.Len()))
		marks.Scan(func(key string, m mark) bool {
			w.str(key)
			w.str(m.Claim)
			w.uvarint(m.Position)
			return true
		})
	}
	return w.buf, nil
}

// UnmarshalState implements Projection.
func (a *Anomalies) UnmarshalState(data []byte) error {
	rest, ok := bytes.CutPrefix(data, []byte(anomaliesMagic))
	if !ok {
		return fmt.Errorf("anomalies: %w: the state does not start with %q", ErrSnapshotFormat, anomaliesMagic[:len(anomaliesMagic)-1])
	}
	a.Reset()
	r := namedReader{stateReader: stateReader{buf: rest}}
	if err := a.read(&r); err != nil {
		a.Reset()
		return fmt.Errorf("anomalies: %w", err)
	}
	return nil
}

// read reads the state into the reset model, in the order marshal wrote
// it; a key out of order is refused, so a restored index is one that
// Apply could have built.
func (a *Anomalies) read(r *namedReader) error {
	if n := r.count(); n > 0 {
		a.found = make([]Anomaly, n)
	}
	for i := range a.found {
		an := &a.found[i]
		an.Kind = AnomalyKind(r.name())
		an.Claims = r.strs()
		if n := r.count(); n > 0 {
			an.Positions = make([]uint64, n)
			for j := range an.Positions {
				an.Positions[j] = r.uvarint()
			}
		}
		an.Subject.Kind, an.Subject.Ref = r.name(), r.str()
		an.Actor, an.Explanation = r.name(), r.str()
	}
	claims := make([]watchedClaim, r.count())
	for i := range claims {
		c := &claims[i]
		id := r.str()
		c.Programme = programme.Code(r.name())
		c.Beneficiary.Kind, c.Beneficiary.Ref = r.name(), r.str()
		c.SubmittedBy, c.Submitted = r.name(), r.uvarint()
		if n := r.count(); n > 0 {
			c.Keys = make([]uniqueness.Key, n)
			for j := range c.Keys {
				c.Keys[j] = uniqueness.Key{Rule: r.name(), Value: r.str()}
			}
		}
		c.Paid, c.ClawedBack = r.uvarint(), r.uvarint()
		if reported := r.strs(); len(reported) > 0 {
			c.Reported = make(map[string]bool, len(reported))
			for _, p := range reported {
				c.Reported[p] = true
			}
		}
		if n := r.count(); n > 0 {
			c.SelfApproved = make([]int, n)
			for j := range c.SelfApproved {
				c.SelfApproved[j] = int(r.varint())
			}
		}
		c.gen = a.gen
		if err := loadInOrder(r, a.claims, id, c); err != nil {
			return err
		}
	}
	for range r.count() {
		key := r.str()
		var paid []paidClaim
		if n := r.count(); n > 0 {
			paid = make([]paidClaim, n)
			for j := range paid {
				paid[j] = paidClaim{Claim: r.str(), Programme: programme.Code(r.name()), Position: r.uvarint()}
			}
		}
		if err := loadInOrder(r, a.paid, key, paid); err != nil {
			return err
		}
	}
	for _, marks := range [...]*btree.Map[string, mark]{a.clawbacks, a.dishonest} {
		for range r.count() {
			key := r.str()
			m := mark{Claim: r.str(), Position: r.uvarint()}
			if err := loadInOrder(r, marks, key, m); err != nil {
				return err
			}
		}
	}
	if r.err == nil && len(r.buf) != 0 {
		r.fail(fmt.Errorf("%d bytes after the state", len(r.buf)))
	}
	return r.err
}

// loadInOrder appends v under key to tree, unless the read failed or key
// does not come after the tree's last key.
func loadInOrder[V any](r *namedReader, tree *btree.Map[string, V], key string, v V) error {
	if r.err != nil {
		return r.err
	}
	if last, _, ok := tree.Max(); ok && key <= last {
		r.fail(fmt.Errorf("key %q after %q: the index is out of order", key, last))
		return r.err
	}
	tree.Load(key, v)
	return nil
}

// Restored implements Relayer: a report over the same exclusions.
func (a *Anomalies) Restored(state []byte) (Projection, error) {
	return restoreFresh(&Anomalies{exclusions: a.exclusions}, state)
}

// Adopt implements Relayer.
func (a *Anomalies) Adopt(fresh Projection) {
	f := fresh.(*Anomalies)
	a.found, a.claims, a.paid, a.clawbacks, a.dishonest, a.gen = f.found, f.claims, f.paid, f.clawbacks, f.dishonest, f.gen
}
