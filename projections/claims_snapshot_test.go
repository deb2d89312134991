package projections

import (
	"bytes"
	"encoding/json"
	"errors"
	"reflect"
	"testing"
	"time"

	"github.com/haixi-hrss/fundledger/domain/calendar"
	"github.com/haixi-hrss/fundledger/domain/claim"
	"github.com/haixi-hrss/fundledger/domain/eligibility"
	"github.com/haixi-hrss/fundledger/domain/money"
	"github.com/haixi-hrss/fundledger/domain/uniqueness"
	"github.com/shopspring/decimal"
)

// fullClaims is a model whose claims set every field of claim.State and
// of the records in it, with nil and empty slices and a time in another
// zone, so a field the binary form forgot to write or read shows in a
// round trip.
func fullClaims() *Claims {
	d, m := calendar.MustParse, money.MustParse
	shanghai := time.FixedZone("CST", 8*3600)
	full := claim.State{
		ID: "c1", Status: claim.StatusDisclosed, Programme: "stabilization",
		Beneficiary: claim.Beneficiary{Kind: claim.Employer, Ref: "91632801MA0000007H"}, Region: "632801",
		BudgetLineID: "line-1", EffectiveDate: d("2025-03-14"),
		UniquenessKeys: []uniqueness.Key{{Rule: "stabilization-employer-year", Value: "91632801MA0000007H|2025"}},
		SubmittedBy:    "clerk-632801",
		Assessment: &eligibility.Assessment{Programme: "stabilization", PolicyVersion: "stabilization-2025",
			EffectiveDate: d("2025-03-14"), Eligible: true, NeedsManualReview: true, Amount: m("110466.00"),
			Checks: []eligibility.Check{{Rule: "premium-months", Passed: true, Detail: "12 of 12"}, {Rule: "layoff-rate", Detail: "9% > 5.5%"}},
			Review: []string{"layoff-rate"}},
		Terms:    claim.Terms{PolicyVersion: "stabilization-2025", TwoApproverThreshold: m("500000"), DisclosureWorkingDays: 5},
		Approved: m("110466.00"), Payable: m("110466.5"), Paid: m("-1.01"), Recovered: m("999999999999.99"),
		Instalments: []claim.Instalment{{Number: 1, Label: "2025-03", Amount: m("110466.00"), Status: claim.InstalmentSettled,
			PaymentID: "c1/pay/1/a", Attempts: 2}},
		Round:           2,
		Approvals:       []claim.Decision{{Actor: "approver-1", Role: "approver", At: time.Date(2025, 3, 25, 10, 0, 0, 5, shanghai), Reason: "ok"}},
		DisclosureStart: d("2025-03-26"),
		Recoveries:      []string{"r1"},
		Evidence: []claim.Evidence{{Kind: "contract", DocumentNo: "D-1", Digest: "ab", ReceivedOn: d("2025-03-20"), Note: "copy",
			By: claim.By{Actor: "clerk-632801", Role: "clerk", At: time.Date(2025, 3, 20, 9, 0, 0, 0, time.UTC)}}},
	}
	bare := claim.State{ID: "c2", Status: claim.StatusSubmitted, UniquenessKeys: []uniqueness.Key{},
		Assessment: &eligibility.Assessment{Checks: []eligibility.Check{}, Review: []string{}}, Instalments: []claim.Instalment{}}
	c := NewClaims()
	c.claims.Set("c1", &claimEntry{State: full, LastChange: time.Date(2026, 11, 25, 22, 59, 7, 146759000, time.UTC)})
	c.claims.Set("c2", &claimEntry{State: bare})
	return c
}

// requireClaimFieldsSet fails on a field of a claim's records that is zero
// in every record of the fixture, so a field added to claim.State (or a
// record in it) later must be set in the fixture, and so is covered by
// the round trip, which would fail until the binary form writes it.
func requireClaimFieldsSet(t *testing.T, c *Claims) {
	t.Helper()
	records := map[string]bool{}
	for _, typ := range []reflect.Type{reflect.TypeFor[claim.State](), reflect.TypeFor[eligibility.Assessment](),
		reflect.TypeFor[uniqueness.Key]()} {
		records[typ.PkgPath()] = true
	}
	set := map[reflect.Type]map[int]bool{}
	var walk func(v reflect.Value)
	walk = func(v reflect.Value) {
		switch v.Kind() {
		case reflect.Pointer:
			if !v.IsNil() {
				walk(v.Elem())
			}
		case reflect.Slice:
			for i := range v.Len() {
				walk(v.Index(i))
			}
		case reflect.Struct:
			if !records[v.Type().PkgPath()] {
				return // amounts, dates, times: values, not records
			}
			if set[v.Type()] == nil {
				set[v.Type()] = map[int]bool{}
			}
			for i := range v.NumField() {
				if !v.Field(i).IsZero() {
					set[v.Type()][i] = true
					walk(v.Field(i))
				}
			}
		}
	}
	c.claims.Scan(func(_ string, e *claimEntry) bool {
		walk(reflect.ValueOf(&e.State))
		return true
	})
	for typ, fields := range set {
		for i := range typ.NumField() {
			if !fields[i] {
				t.Errorf("%s.%s is zero in every record of the fixture", typ.Name(), typ.Field(i).Name)
			}
		}
	}
	if len(set) < 10 {
		t.Errorf("the fixture reaches %d record types, want the state and its 9 records", len(set))
	}
}

