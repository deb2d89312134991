package projections

import (
	"fmt"
	"slices"
	"strings"

	"github.com/tidwall/btree"

	"github.com/haixi-hrss/fundledger/domain"
	"github.com/haixi-hrss/fundledger/domain/absorption"
	"github.com/haixi-hrss/fundledger/domain/claim"
	"github.com/haixi-hrss/fundledger/domain/employer"
	"github.com/haixi-hrss/fundledger/domain/identity"
	"github.com/haixi-hrss/fundledger/domain/programme"
	"github.com/haixi-hrss/fundledger/domain/uniqueness"
	"github.com/haixi-hrss/fundledger/eventstore"
)

// AnomalyKind names what an anomaly is. The strings are stable: reports
// and filters use them.
type AnomalyKind string

// The kinds of anomaly the auditors' report finds.
const (
	// ExclusiveProgrammes: a person paid for under two programmes that
	// exclude each other (see Exclusions).
	ExclusiveProgrammes AnomalyKind = "exclusive-programmes"
	// PaymentAfterClawback: a payment released or paid after a clawback
	// on the same claim or to the same beneficiary.
	PaymentAfterClawback AnomalyKind = "payment-after-clawback"
	// SelfApproval: a claim approved by the clerk who submitted it.
	SelfApproval AnomalyKind = "self-approval"
	// PaymentToDishonestEmployer: a payment released or paid to a unit
	// flagged seriously dishonest (严重失信) and not cleared.
	PaymentToDishonestEmployer AnomalyKind = "payment-to-dishonest-employer"
)

// Anomaly is one finding for the auditors. It names persons only by their
// keyed reference.
type Anomaly struct {
	Kind AnomalyKind `json:"kind"`
	// Claims are the claims involved, the one whose event revealed the
	// anomaly last.
	Claims []string `json:"claims"`
	// Positions are the global positions of the events involved, in
	// ascending order; the last revealed the anomaly.
	Positions []uint64 `json:"positions"`
	// Subject is whom the anomaly concerns: the person or unit paid
	// twice, after a clawback, or while dishonest. Empty for SelfApproval.
	Subject claim.Beneficiary `json:"subject,omitzero"`
	// Actor is the user who approved their own claim (SelfApproval).
	Actor       string `json:"actor,omitempty"`
	Explanation string `json:"explanation"`
}

// SamePerson is Exclusion.Shared for programmes that exclude each other
// for the same person.
const SamePerson = "person"

// Exclusion is a pair of programmes that must not both pay for the same
// subject.
type Exclusion struct {
	Programmes [2]programme.Code
	// Shared is what the two claims have in common when they conflict:
	// SamePerson, or the rule of a uniqueness key whose value both hold.
	Shared string
	// Basis cites the rule, for the explanation.
	Basis string
}

// Exclusions returns the programmes that exclude each other, the one
// place they are listed. Programme "absorption" is this ledger's subsidy
// for hiring a person with employment difficulty (吸纳就业补贴); the
// expansion grant's rule not-combined-with-absorption excludes it for the
// same person.
func Exclusions() []Exclusion {
	return []Exclusion{
		{
			Programmes: [2]programme.Code{programme.Expansion, programme.Absorption},
			Shared:     SamePerson,
			Basis:      "the one-time job-expansion grant is not combined with an absorption subsidy for the same person (rule not-combined-with-absorption)",
		},
		{
			Programmes: [2]programme.Code{programme.Absorption, programme.SocialInsurance},
			Shared:     absorption.KeyPersonMonth,
			Basis:      "a person's premiums for one month are subsidised once, to the employer or to the person (uniqueness rule " + absorption.KeyPersonMonth + ")",
		},
	}
}

// AnomalyFilter selects anomalies; the zero filter matches every one.
type AnomalyFilter struct {
	Kind AnomalyKind
}

