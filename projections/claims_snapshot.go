package projections

import (
	"bytes"
	"fmt"
	"time"

	"github.com/tidwall/btree"

	"github.com/haixi-hrss/fundledger/domain/claim"
	"github.com/haixi-hrss/fundledger/domain/eligibility"
	"github.com/haixi-hrss/fundledger/domain/money"
	"github.com/haixi-hrss/fundledger/domain/programme"
	"github.com/haixi-hrss/fundledger/domain/region"
	"github.com/haixi-hrss/fundledger/domain/uniqueness"
)

// claimsMagic starts the claims model's state, naming its binary layout;
// a state without it (the JSON of earlier releases) or with another
// version is refused with ErrSnapshotFormat, and the runner rebuilds from
// the log. On a million-event ledger the JSON form was 70 MB and took
// about 0.75 s to write and as long to read: the largest part of both a
// rebuild's final save and a restart.
//
// Layout after the magic, integers as (u)varints: the count of claims,
// then each claim in ID order, its fields in claim.State's order and last
// LastChange. Texts that repeat across claims (statuses, programmes,
// regions, rules, policy versions, officers, ...) are names: the
// number of an earlier one, or the next number followed by the text,
// which the reader adds to its table, so equal models write equal bytes.
// Other texts are length and bytes. An amount is its whole number of fen
// (money.Amount holds at most two decimals; restored, it is what
// money.Parse makes of its text); a time is Unix seconds, nanoseconds and
// its zone's offset in seconds; a date year, month and day; a slice its
// length plus one, 0 for nil, so a restored state is the one saved, nil
// or empty alike. (Layout 1, written only while this form was being
// made, held every amount as a name.)
const claimsMagic = "fundledger-claims 2\n"

// MarshalState implements Projection.
func (c *Claims) MarshalState() ([]byte, error) { return marshalClaims(c.claims) }

// marshalClaims writes the state of the claims in tree, which is in ID
// order.
func marshalClaims(tree *btree.Map[string, *claimEntry]) ([]byte, error) {
	w := claimsWriter{namedWriter: namedWriter{names: map[string]uint64{}}}
	w.buf = make([]byte, 0, 1<<16+700*tree.Len())
	w.buf = append(w.buf, claimsMagic...)
	w.uvarint(uint64(tree.Len()))
	tree.Scan(func(_ string, e *claimEntry) bool {
		w.state(&e.State)
		w.time(e.LastChange)
		return true
	})
	if w.err != nil {
		return nil, w.err
	}
	return w.buf, nil
}

// UnmarshalState implements Projection.
func (c *Claims) UnmarshalState(data []byte) error {
	rest, ok := bytes.CutPrefix(data, []byte(claimsMagic))
	if !ok {
		return fmt.Errorf("claims: %w: the state does not start with %q", ErrSnapshotFormat, claimsMagic[:len(claimsMagic)-1])
	}
	c.Reset()
	r := claimsReader{namedReader: namedReader{stateReader: stateReader{buf: rest}}, zones: map[int64]*time.Location{}}
	// One allocation for every entry, as the JSON form's slice was.
	entries := make([]claimEntry, r.stateReader.count())
	for i := range entries {
		e := &entries[i]
		r.state(&e.State)
		e.LastChange, e.gen = r.time(), c.gen
		if r.err != nil {
			break
		}
		// In ID order, as written, each is appended to the tree.
		if _, dup := c.claims.Load(e.State.ID, e); dup {
			r.fail(fmt.Errorf("claim %q is listed twice", e.State.ID))
			break
		}
	}
	if r.err == nil && len(r.buf) != 0 {
		r.fail(fmt.Errorf("%d bytes after the state", len(r.buf)))
	}
	if r.err != nil {
		c.Reset()
		return fmt.Errorf("claims: %w", r.err)
	}
	if len(r.amounts.byFen) <= claimsAmountLimit {
		// Apply goes on sharing the amounts the restore shared.
		c.amounts.byFen = r.amounts.byFen
	}
	return nil
}

// claimsWriter writes the claims' state, numbering names as they first
// appear. err is the first amount it could not write.
type claimsWriter struct {
	namedWriter
	err error
}

func (w *claimsWriter) amount(a money.Amount) {
	fen, ok := amountFen(a)
	if !ok && w.err == nil {
		w.err = fmt.Errorf("claims: amount %s is not a whole number of fen within %d", a, int64(maxFen))
	}
	w.varint(fen)
}

