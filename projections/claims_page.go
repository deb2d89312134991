package projections

import (
	"slices"
	"strings"
	"time"

	"github.com/haixi-hrss/fundledger/domain/claim"
	"github.com/haixi-hrss/fundledger/domain/role"
)

// ClaimCursor is a position in queue order. A page read after it starts
// with the first claim changed after At, or at At with an ID greater than
// ID; the zero cursor is before every claim. Because the order is by each
// claim's own key, claims that change between pages neither repeat nor
// shift the others.
type ClaimCursor struct {
	At time.Time
	ID string
}

// ClaimPage is one page of the queue.
type ClaimPage struct {
	Rows []ClaimRow
	// More is true when claims may follow the page; Next is the cursor
	// to read them after.
	More bool
	Next ClaimCursor
}

// skipBudget is how many claims NextWorkPage passes over, for the
// approver's maker-checker rule, before it returns a shorter page: it
// bounds the cost of a page for an actor with a long run of their own
// claims waiting for approval.
const skipBudget = 10_000

// FindPage returns, in queue order, up to limit (all if negative) of the
// claims f selects that come after cursor. It reads the index of f's
// fields from the cursor on, so its cost grows with the page, not with
// the queue; a filter naming an employer reads that employer's claims and
// checks the other fields. The pages put together are exactly what Find
// returns.
func (c *Claims) FindPage(f ClaimFilter, after ClaimCursor, limit int) ClaimPage {
	l := lead{s: f.Status, p: f.Programme, r: f.County}
	var keep func(*claimEntry) bool
	switch {
	case f.Employer != "":
		l = lead{k: byEmployer, e: f.Employer}
		keep = func(e *claimEntry) bool {
			return (f.Status == "" || e.State.Status == f.Status) && (f.Programme == "" || e.State.Programme == f.Programme) &&
				(f.County == "" || e.State.Region == f.County)
		}
	default:
		if f.Status != "" {
			l.k |= byStatus
		}
		if f.Programme != "" {
			l.k |= byProgramme
		}
		if f.County != "" {
			l.k |= byCounty
		}
	}
	return c.index().page(l, after, limit, keep, -1)
}

// NextWorkPage returns, in queue order, up to limit (all if negative) of
// the claims NextWork lists that come after cursor. The approver's list skips the
// claims the actor submitted or already approved while it reads; after
// 10,000 such claims in one page it returns the page so far, perhaps
// empty, with More set and a cursor past them. The pages put together are
// exactly what NextWork returns.
func (c *Claims) NextWorkPage(r, actor string, after ClaimCursor, limit int) ClaimPage {
	return c.nextWorkPage(r, actor, after, limit, skipBudget)
}

func (c *Claims) nextWorkPage(r, actor string, after ClaimCursor, limit, budget int) ClaimPage {
	if strings.TrimSpace(actor) == "" {
		return ClaimPage{}
	}
	l := lead{k: byWork}
	var keep func(*claimEntry) bool
	switch r {
	case role.Clerk:
		l.w = clerkWork
	case role.Approver:
		l.w = approverWork
		keep = func(e *claimEntry) bool {
			return e.State.SubmittedBy != actor && !slices.ContainsFunc(e.State.Approvals, func(d claim.Decision) bool { return d.Actor == actor })
		}
	case role.Treasurer:
		l.w = treasurerWork
	default:
		return ClaimPage{}
	}
	return c.index().page(l, after, limit, keep, budget)
}

// page reads l's tree after the cursor: up to limit (none if negative)
// entries keep accepts (nil keeps all), and whether another follows. It
// stops early, with More set, after passing over more than budget (none
// if negative) entries keep refuses.
func (x *claimIndex) page(l lead, after ClaimCursor, limit int, keep func(*claimEntry) bool, budget int) ClaimPage {
	var p ClaimPage
	t := x.tree(l, false)
	if t == nil {
		return p
	}
	if limit >= 0 {
		p.Rows = make([]ClaimRow, 0, min(limit, t.Len()))
	}
	pivot := queued{at: atKey(after.At), e: &claimEntry{State: claim.State{ID: after.ID}}}
	var last *claimEntry
	passed := 0
	it := t.Iter()
	defer it.Release()
	for ok := it.Seek(pivot); ok; ok = it.Next() {
		q := it.Item()
		if queueCompare(q, pivot) == 0 {
			continue // the cursor's own claim was on the page before
		}
		if keep != nil && !keep(q.e) {
			if passed++; budget >= 0 && passed > budget {
				p.More, last = true, q.e
				break
			}
			continue
		}
		if limit >= 0 && len(p.Rows) == limit {
			p.More = true
			break
		}
		p.Rows = append(p.Rows, q.e.row())
		last = q.e
	}
	if p.More {
		p.Next = after
		if last != nil {
			p.Next = ClaimCursor{At: last.LastChange, ID: last.State.ID}
		}
	}
	return p
}
