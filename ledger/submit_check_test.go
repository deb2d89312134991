package ledger_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"reflect"
	"testing"

	"github.com/google/uuid"

	"github.com/haixi-hrss/fundledger/domain"
	"github.com/haixi-hrss/fundledger/domain/claim"
	"github.com/haixi-hrss/fundledger/domain/expansion"
	"github.com/haixi-hrss/fundledger/domain/identity"
	"github.com/haixi-hrss/fundledger/domain/policy"
	"github.com/haixi-hrss/fundledger/domain/programme"
	"github.com/haixi-hrss/fundledger/domain/role"
	"github.com/haixi-hrss/fundledger/ledger"
	"github.com/haixi-hrss/fundledger/persondata"
)

// requestSpace derives a request's command IDs from its key, as the API
// derives them from the request's.
var requestSpace = uuid.MustParse("0b6f7d1e-3c55-4f0e-9a43-7c2d5e8f9a10")

// checkOf is the clerk's check recording the assessment of f under the
// seeded expansion policy.
func checkOf(t testing.TB, f expansion.Facts) claim.Check {
	t.Helper()
	vs, err := policy.Seed()
	if err != nil {
		t.Fatal(err)
	}
	v, err := policy.Select(vs, programme.Expansion, claimEffective)
	if err != nil {
		t.Fatal(err)
	}
	a, err := expansion.Assess(v, claimEffective, f)
	if err != nil {
		t.Fatal(err)
	}
	return claim.Check{Assessment: a, Policy: v, Actor: "clerk1", Role: role.Clerk, At: claimAt}
}

// filing is one claim request: employer i's claim for f, under request
// key key ("" for none), naming the person by reference, or by resident
// ID when rid is set (f's person must then be rid's reference).
type filing struct {
	i   int
	f   expansion.Facts
	key string
	rid identity.ResidentID
}

// file submits and checks the claim as the API does: the submission under
// the request's key, the check under a StepKey and an ID derived from it.
func (r filing) file(svc *ledger.Service, people *ledger.People, check claim.Check) (sub, chk ledger.Result, err error) {
	ctx := context.Background()
	name := r.key
	if name == "" {
		name = expansionClaimID(r.i)
	}
	env := ledger.Command{ID: uuid.NewSHA1(requestSpace, []byte(name+"/submit")), IdempotencyKey: r.key, Actor: "clerk1", Role: role.Clerk}
	next := ledger.ClaimCheck{Check: check, Env: ledger.Command{ID: uuid.NewSHA1(requestSpace, []byte(name+"/check")), Actor: "clerk1", Role: role.Clerk}}
	if r.key != "" {
		next.Env.StepKey = r.key + "/check"
	}
	cmd := submitExpansion(r.i, r.f)
	if r.rid.IsZero() {
		return ledger.SubmitClaimChecked(ctx, svc, cmd, env, next)
	}
	return ledger.SubmitPersonClaimChecked(ctx, svc, people, r.rid, "",
		func(identity.PersonRef, identity.Facts) claim.Submit { return cmd }, env, next)
}

// testHasher makes the same person references on every store of a test,
// so runs on two stores can be compared event for event.
func testHasher(t testing.TB) identity.Hasher {
	t.Helper()
	h, err := identity.NewHasher(bytes.Repeat([]byte("c"), identity.MinSecretLen))
	if err != nil {
		t.Fatal(err)
	}
	return h
}

func peopleWith(t testing.TB, dir string, h identity.Hasher) *ledger.People {
	t.Helper()
	p, err := ledger.OpenPeopleWith(dir, h)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { p.Close() })
	return p
}

// filings are the three ways a request reaches the one commit: keyed
// (tried before any read), by resident ID (after the reads and the
// person's registration), and unkeyed (after the reads).
func filings(t testing.TB, i int, key string) []struct {
	name string
	r    filing
} {
	rid := residentID(t, "19990315", 100+i)
	return []struct {
		name string
		r    filing
	}{
		{"keyed", filing{i: i, f: hire(hiredPerson, i), key: key}},
		{"by resident ID", filing{i: i, f: hire(testHasher(t).Ref(rid), i), key: key, rid: rid}},
		{"unkeyed", filing{i: i, f: hire(hiredPerson, i)}},
	}
}

// sameAnswer fails unless got and want say the same, apart from
// Replayed: events compared as the response encodes them.
func sameAnswer(t *testing.T, what string, got, want ledger.Result) {
	t.Helper()
	if got.Stream != want.Stream || got.FirstVersion != want.FirstVersion || got.LastVersion != want.LastVersion ||
		got.Position != want.Position || !reflect.DeepEqual(got.EventIDs, want.EventIDs) {
		t.Errorf("%s: %s v%d-%d at %d, IDs %v; want %s v%d-%d at %d, IDs %v", what,
			got.Stream, got.FirstVersion, got.LastVersion, got.Position, got.EventIDs,
			want.Stream, want.FirstVersion, want.LastVersion, want.Position, want.EventIDs)
	}
	g, err := json.Marshal(got.Events)
	if err != nil {
		t.Fatal(err)
	}
	w, err := json.Marshal(want.Events)
	if err != nil {
		t.Fatal(err)
	}
	if len(want.Events) == 0 || !bytes.Equal(g, w) {
		t.Errorf("%s: events %s, want %s", what, g, w)
	}
}