// entriesJSON is the claims in ID order as encoding/json writes them: it
// prints every field, amounts with two decimals and times with their
// offset, and tells nil slices from empty ones.
func entriesJSON(t *testing.T, c *Claims) []byte {
	t.Helper()
	out := []claimEntry{}
	for _, id := range []string{"c1", "c2"} {
		if e, ok := c.claims.Get(id); ok {
			out = append(out, *e)
		}
	}
	data, err := json.Marshal(out)
	if err != nil {
		t.Fatal(err)
	}
	return data
}

func TestClaimsStateRoundTrip(t *testing.T) {
	c := fullClaims()
	requireClaimFieldsSet(t, c)
	data, err := c.MarshalState()
	if err != nil {
		t.Fatal(err)
	}
	again, err := c.MarshalState()
	if err != nil || !bytes.Equal(data, again) {
		t.Fatal("two marshallings of one model differ")
	}
	back := NewClaims()
	if err := back.UnmarshalState(data); err != nil {
		t.Fatal(err)
	}
	if got, want := entriesJSON(t, back), entriesJSON(t, c); !bytes.Equal(got, want) {
		t.Fatalf("restored model differs:\n got %s\nwant %s", got, want)
	}
	if redo, _ := back.MarshalState(); !bytes.Equal(redo, data) {
		t.Fatal("the restored model writes other bytes")
	}
	at := claimOf(back, "c1").State.Approvals[0].At
	if _, offset := at.Zone(); offset != 8*3600 || !at.Equal(claimOf(c, "c1").State.Approvals[0].At) {
		t.Errorf("approval time restored as %v", at)
	}
	if claimOf(back, "c2").LastChange != (time.Time{}) || claimOf(back, "c1").LastChange.Location() != time.UTC {
		t.Errorf("change times restored as %v and %v", claimOf(back, "c2").LastChange, claimOf(back, "c1").LastChange)
	}
	// The restored model keeps folding and answers queries.
	if row, ok := back.Claim("c1"); !ok || row.Approved.String() != "110466.00" || len(row.Approvers) != 1 {
		t.Errorf("restored claim c1: %+v, %v", row, ok)
	}
	if n := len(back.Find(ClaimFilter{Status: claim.StatusDisclosed})); n != 1 {
		t.Errorf("the restored queue lists %d disclosed claims, want 1", n)
	}
	// An amount beyond what fen in the layout hold is an error, not a
	// wrong figure in the snapshot.
	claimOf(back, "c1").State.Paid = money.FromDecimal(decimal.New(1, 30))
	if _, err := back.MarshalState(); err == nil {
		t.Error("an amount of 10^30 yuan was written")
	}
}

func TestClaimsStateRefusesDamage(t *testing.T) {
	c := fullClaims()
	data, err := c.MarshalState()
	if err != nil {
		t.Fatal(err)
	}
	entries := []claimEntry{*claimOf(c, "c1"), *claimOf(c, "c2")}
	oldJSON, err := json.Marshal(entries)
	if err != nil {
		t.Fatal(err)
	}
	back := NewClaims()
	if err := back.UnmarshalState(oldJSON); !errors.Is(err, ErrSnapshotFormat) {
		t.Fatalf("the JSON state of earlier releases: %v, want ErrSnapshotFormat", err)
	}
	for n := len(claimsMagic); n < len(data); n++ {
		back.claims.Set("stale", &claimEntry{})
		if err := back.UnmarshalState(data[:n]); err == nil {
			t.Fatalf("the state cut to %d of %d bytes was accepted", n, len(data))
		}
		if back.Len() != 0 {
			t.Fatalf("a refused state at %d bytes left the model filled", n)
		}
	}
	if err := back.UnmarshalState(append(bytes.Clone(data), 0)); err == nil {
		t.Fatal("a byte after the state was accepted")
	}
	// "c1" follows the count of claims; the first name after it (its
	// status, number 0) is followed by the text, 9 bytes "disclosed".
	for name, damage := range map[string]func([]byte) []byte{
		"name past the table": func(b []byte) []byte {
			i := bytes.Index(b, []byte("\x02c1\x00\x09disclosed")) + 3
			b[i] = 5
			return b
		},
		"claim listed twice": func(b []byte) []byte {
			i := bytes.Index(b, []byte("\x02c2"))
			b[i+2] = '1'
			return b
		},
		"amount out of range": func(b []byte) []byte {
			var ok, bad stateWriter
			ok.varint(50000000) // the threshold, 500000.00 yuan
			bad.varint(maxFen)
			return bytes.Replace(b, ok.buf, bad.buf, 1)
		},
		"bad time": func(b []byte) []byte {
			var ok, bad stateWriter
			ok.uvarint(5)
			ok.varint(8 * 3600)
			bad.uvarint(1e9)
			bad.varint(8 * 3600)
			return bytes.Replace(b, ok.buf, bad.buf, 1)
		},
	} {
		bad := damage(bytes.Clone(data))
		if bytes.Equal(bad, data) {
			t.Fatalf("%s: the damage changed nothing", name)
		}
		if err := back.UnmarshalState(bad); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
}

// claimOf returns claim id's entry in c, nil if there is none.
func claimOf(c *Claims, id string) *claimEntry {
	e, _ := c.claims.Get(id)
	return e
}
