package projections

import (
	"fmt"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/tidwall/btree"

	"github.com/haixi-hrss/fundledger/domain"
	"github.com/haixi-hrss/fundledger/domain/claim"
	"github.com/haixi-hrss/fundledger/domain/money"
	"github.com/haixi-hrss/fundledger/domain/programme"
	"github.com/haixi-hrss/fundledger/domain/region"
	"github.com/haixi-hrss/fundledger/eventstore"
)

// ClaimRow is an officer's view of one claim in the queue. It holds no
// personal data: a person beneficiary is named only by the keyed reference
// the claim was submitted with.
type ClaimRow struct {
	ID        string         `json:"id"`
	Programme programme.Code `json:"programme"`
	// County is the region the claim was filed in.
	County region.Code `json:"county"`
	// Beneficiary is who is paid: an employer or provider by credit code,
	// a person by keyed reference.
	Beneficiary claim.Beneficiary `json:"beneficiary"`
	// Employer is the beneficiary's credit code when it is an employer,
	// empty otherwise.
	Employer      string       `json:"employer,omitempty"`
	Status        claim.Status `json:"status"`
	Approved      money.Amount `json:"approved"`
	Paid          money.Amount `json:"paid"`
	Recovered     money.Amount `json:"recovered"`
	PolicyVersion string       `json:"policyVersion,omitempty"`
	SubmittedBy   string       `json:"submittedBy"`
	// Approvers are those who approved in the current review round; an
	// objection starts a new round without them.
	Approvers   []string           `json:"approvers"`
	Instalments []claim.Instalment `json:"instalments"`
	// Evidence is how many documents were recorded on the claim; the
	// claim's evidence route lists them.
	Evidence int `json:"evidence"`
	// LastChange is when the claim's latest event was recorded.
	LastChange time.Time `json:"lastChange"`
}

// ClaimFilter selects claims; a zero field matches every claim.
type ClaimFilter struct {
	Status    claim.Status
	Programme programme.Code
	County    region.Code
	Employer  string
}

// Claims is the officers' claim queue. It folds each claim's stream with
// the domain's own claim.Evolve, so the queue cannot drift from what the
// claim aggregate decides on, and keeps ordered indexes of it (see
// claimIndex) so a page of any list costs about the page, not the queue.
// Queries may run at once with one another but not with Apply, Reset or
// UnmarshalState; while a Runner feeds it, query it inside Runner.Read.
//
// The claims are a copy-on-write tree, so that Freeze can hand a save the
// whole queue in constant time: an entry that a frozen image may share is
// never changed, Apply replaces it with a changed copy (see writable).
type Claims struct {
	claims *btree.Map[string, *claimEntry]
	// gen is the generation of the entries Apply may change in place: the
	// entries made since the last Freeze. Older ones may be in an image.
	gen uint64
	// idx is nil until the first query after a reset or a restore.
	idx   atomic.Pointer[claimIndex]
	build sync.Mutex
	// amounts shares the amounts Apply records (see compact).
	amounts amountTable
}

// claimEntry is one claim's folded state and when it last changed. The
// indexes hold pointers to entries and order them by these fields, so an
// indexed entry changes only between its removal and its re-insertion.
type claimEntry struct {
	State      claim.State `json:"state"`
	LastChange time.Time   `json:"lastChange"`
	// gen is the Claims' generation when the entry was made.
	gen uint64
}

// NewClaims returns an empty model.
func NewClaims() *Claims {
	c := &Claims{}
	c.Reset()
	return c
}

// Name implements Projection.
func (c *Claims) Name() string { return "claims" }

// Reset implements Projection.
func (c *Claims) Reset() {
	// A new tree, never the old one emptied: an image may still hold it.
	c.claims = new(btree.Map[string, *claimEntry])
	c.idx.Store(nil)
	c.amounts = amountTable{limit: claimsAmountLimit}
}

// Apply implements Projection. Claim events name their claim only through
// their stream, claim-<ID>.
func (c *Claims) Apply(ev domain.Event, env *eventstore.Event) error {
	prefix := claim.Stream("")
	if !strings.HasPrefix(env.Stream, prefix) {
		return nil
	}
	id := strings.TrimPrefix(env.Stream, prefix)
	e, ok := c.claims.Get(id)
	if _, submitted := ev.(*claim.Submitted); submitted {
		if ok {
			return fmt.Errorf("%s in %s: claim %q was already submitted", env.Type, env.Stream, id)
		}
		e = &claimEntry{gen: c.gen}
		c.claims.Set(id, e)
	} else if !ok {
		return fmt.Errorf("%s in %s: claim %q was never submitted", env.Type, env.Stream, id)
	}
	x := c.idx.Load()
	if x != nil && ok {
		x.remove(e)
	}
	e = c.writable(id, e)
	was := e.State
	e.State = claim.Evolve(was, ev)
	c.compact(&e.State, &was)
	e.LastChange = env.RecordedAt.UTC()
	if x != nil {
		x.add(e)
	}
	return nil
}