// TestSubmitClaimCheckedInOneCommit: a new claim and its check cost one
// multi-stream commit and no other append; the results, the claim's
// stored events (IDs, versions, positions, metadata, data) and the log
// head are those of the two steps one after the other on a store without
// multi-stream appends; and the service's fold of the claim is the one
// after both, so the approval that follows decides without a read.
func TestSubmitClaimCheckedInOneCommit(t *testing.T) {
	ctx := context.Background()
	for _, tc := range filings(t, 1, "file-1") {
		t.Run(tc.name, func(t *testing.T) {
			m := &multiStore{MultiAppender: openStore(t, t.TempDir())}
			p := &plainStore{Store: openStore(t, t.TempDir())}
			svcM, svcP := claimService(t, m), claimService(t, p)
			check := checkOf(t, tc.r.f)
			sub, chk, err := tc.r.file(svcM, peopleWith(t, t.TempDir(), testHasher(t)), check)
			if err != nil {
				t.Fatal(err)
			}
			if a, n := m.appends.Load(), m.multis.Load(); a != 0 || n != 1 {
				t.Errorf("%d appends and %d multi-stream commits, want one commit", a, n)
			}
			wantSub, wantChk, err := tc.r.file(svcP, peopleWith(t, t.TempDir(), testHasher(t)), check)
			if err != nil {
				t.Fatal(err)
			}
			if sub.Replayed || chk.Replayed {
				t.Errorf("replayed %v, %v on a new claim", sub.Replayed, chk.Replayed)
			}
			sameAnswer(t, "submission", sub, wantSub)
			sameAnswer(t, "check", chk, wantChk)
			if chk.FirstVersion != sub.LastVersion+1 {
				t.Errorf("check from version %d, submission up to %d", chk.FirstVersion, sub.LastVersion)
			}

			stream := claim.Stream(expansionClaimID(1))
			got, want := readStream(t, m, stream), readStream(t, p, stream)
			if len(got) != len(want) || len(got) != len(sub.Events)+len(chk.Events) {
				t.Fatalf("claim stream holds %d events, %d after two steps, want %d", len(got), len(want), len(sub.Events)+len(chk.Events))
			}
			for i := range got {
				g, w := got[i], want[i]
				if g.ID != w.ID || g.Version != w.Version || g.Position != w.Position || g.Type != w.Type ||
					g.Metadata != w.Metadata || !bytes.Equal(g.Data, w.Data) {
					t.Errorf("claim event %d: %s %s v%d at %d %+v; after two steps %s %s v%d at %d %+v",
						i, g.ID, g.Type, g.Version, g.Position, g.Metadata, w.ID, w.Type, w.Version, w.Position, w.Metadata)
				}
			}
			if h, w := lastPosition(t, m), lastPosition(t, p); h != w {
				t.Errorf("log head %d, %d after two steps", h, w)
			}

			reads := m.reads.Load()
			approve := claim.Approve{Reason: "evidence complete", Actor: "appr1", Role: role.Approver, At: claimAt}
			if _, err := ledger.Handle(ctx, svcM, ledger.ClaimAggregate(expansionClaimID(1)), ledger.Command{ID: uuid.New()},
				func(st claim.State) ([]domain.Event, error) { return claim.Decide(st, approve) }); err != nil {
				t.Fatal(err)
			}
			if n := m.reads.Load() - reads; n != 0 {
				t.Errorf("the approval after the commit read %d streams, want none: the service's fold is not the one after the check", n)
			}
		})
	}
}

// TestSubmitClaimCheckedRetry (design invariant 10): the same request
// again, by the same service or after a restart, replays both results
// and appends nothing.
func TestSubmitClaimCheckedRetry(t *testing.T) {
	for _, restart := range []bool{false, true} {
		for _, tc := range filings(t, 1, "file-1") {
			if tc.r.key == "" {
				continue // a request without a key is not retried
			}
			t.Run(tc.name+map[bool]string{false: "", true: " after a restart"}[restart], func(t *testing.T) {
				m := &multiStore{MultiAppender: openStore(t, t.TempDir())}
				svc, people := claimService(t, m), peopleWith(t, t.TempDir(), testHasher(t))
				check := checkOf(t, tc.r.f)
				sub, chk, err := tc.r.file(svc, people, check)
				if err != nil {
					t.Fatal(err)
				}
				head := lastPosition(t, m)
				if restart {
					svc = claimService(t, m)
				}
				again, againChk, err := tc.r.file(svc, people, check)
				if err != nil {
					t.Fatal(err)
				}
				if !again.Replayed || !againChk.Replayed {
					t.Errorf("retry replayed %v, %v; want both", again.Replayed, againChk.Replayed)
				}
				sameAnswer(t, "submission", again, sub)
				sameAnswer(t, "check", againChk, chk)
				if got := lastPosition(t, m); got != head {
					t.Errorf("the retry appended: log at %d, was %d", got, head)
				}
			})
		}
	}
}

