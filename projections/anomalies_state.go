package projections

import (
	"fmt"
	"maps"
	"slices"

	"github.com/tidwall/btree"
)

// anomaliesState is the whole model as it is persisted: encoding/json
// writes map keys sorted, and every slice grows in log order, so equal
// models marshal to equal bytes.
type anomaliesState struct {
	Found     []Anomaly                `json:"found"`
	Claims    map[string]*watchedClaim `json:"claims"`
	Paid      map[string][]paidClaim   `json:"paid"`
	Clawbacks map[string]mark          `json:"clawbacks"`
	Dishonest map[string]mark          `json:"dishonest"`
}

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

// marshal writes the state the encoder writes of the model's maps: the
// trees are turned into maps again, which it writes in key order.
func (im anomaliesImage) marshal() ([]byte, error) {
	return marshalState(anomaliesState{Found: im.found, Claims: mapOf(im.claims), Paid: mapOf(im.paid),
		Clawbacks: mapOf(im.clawbacks), Dishonest: mapOf(im.dishonest)})
}

// mapOf returns tree's pairs as a map, empty (not nil) for an empty tree.
func mapOf[V any](tree *btree.Map[string, V]) map[string]V {
	m := make(map[string]V, tree.Len())
	tree.Scan(func(k string, v V) bool {
		m[k] = v
		return true
	})
	return m
}

// treeOf returns m's pairs as a tree.
func treeOf[V any](m map[string]V) *btree.Map[string, V] {
	tree := new(btree.Map[string, V])
	for _, k := range slices.Sorted(maps.Keys(m)) {
		tree.Load(k, m[k])
	}
	return tree
}

// UnmarshalState implements Projection.
func (a *Anomalies) UnmarshalState(data []byte) error {
	a.Reset()
	var st anomaliesState
	if err := unmarshalState(data, &st); err != nil {
		return fmt.Errorf("anomalies: %w", err)
	}
	if st.Claims == nil || st.Paid == nil || st.Clawbacks == nil || st.Dishonest == nil {
		return fmt.Errorf("anomalies: the saved state lacks one of its indexes")
	}
	for id, w := range st.Claims {
		if w == nil {
			return fmt.Errorf("anomalies: claim %q has no state", id)
		}
		w.gen = a.gen
	}
	a.found, a.claims, a.paid = st.Found, treeOf(st.Claims), treeOf(st.Paid)
	a.clawbacks, a.dishonest = treeOf(st.Clawbacks), treeOf(st.Dishonest)
	return nil
}

// Restored implements Relayer: a report over the same exclusions.
func (a *Anomalies) Restored(state []byte) (Projection, error) {
	fresh := &Anomalies{exclusions: a.exclusions}
	if err := fresh.UnmarshalState(state); err != nil {
		return nil, err
	}
	return fresh, nil
}

// Adopt implements Relayer.
func (a *Anomalies) Adopt(fresh Projection) {
	f := fresh.(*Anomalies)
	a.found, a.claims, a.paid, a.clawbacks, a.dishonest, a.gen = f.found, f.claims, f.paid, f.clawbacks, f.dishonest, f.gen
}