// Anomalies is the auditors' anomaly report. The domain refuses most of
// what it finds, but the log may hold events written by an older version
// or imported from elsewhere, and some (a payment after a clawback) are
// allowed yet worth a look. It is not safe for concurrent use; while a
// Runner feeds it, query it inside Runner.Read.
//
// Its indexes are copy-on-write trees, so that Freeze hands a save the
// whole model in constant time (anomalies_state.go).
type Anomalies struct {
	exclusions []Exclusion
	// found only grows.
	found  []Anomaly
	claims *btree.Map[string, *watchedClaim]
	// paid indexes the claims of excluding programmes by what an
	// exclusion compares: "person|<ref>" or "<rule>|<key value>".
	paid *btree.Map[string, []paidClaim]
	// clawbacks holds each beneficiary's first clawback, by "kind|ref".
	clawbacks *btree.Map[string, mark]
	// dishonest holds the units flagged and not cleared, by credit code.
	dishonest *btree.Map[string, mark]
	// gen is the generation of the watched claims Apply may change in
	// place: those made since the last Freeze.
	gen uint64
}

// mark is where something happened.
type mark struct {
	Claim    string `json:"claim,omitempty"`
	Position uint64 `json:"position"`
}

type paidClaim struct {
	Claim     string         `json:"claim"`
	Programme programme.Code `json:"programme"`
	Position  uint64         `json:"position"`
}

// watchedClaim is what the report keeps of a claim.
type watchedClaim struct {
	Programme   programme.Code    `json:"programme"`
	Beneficiary claim.Beneficiary `json:"beneficiary"`
	SubmittedBy string            `json:"submittedBy"`
	Submitted   uint64            `json:"submitted"`
	Keys        []uniqueness.Key  `json:"keys,omitempty"`
	// Paid and ClawedBack are the positions of the first payment and
	// clawback, 0 if none.
	Paid       uint64 `json:"paid,omitempty"`
	ClawedBack uint64 `json:"clawedBack,omitempty"`
	// Reported holds "<kind>|<instalment>|<payment ID>" for payments
	// already reported, so a release and its settlement count once.
	Reported map[string]bool `json:"reported,omitempty"`
	// SelfApproved holds the review rounds already reported.
	SelfApproved []int `json:"selfApproved,omitempty"`
	// gen is the Anomalies' generation when the entry was made.
	gen uint64
}

// NewAnomalies returns an empty report over Exclusions.
func NewAnomalies() *Anomalies {
	a := &Anomalies{exclusions: Exclusions()}
	a.Reset()
	return a
}

// Name implements Projection.
func (a *Anomalies) Name() string { return "anomalies" }

// Reset implements Projection.
func (a *Anomalies) Reset() {
	// New trees, never the old ones emptied: an image may hold them.
	a.found, a.claims, a.paid = nil, new(btree.Map[string, *watchedClaim]), new(btree.Map[string, []paidClaim])
	a.clawbacks, a.dishonest = new(btree.Map[string, mark]), new(btree.Map[string, mark])
}

// List returns the anomalies f selects in the order the log revealed
// them.
func (a *Anomalies) List(f AnomalyFilter) []Anomaly {
	var out []Anomaly
	for _, an := range a.found {
		if f.Kind == "" || an.Kind == f.Kind {
			out = append(out, cloneAnomaly(an))
		}
	}
	return out
}

func cloneAnomaly(an Anomaly) Anomaly {
	an.Claims, an.Positions = slices.Clone(an.Claims), slices.Clone(an.Positions)
	return an
}

// anomalyTypes are the event types Apply reads.
var anomalyTypes = map[string]bool{
	claim.Submitted{}.EventType():            true,
	claim.ApprovalRecorded{}.EventType():     true,
	claim.Approved{}.EventType():             true,
	claim.PaymentReleased{}.EventType():      true,
	claim.InstalmentPaid{}.EventType():       true,
	claim.ClawedBack{}.EventType():           true,
	employer.DishonestyFlagged{}.EventType(): true,
	employer.DishonestyCleared{}.EventType(): true,
}

// Interest implements Selective: the claim events above and the
// employers' dishonesty flags, not their monthly reports.
func (a *Anomalies) Interest(eventType string) Interest {
	if anomalyTypes[eventType] {
		return Payload
	}
	return Ignore
}