// maxFen bounds the amounts written; every amount the ledger accepts
// (under a trillion yuan) is far below.
const maxFen = 1 << 61

// amountFen returns a in fen, if it is a whole number of fen within
// maxFen: money.Parse of its text gives back the same decimal, scaled
// to two places, as fen do.
func amountFen(a money.Amount) (int64, bool) {
	d := a.Decimal()
	exp := d.Exponent()
	if exp < -2 || exp > 16 {
		return 0, false
	}
	c := d.Coefficient()
	if !c.IsInt64() {
		return 0, false
	}
	fen := c.Int64()
	for range exp + 2 {
		if fen > maxFen/10 || fen < -maxFen/10 {
			return 0, false
		}
		fen *= 10
	}
	return fen, fen < maxFen && fen > -maxFen
}

// count writes a slice's length plus one, or 0 for a nil slice.
func (w *claimsWriter) count(n int, isNil bool) {
	if isNil {
		w.uvarint(0)
		return
	}
	w.uvarint(uint64(n) + 1)
}

func (w *claimsWriter) time(t time.Time) {
	_, offset := t.Zone()
	w.varint(t.Unix())
	w.uvarint(uint64(t.Nanosecond()))
	w.varint(int64(offset))
}

func (w *claimsWriter) state(s *claim.State) {
	w.str(s.ID)
	w.name(string(s.Status))
	w.name(string(s.Programme))
	w.name(s.Beneficiary.Kind)
	w.str(s.Beneficiary.Ref)
	w.name(string(s.Region))
	w.name(s.BudgetLineID)
	w.date(s.EffectiveDate)
	w.count(len(s.UniquenessKeys), s.UniquenessKeys == nil)
	for _, k := range s.UniquenessKeys {
		w.name(k.Rule)
		w.str(k.Value)
	}
	w.name(s.SubmittedBy)
	w.bool(s.Assessment != nil)
	if a := s.Assessment; a != nil {
		w.assessment(a)
	}
	w.name(s.Terms.PolicyVersion)
	w.amount(s.Terms.TwoApproverThreshold)
	w.varint(int64(s.Terms.DisclosureWorkingDays))
	for _, a := range [...]money.Amount{s.Approved, s.Payable, s.Paid, s.Recovered} {
		w.amount(a)
	}
	w.count(len(s.Instalments), s.Instalments == nil)
	for i := range s.Instalments {
		in := &s.Instalments[i]
		w.varint(int64(in.Number))
		w.name(in.Label)
		w.amount(in.Amount)
		w.name(string(in.Status))
		w.str(in.PaymentID)
		w.varint(int64(in.Attempts))
	}
	w.varint(int64(s.Round))
	w.count(len(s.Approvals), s.Approvals == nil)
	for i := range s.Approvals {
		d := &s.Approvals[i]
		w.name(d.Actor)
		w.name(d.Role)
		w.time(d.At)
		w.name(d.Reason)
	}
	w.date(s.DisclosureStart)
	w.count(len(s.Recoveries), s.Recoveries == nil)
	for _, id := range s.Recoveries {
		w.str(id)
	}
	w.count(len(s.Evidence), s.Evidence == nil)
	for i := range s.Evidence {
		ev := &s.Evidence[i]
		w.name(string(ev.Kind))
		w.str(ev.DocumentNo)
		w.str(ev.Digest)
		w.date(ev.ReceivedOn)
		w.str(ev.Note)
		w.name(ev.Actor)
		w.name(ev.Role)
		w.time(ev.At)
	}
}

func (w *claimsWriter) assessment(a *eligibility.Assessment) {
	w.name(string(a.Programme))
	w.name(a.PolicyVersion)
	w.date(a.EffectiveDate)
	w.bool(a.Eligible)
	w.bool(a.NeedsManualReview)
	w.amount(a.Amount)
	w.count(len(a.Checks), a.Checks == nil)
	for _, ch := range a.Checks {
		w.name(ch.Rule)
		w.bool(ch.Passed)
		w.str(ch.Detail)
	}
	w.count(len(a.Review), a.Review == nil)
	for _, rule := range a.Review {
		w.name(rule)
	}
}

// claimsReader reads what a claimsWriter wrote. Its name table shares
// each repeated text among the claims, and each distinct amount is made
// once (amounts are immutable).
type claimsReader struct {
	namedReader
	amounts amountTable
	zones   map[int64]*time.Location
}

