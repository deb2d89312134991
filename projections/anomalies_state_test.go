package projections

import (
	"bytes"
	"errors"
	"reflect"
	"testing"

	"github.com/tidwall/btree"

	"github.com/haixi-hrss/fundledger/domain/claim"
	"github.com/haixi-hrss/fundledger/domain/programme"
	"github.com/haixi-hrss/fundledger/domain/uniqueness"
)

// fullAnomalies is a model with every field of its state set.
func fullAnomalies() *Anomalies {
	a := NewAnomalies()
	a.found = []Anomaly{
		{Kind: ExclusiveProgrammes, Claims: []string{"claim-a", "claim-b"}, Positions: []uint64{4, 9},
			Subject: claim.Beneficiary{Kind: claim.Person, Ref: "p-ref"}, Explanation: "paid twice"},
		{Kind: SelfApproval, Claims: []string{"claim-b"}, Positions: []uint64{12}, Actor: "clerk-1", Explanation: "approved own claim"},
	}
	a.claims.Set("claim-a", &watchedClaim{Programme: programme.Expansion, Beneficiary: claim.Beneficiary{Kind: claim.Person, Ref: "p-ref"},
		SubmittedBy: "clerk-1", Submitted: 3, Keys: []uniqueness.Key{{Rule: "expansion-once", Value: "k1"}}, Paid: 4, ClawedBack: 20,
		Reported: map[string]bool{"paid|1|pay-2": true, "released|1|pay-1": true}, SelfApproved: []int{1, 3}})
	a.claims.Set("claim-b", &watchedClaim{Programme: programme.Absorption, Beneficiary: claim.Beneficiary{Kind: claim.Employer, Ref: "91350100M000100Y43"},
		SubmittedBy: "clerk-1", Submitted: 8})
	a.paid.Set("person|p-ref", []paidClaim{{Claim: "claim-a", Programme: programme.Expansion, Position: 4}, {Claim: "claim-b", Programme: programme.Absorption, Position: 9}})
	a.clawbacks.Set("person|p-ref", mark{Claim: "claim-a", Position: 20})
	a.dishonest.Set("91350100M000100Y43", mark{Position: 15})
	return a
}

// anomaliesPlain is the model's content as comparable values.
type anomaliesPlain struct {
	Found                []Anomaly
	Claims               map[string]watchedClaim
	Paid                 map[string][]paidClaim
	Clawbacks, Dishonest map[string]mark
}

func plainAnomalies(a *Anomalies) anomaliesPlain {
	p := anomaliesPlain{Found: a.found, Claims: map[string]watchedClaim{}, Paid: map[string][]paidClaim{},
		Clawbacks: map[string]mark{}, Dishonest: map[string]mark{}}
	a.claims.Scan(func(k string, c *watchedClaim) bool {
		cp := *c
		cp.gen = 0
		p.Claims[k] = cp
		return true
	})
	a.paid.Scan(func(k string, v []paidClaim) bool { p.Paid[k] = v; return true })
	for _, x := range []struct {
		tree *btree.Map[string, mark]
		to   map[string]mark
	}{{a.clawbacks, p.Clawbacks}, {a.dishonest, p.Dishonest}} {
		x.tree.Scan(func(k string, m mark) bool { x.to[k] = m; return true })
	}
	return p
}

func TestAnomaliesStateRoundTrip(t *testing.T) {
	a := fullAnomalies()
	data, err := a.MarshalState()
	if err != nil {
		t.Fatal(err)
	}
	if again, _ := a.MarshalState(); !bytes.Equal(data, again) {
		t.Fatal("two marshallings of one model differ")
	}
	back := NewAnomalies()
	if err := back.UnmarshalState(data); err != nil {
		t.Fatal(err)
	}
	if got, want := plainAnomalies(back), plainAnomalies(a); !reflect.DeepEqual(got, want) {
		t.Fatalf("restored model differs:\n got %+v\nwant %+v", got, want)
	}
	if redo, _ := back.MarshalState(); !bytes.Equal(redo, data) {
		t.Fatal("the restored model writes other bytes")
	}
	if n := len(back.List(AnomalyFilter{})); n != 2 {
		t.Errorf("the restored model lists %d anomalies, want 2", n)
	}
}

func TestAnomaliesStateRefusesDamage(t *testing.T) {
	data, err := fullAnomalies().MarshalState()
	if err != nil {
		t.Fatal(err)
	}
	back := NewAnomalies()
	oldJSON := []byte(`{"found":[],"claims":{},"paid":{},"clawbacks":{},"dishonest":{}}`)
	if err := back.UnmarshalState(oldJSON); !errors.Is(err, ErrSnapshotFormat) {
		t.Fatalf("the JSON state of earlier releases: %v, want ErrSnapshotFormat", err)
	}
	for n := len(anomaliesMagic); n < len(data); n++ {
		back.claims.Set("stale", &watchedClaim{})
		if err := back.UnmarshalState(data[:n]); err == nil {
			t.Fatalf("the state cut to %d of %d bytes was accepted", n, len(data))
		}
		if back.claims.Len() != 0 || back.found != nil {
			t.Fatalf("a refused state at %d bytes left the model filled", n)
		}
	}
	if err := back.UnmarshalState(append(bytes.Clone(data), 0)); err == nil {
		t.Fatal("a byte after the state was accepted")
	}
	// claim-a renamed claim-z now comes before claim-b in the index.
	if err := back.UnmarshalState(bytes.ReplaceAll(data, []byte("claim-a"), []byte("claim-z"))); err == nil {
		t.Fatal("an index out of key order was accepted")
	}
}