// Apply implements Projection. Events of a claim whose submission the log
// does not hold are skipped: there is no submitter or beneficiary to
// judge them by.
func (a *Anomalies) Apply(ev domain.Event, env *eventstore.Event) error {
	if code, ok := strings.CutPrefix(env.Stream, employer.Stream("")); ok {
		switch ev.(type) {
		case *employer.DishonestyFlagged:
			if _, ok := a.dishonest.Get(code); !ok {
				a.dishonest.Set(code, mark{Position: env.Position})
			}
		case *employer.DishonestyCleared:
			a.dishonest.Delete(code)
		}
		return nil
	}
	id, ok := strings.CutPrefix(env.Stream, claim.Stream(""))
	if !ok {
		return nil
	}
	if e, ok := ev.(*claim.Submitted); ok {
		a.claims.Set(id, &watchedClaim{Programme: e.Programme, Beneficiary: e.Beneficiary,
			SubmittedBy: e.Actor, Submitted: env.Position, Keys: e.UniquenessKeys, gen: a.gen})
		return nil
	}
	w, ok := a.claim(id)
	if !ok {
		return nil
	}
	switch e := ev.(type) {
	case *claim.ApprovalRecorded:
		a.selfApproval(id, w, env, e.Round, e.Actor)
	case *claim.Approved:
		a.selfApproval(id, w, env, e.Round, append([]string{e.Actor}, e.Approvers...)...)
	case *claim.PaymentReleased:
		a.payment(id, w, env, e.Instalment, e.PaymentID, "released")
	case *claim.InstalmentPaid:
		a.payment(id, w, env, e.Instalment, e.PaymentID, "paid")
		if w.Paid == 0 {
			w.Paid = env.Position
			a.excluded(id, w, env.Position)
		}
	case *claim.ClawedBack:
		if w.ClawedBack == 0 {
			w.ClawedBack = env.Position
		}
		if _, ok := a.clawbacks.Get(beneficiaryKey(w.Beneficiary)); !ok {
			a.clawbacks.Set(beneficiaryKey(w.Beneficiary), mark{Claim: id, Position: env.Position})
		}
	}
	return nil
}

// selfApproval reports an approval of claim id by its submitter, once per
// review round (an approval and the approval decision it completes are
// one act).
func (a *Anomalies) selfApproval(id string, w *watchedClaim, env *eventstore.Event, round int, actors ...string) {
	if w.SubmittedBy == "" || !slices.Contains(actors, w.SubmittedBy) || slices.Contains(w.SelfApproved, round) {
		return
	}
	w.SelfApproved = append(w.SelfApproved, round)
	a.record(Anomaly{Kind: SelfApproval, Claims: []string{id}, Positions: []uint64{w.Submitted, env.Position}, Actor: w.SubmittedBy,
		Explanation: fmt.Sprintf("claim %s was submitted by %s (position %d) and approved by the same user (position %d, %s); maker-checker requires a different approver",
			id, w.SubmittedBy, w.Submitted, env.Position, env.Type)})
}

// payment reports a payment of claim id released or paid after a
// clawback, or to a unit flagged dishonest; each payment once per kind.
func (a *Anomalies) payment(id string, w *watchedClaim, env *eventstore.Event, instalment int, paymentID, verb string) {
	what := fmt.Sprintf("instalment %d (payment %s) was %s at position %d", instalment, paymentID, verb, env.Position)
	if cb, ok := a.clawbacks.Get(beneficiaryKey(w.Beneficiary)); ok && w.report(PaymentAfterClawback, instalment, paymentID) {
		an := Anomaly{Kind: PaymentAfterClawback, Subject: w.Beneficiary}
		if w.ClawedBack != 0 {
			an.Claims, an.Positions = []string{id}, []uint64{w.ClawedBack, env.Position}
			an.Explanation = fmt.Sprintf("claim %s: %s after a clawback on the same claim (position %d)", id, what, w.ClawedBack)
		} else {
			an.Claims, an.Positions = []string{cb.Claim, id}, []uint64{cb.Position, env.Position}
			an.Explanation = fmt.Sprintf("claim %s: %s after a clawback from the same %s on claim %s (position %d)",
				id, what, w.Beneficiary.Kind, cb.Claim, cb.Position)
		}
		a.record(an)
	}
	if w.Beneficiary.Kind == claim.Person {
		return
	}
	if flag, ok := a.dishonest.Get(w.Beneficiary.Ref); ok && w.report(PaymentToDishonestEmployer, instalment, paymentID) {
		a.record(Anomaly{Kind: PaymentToDishonestEmployer, Claims: []string{id}, Positions: []uint64{flag.Position, env.Position},
			Subject: w.Beneficiary,
			Explanation: fmt.Sprintf("claim %s: %s to %s %s, flagged seriously dishonest at position %d and not cleared",
				id, what, w.Beneficiary.Kind, w.Beneficiary.Ref, flag.Position)})
	}
}