// writable returns claim id's entry e, or, when a frozen image may share
// e, a copy of it put in its place. claim.Evolve leaves the state it is
// given unchanged, so the copy may share the state's slices.
func (c *Claims) writable(id string, e *claimEntry) *claimEntry {
	if e.gen == c.gen {
		return e
	}
	cp := *e
	cp.gen = c.gen
	c.claims.Set(id, &cp)
	return &cp
}

// Freeze implements Freezer: a copy of the tree, the entries it holds
// left unchanged from now on.
func (c *Claims) Freeze() func() ([]byte, error) {
	frozen := c.claims.Copy()
	c.gen++
	return func() ([]byte, error) { return marshalClaims(frozen) }
}

// Restored implements Relayer. The fresh model has its query index
// built already when this one has: a query should not wait for it.
func (c *Claims) Restored(state []byte) (Projection, error) {
	fresh := NewClaims()
	if err := fresh.UnmarshalState(state); err != nil {
		return nil, err
	}
	if c.idx.Load() != nil {
		fresh.index()
	}
	return fresh, nil
}

// Adopt implements Relayer.
func (c *Claims) Adopt(fresh Projection) {
	f := fresh.(*Claims)
	c.claims, c.gen, c.amounts = f.claims, f.gen, f.amounts
	c.idx.Store(f.idx.Load())
}

// Claim returns claim id.
func (c *Claims) Claim(id string) (ClaimRow, bool) {
	e, ok := c.claims.Get(id)
	if !ok {
		return ClaimRow{}, false
	}
	return e.row(), true
}

// Find returns the claims f selects, in queue order: least recently
// changed first, ties by ID. It returns them all; FindPage returns a page.
func (c *Claims) Find(f ClaimFilter) []ClaimRow {
	return c.FindPage(f, ClaimCursor{}, -1).Rows
}

// Len returns how many claims the queue holds.
func (c *Claims) Len() int { return c.claims.Len() }

// NextWork returns, in queue order, the claims actor, acting in role r,
// may take the next step on:
//
//   - clerk: check a submitted claim, start the disclosure of an approved
//     one, complete a disclosure in progress;
//   - approver: approve or reject a checked claim that actor neither
//     submitted nor already approved in the current round (maker-checker,
//     two different approvers);
//   - treasurer: release a disclosed claim's scheduled or failed
//     instalment, or record the bank's result of one in flight.
//
// Other roles have no queue. The domain still decides each command; this
// is the list to offer, not a permission. It returns the whole list;
// NextWorkPage returns a page.
func (c *Claims) NextWork(r, actor string) []ClaimRow {
	return c.nextWorkPage(r, actor, ClaimCursor{}, -1, -1).Rows
}

// index returns the ordered indexes, building them on the first query
// after a reset or a restore: a rebuild or a restore then pays nothing
// for them, and Apply keeps them current from then on. Queries run
// concurrently under Runner.Read, so the build is serialised here.
func (c *Claims) index() *claimIndex {
	if x := c.idx.Load(); x != nil {
		return x
	}
	c.build.Lock()
	defer c.build.Unlock()
	if x := c.idx.Load(); x != nil {
		return x
	}
	x := buildClaimIndex(c.claims)
	c.idx.Store(x)
	return x
}

// employer is the beneficiary's credit code when it is an employer.
func (e *claimEntry) employer() string {
	if e.State.Beneficiary.Kind == claim.Employer {
		return e.State.Beneficiary.Ref
	}
	return ""
}

func (e *claimEntry) row() ClaimRow {
	s := e.State
	r := ClaimRow{
		ID: s.ID, Programme: s.Programme, County: s.Region, Beneficiary: s.Beneficiary, Status: s.Status,
		Approved: s.Approved, Paid: s.Paid, Recovered: s.Recovered, PolicyVersion: s.Terms.PolicyVersion,
		SubmittedBy: s.SubmittedBy, Approvers: []string{}, Instalments: slices.Clone(s.Instalments), Evidence: len(s.Evidence),
		LastChange: e.LastChange,
	}
	if s.Beneficiary.Kind == claim.Employer {
		r.Employer = s.Beneficiary.Ref
	}
	for _, d := range s.Approvals {
		r.Approvers = append(r.Approvers, d.Actor)
	}
	if r.Instalments == nil {
		r.Instalments = []claim.Instalment{}
	}
	return r
}