// TestSubmitClaimCheckedRefusals: input the check refuses, a key bound to
// other input, a uniqueness key or claim ID taken, and a commit that
// fails all write nothing; a commit that failed is completed by a retry.
func TestSubmitClaimCheckedRefusals(t *testing.T) {
	other := hire(identity.PersonRef(bytes.Repeat([]byte("4e"), 32)), 1)
	for _, tc := range []struct {
		name  string
		first bool // claim 1 for hiredPerson is filed under key file-1 first
		r     filing
		check func(expansion.Facts) claim.Check
		fail  bool // the first commit fails without writing
		want  func(error) bool
	}{
		{"the check refuses", false, filing{i: 1, f: hire(hiredPerson, 1), key: "file-1"},
			func(f expansion.Facts) claim.Check { c := checkOf(t, f); c.Role = role.Approver; return c }, false,
			func(err error) bool { return errors.Is(err, domain.ErrRejected) }},
		{"same key, other input", true, filing{i: 1, f: other, key: "file-1"}, nil, false,
			func(err error) bool { var e *ledger.IdempotencyMismatchError; return errors.As(err, &e) }},
		{"uniqueness key taken", true, filing{i: 2, f: hire(hiredPerson, 2), key: "file-2"}, nil, false,
			func(err error) bool { return errors.Is(err, ledger.ErrDuplicate) }},
		{"claim ID taken", true, filing{i: 1, f: other, key: "file-3"}, nil, false,
			func(err error) bool { return errors.Is(err, domain.ErrRejected) }},
		{"the commit fails", false, filing{i: 1, f: hire(hiredPerson, 1), key: "file-1"}, nil, true,
			func(err error) bool { return errors.Is(err, errInjected) }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			m := &multiStore{MultiAppender: openStore(t, t.TempDir())}
			svc := claimService(t, m)
			if tc.first {
				first := filing{i: 1, f: hire(hiredPerson, 1), key: "file-1"}
				if _, _, err := first.file(svc, nil, checkOf(t, first.f)); err != nil {
					t.Fatal(err)
				}
			}
			check := checkOf(t, tc.r.f)
			if tc.check != nil {
				check = tc.check(tc.r.f)
			}
			head, multis := lastPosition(t, m), m.multis.Load()
			m.failNext.Store(tc.fail)
			_, _, err := tc.r.file(svc, nil, check)
			if !tc.want(err) {
				t.Fatalf("err = %v", err)
			}
			if got := lastPosition(t, m); got != head {
				t.Errorf("log at %d, was %d: the refused request wrote", got, head)
			}
			if tc.name != "the check refuses" {
				if n := m.multis.Load() - multis; n == 0 {
					t.Error("no commit was tried")
				}
			}
			if tc.r.f.Person == other.Person {
				wantKeysFree(t, svc, other, "the refused claim's person")
			}
			if !tc.fail {
				return
			}
			sub, chk, err := tc.r.file(svc, nil, check)
			if err != nil || sub.Replayed || chk.Replayed || len(chk.Events) == 0 {
				t.Fatalf("retry after the failed commit: replayed %v, %v, %d check events, %v", sub.Replayed, chk.Replayed, len(chk.Events), err)
			}
			if got, want := lastPosition(t, m), head+uint64(len(expansion.Keys(tc.r.f))+1+len(sub.Events)+len(chk.Events)); got != want {
				t.Errorf("log at %d after the retry, want %d", got, want)
			}
		})
	}
}