// report records that claim w's payment was reported as kind and reports
// whether it had not been already.
func (w *watchedClaim) report(kind AnomalyKind, instalment int, paymentID string) bool {
	key := fmt.Sprintf("%s|%d|%s", kind, instalment, paymentID)
	if w.Reported[key] {
		return false
	}
	if w.Reported == nil {
		w.Reported = map[string]bool{}
	}
	w.Reported[key] = true
	return true
}

// excluded reports claim id, paid for the first time at pos, against the
// claims paid earlier under a programme its own excludes, and indexes it
// for the claims paid later.
func (a *Anomalies) excluded(id string, w *watchedClaim, pos uint64) {
	var indexed []string
	for _, ex := range a.exclusions {
		other, ok := ex.other(w.Programme)
		if !ok {
			continue
		}
		for _, shared := range ex.sharedValues(w) {
			var earlier []paidClaim
			paid, _ := a.paid.Get(shared)
			for _, p := range paid {
				if p.Programme == other && p.Claim != id {
					earlier = append(earlier, p)
				}
			}
			if len(earlier) > 0 {
				a.record(exclusionAnomaly(ex, shared, earlier, paidClaim{Claim: id, Programme: w.Programme, Position: pos}))
			}
			if !slices.Contains(indexed, shared) {
				indexed = append(indexed, shared)
			}
		}
	}
	for _, shared := range indexed {
		// The list only grows: an image that shares it keeps its length.
		paid, _ := a.paid.Get(shared)
		a.paid.Set(shared, append(paid, paidClaim{Claim: id, Programme: w.Programme, Position: pos}))
	}
}

func exclusionAnomaly(ex Exclusion, shared string, earlier []paidClaim, now paidClaim) Anomaly {
	an := Anomaly{Kind: ExclusiveProgrammes}
	var list []string
	for _, p := range append(earlier, now) {
		an.Claims = append(an.Claims, p.Claim)
		an.Positions = append(an.Positions, p.Position)
		list = append(list, fmt.Sprintf("%s under %s (paid at position %d)", p.Claim, p.Programme, p.Position))
	}
	// Both kinds of shared value begin with the rule, then the person.
	fields := strings.Split(shared, "|")
	an.Subject = claim.Beneficiary{Kind: claim.Person, Ref: fields[1]}
	what := "the same person"
	if ex.Shared != SamePerson {
		what = fmt.Sprintf("the same %s key %s", ex.Shared, strings.Join(fields[1:], "|"))
	}
	an.Explanation = fmt.Sprintf("claims %s were paid for %s; %s and %s exclude each other: %s",
		strings.Join(list, ", "), what, ex.Programmes[0], ex.Programmes[1], ex.Basis)
	return an
}

// other returns the programme p is excluded with, if ex names p.
func (ex Exclusion) other(p programme.Code) (programme.Code, bool) {
	switch p {
	case ex.Programmes[0]:
		return ex.Programmes[1], true
	case ex.Programmes[1]:
		return ex.Programmes[0], true
	}
	return "", false
}

// sharedValues returns what claim w offers ex to compare: "person|<ref>"
// for each person it is about, or "<rule>|<value>" for each of its keys
// of ex's rule.
func (ex Exclusion) sharedValues(w *watchedClaim) []string {
	var out []string
	if ex.Shared == SamePerson {
		for _, p := range w.persons() {
			out = append(out, SamePerson+"|"+p)
		}
		return out
	}
	for _, k := range w.Keys {
		if k.Rule == ex.Shared {
			out = append(out, k.Rule+"|"+k.Value)
		}
	}
	return out
}

// persons returns the references of the persons claim w is about: a
// person beneficiary, and the person each person-scoped uniqueness key
// begins with ("<ref>" or "<ref>|…").
func (w *watchedClaim) persons() []string {
	var out []string
	if w.Beneficiary.Kind == claim.Person {
		out = append(out, w.Beneficiary.Ref)
	}
	for _, k := range w.Keys {
		first, _, _ := strings.Cut(k.Value, "|")
		if _, err := identity.ParsePersonRef("key", first); err == nil && !slices.Contains(out, first) {
			out = append(out, first)
		}
	}
	slices.Sort(out)
	return out
}

func beneficiaryKey(b claim.Beneficiary) string { return b.Kind + "|" + b.Ref }

func (a *Anomalies) record(an Anomaly) { a.found = append(a.found, an) }