func (r *claimsReader) amount() money.Amount {
	fen := r.varint()
	if r.err != nil {
		return money.Amount{}
	}
	if fen >= maxFen || fen <= -maxFen {
		r.fail(fmt.Errorf("an amount of %d fen", fen))
		return money.Amount{}
	}
	a, _ := r.amounts.of(fen) // the reader's table has no limit
	return a
}

// count reads what claimsWriter.count wrote: the length, and whether the
// slice is nil.
func (r *claimsReader) count() (n int, isNil bool) {
	v := r.stateReader.count()
	if v == 0 {
		return 0, true
	}
	return v - 1, false
}

func (r *claimsReader) time() time.Time {
	sec, nsec, offset := r.varint(), r.uvarint(), r.varint()
	if r.err != nil {
		return time.Time{}
	}
	if nsec >= 1e9 || offset <= -24*3600 || offset >= 24*3600 {
		r.fail(fmt.Errorf("time %d.%d at offset %d", sec, nsec, offset))
		return time.Time{}
	}
	t := time.Unix(sec, int64(nsec))
	if offset == 0 {
		return t.UTC()
	}
	loc := r.zones[offset]
	if loc == nil {
		loc = time.FixedZone("", int(offset))
		r.zones[offset] = loc
	}
	return t.In(loc)
}

func (r *claimsReader) state(s *claim.State) {
	s.ID = r.str()
	s.Status = claim.Status(r.name())
	s.Programme = programme.Code(r.name())
	s.Beneficiary.Kind = r.name()
	s.Beneficiary.Ref = r.str()
	s.Region = region.Code(r.name())
	s.BudgetLineID = r.name()
	s.EffectiveDate = r.date()
	if n, isNil := r.count(); !isNil {
		s.UniquenessKeys = make([]uniqueness.Key, n)
		for i := range s.UniquenessKeys {
			s.UniquenessKeys[i] = uniqueness.Key{Rule: r.name(), Value: r.str()}
		}
	}
	s.SubmittedBy = r.name()
	if r.bool() {
		s.Assessment = r.assessment()
	}
	s.Terms.PolicyVersion = r.name()
	s.Terms.TwoApproverThreshold = r.amount()
	s.Terms.DisclosureWorkingDays = int(r.varint())
	for _, a := range [...]*money.Amount{&s.Approved, &s.Payable, &s.Paid, &s.Recovered} {
		*a = r.amount()
	}
	if n, isNil := r.count(); !isNil {
		s.Instalments = make([]claim.Instalment, n)
		for i := range s.Instalments {
			in := &s.Instalments[i]
			in.Number = int(r.varint())
			in.Label = r.name()
			in.Amount = r.amount()
			in.Status = claim.InstalmentStatus(r.name())
			in.PaymentID = r.str()
			in.Attempts = int(r.varint())
		}
	}
	s.Round = int(r.varint())
	if n, isNil := r.count(); !isNil {
		s.Approvals = make([]claim.Decision, n)
		for i := range s.Approvals {
			d := &s.Approvals[i]
			d.Actor, d.Role = r.name(), r.name()
			d.At = r.time()
			d.Reason = r.name()
		}
	}
	s.DisclosureStart = r.date()
	if n, isNil := r.count(); !isNil {
		s.Recoveries = make([]string, n)
		for i := range s.Recoveries {
			s.Recoveries[i] = r.str()
		}
	}
	if n, isNil := r.count(); !isNil {
		s.Evidence = make([]claim.Evidence, n)
		for i := range s.Evidence {
			ev := &s.Evidence[i]
			ev.Kind = claim.EvidenceKind(r.name())
			ev.DocumentNo, ev.Digest = r.str(), r.str()
			ev.ReceivedOn = r.date()
			ev.Note = r.str()
			ev.Actor, ev.Role = r.name(), r.name()
			ev.At = r.time()
		}
	}
}

func (r *claimsReader) assessment() *eligibility.Assessment {
	a := &eligibility.Assessment{Programme: programme.Code(r.name()), PolicyVersion: r.name(), EffectiveDate: r.date(),
		Eligible: r.bool(), NeedsManualReview: r.bool(), Amount: r.amount()}
	if n, isNil := r.count(); !isNil {
		a.Checks = make([]eligibility.Check, n)
		for i := range a.Checks {
			a.Checks[i] = eligibility.Check{Rule: r.name(), Passed: r.bool(), Detail: r.str()}
		}
	}
	if n, isNil := r.count(); !isNil {
		a.Review = make([]string, n)
		for i := range a.Review {
			a.Review[i] = r.name()
		}
	}
	return a
}