// TestSubmitClaimCheckedIneligibleThenFallback: an ineligible claim is
// submitted and rejected in one commit, and ReleaseClaimKeys then frees
// its person. The person's next claim finds the keys' streams written:
// its one-commit try is refused and writes nothing, the keys are
// reserved one by one, and the check is appended after the submission,
// as two steps. Its retry replays both.
func TestSubmitClaimCheckedIneligibleThenFallback(t *testing.T) {
	ctx := context.Background()
	m := &multiStore{MultiAppender: openStore(t, t.TempDir())}
	svc := claimService(t, m)
	ineligible := hire(hiredPerson, 1)
	ineligible.InsuredAtCheck = false
	first := filing{i: 1, f: ineligible, key: "file-1"}
	_, chk, err := first.file(svc, nil, checkOf(t, ineligible))
	if err != nil {
		t.Fatal(err)
	}
	if n := m.multis.Load(); n != 1 || m.appends.Load() != 0 {
		t.Errorf("%d commits and %d appends for the ineligible claim, want one commit", n, m.appends.Load())
	}
	if len(chk.Events) != 2 || chk.Events[1].EventType() != (&claim.Rejected{}).EventType() {
		t.Fatalf("check events %v, want checked and rejected", chk.Events)
	}
	if released, err := ledger.ReleaseClaimKeys(ctx, svc, expansionClaimID(1)); err != nil || !released {
		t.Fatalf("release: %v, %v", released, err)
	}
	wantKeysFree(t, svc, ineligible, "the rejected claim")

	head, multis, appends := lastPosition(t, m), m.multis.Load(), m.appends.Load()
	second := filing{i: 2, f: hire(hiredPerson, 2), key: "file-2"}
	sub, chk, err := second.file(svc, nil, checkOf(t, second.f))
	if err != nil {
		t.Fatal(err)
	}
	keys := expansion.Keys(second.f)
	// The keys one by one, the key's claim with the submission, the check.
	if got, want := lastPosition(t, m), head+uint64(len(keys)+1+len(sub.Events)+len(chk.Events)); got != want {
		t.Errorf("log at %d, want %d: the refused commit wrote", got, want)
	}
	if n := m.multis.Load() - multis; n != 2 {
		t.Errorf("%d commits, want the refused try and the submission with its key's claim", n)
	}
	if m.appends.Load() == appends {
		t.Error("no append of its own: the keys and the check were not appended one by one")
	}
	if chk.FirstVersion != sub.LastVersion+1 || chk.Position <= sub.Position {
		t.Errorf("check v%d at %d after submission v%d at %d", chk.FirstVersion, chk.Position, sub.LastVersion, sub.Position)
	}
	for _, k := range keys {
		if h := holder(t, svc, k); h != claim.Stream(expansionClaimID(2)) {
			t.Errorf("key %s held by %q", k.Rule, h)
		}
	}
	head = lastPosition(t, m)
	again, againChk, err := second.file(svc, nil, checkOf(t, second.f))
	if err != nil || !again.Replayed || !againChk.Replayed {
		t.Fatalf("retry: replayed %v, %v, %v", again.Replayed, againChk.Replayed, err)
	}
	sameAnswer(t, "check", againChk, chk)
	if got := lastPosition(t, m); got != head {
		t.Errorf("the retry appended: log at %d, was %d", got, head)
	}
}

// TestSubmitClaimCheckedWithoutMultiAppends: on a store without
// multi-stream appends the check is appended on its own after the
// submission, as before.
func TestSubmitClaimCheckedWithoutMultiAppends(t *testing.T) {
	p := &plainStore{Store: openStore(t, t.TempDir())}
	svc := claimService(t, p)
	r := filing{i: 1, f: hire(hiredPerson, 1), key: "file-1"}
	sub, chk, err := r.file(svc, nil, checkOf(t, r.f))
	if err != nil {
		t.Fatal(err)
	}
	// Each key, the idempotency key, the submission, the check.
	if n, want := p.appends.Load(), int64(len(expansion.Keys(r.f))+3); n != want {
		t.Errorf("%d appends, want %d", n, want)
	}
	evs := readStream(t, p, sub.Stream)
	if len(evs) != 2 || evs[1].Position != chk.Position || evs[0].Position != sub.Position {
		t.Errorf("claim stream %d events; results at %d and %d", len(evs), sub.Position, chk.Position)
	}
}

// TestSubmitPersonClaimCheckedRefusedRegistersNobody: a check that
// refuses a person's new claim ends the request before the person is
// registered or anything appended.
func TestSubmitPersonClaimCheckedRefusedRegistersNobody(t *testing.T) {
	m := &multiStore{MultiAppender: openStore(t, t.TempDir())}
	dir := t.TempDir()
	people := peopleWith(t, dir, testHasher(t))
	r := filings(t, 1, "file-1")[1].r
	check := checkOf(t, r.f)
	check.Role = role.Approver
	if _, _, err := r.file(claimService(t, m), people, check); !errors.Is(err, domain.ErrRejected) {
		t.Fatalf("err = %v, want the check's refusal", err)
	}
	if head := lastPosition(t, m); head != 0 {
		t.Errorf("log at %d, want empty", head)
	}
	keys, err := persondata.Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer keys.Close()
	if _, err := keys.Get(context.Background(), people.Ref(r.rid)); !errors.Is(err, persondata.ErrUnknownPerson) {
		t.Errorf("the person's key: %v, want none registered", err)
	}
}
