package ledger_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/uuid"

	"github.com/haixi-hrss/fundledger/domain"
	"github.com/haixi-hrss/fundledger/domain/claim"
	"github.com/haixi-hrss/fundledger/domain/expansion"
	"github.com/haixi-hrss/fundledger/domain/identity"
	"github.com/haixi-hrss/fundledger/domain/policy"
	"github.com/haixi-hrss/fundledger/domain/programme"
	"github.com/haixi-hrss/fundledger/domain/role"
	"github.com/haixi-hrss/fundledger/eventstore"
	"github.com/haixi-hrss/fundledger/eventstore/integrity"
	"github.com/haixi-hrss/fundledger/eventstore/sqlite"
	"github.com/haixi-hrss/fundledger/ledger"
	"github.com/haixi-hrss/fundledger/ledger/schema"
	"github.com/haixi-hrss/fundledger/persondata"
	"github.com/haixi-hrss/fundledger/projections"
)

// residentID returns the valid resident ID of a youth registered in
// Golmud, born on born (YYYYMMDD), with sequence seq.
func residentID(t testing.TB, born string, seq int) identity.ResidentID {
	t.Helper()
	first17 := fmt.Sprintf("632801%s%03d", born, seq)
	c, ok := identity.ResidentCheckChar(first17)
	if !ok {
		t.Fatalf("no check character for %s", first17)
	}
	id, err := identity.ParseResidentID("residentId", first17+string(c))
	if err != nil {
		t.Fatal(err)
	}
	return id
}

func openPeople(t testing.TB, dir string) *ledger.People {
	t.Helper()
	p, err := ledger.OpenPeople(dir)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { p.Close() })
	return p
}

// youthHire is employer i's hire of a registered unemployed youth whose
// birth date comes from the facts of the resident ID, not from the clerk.
func youthHire(ref identity.PersonRef, facts identity.Facts, i int) expansion.Facts {
	f := hire(ref, i)
	f.Group, f.BirthDate, f.RegisteredUnemployed = expansion.UnemployedYouth, facts.BirthDate, true
	return f
}

// paidPersonClaim takes employer i's expansion claim for person id through
// submission (registering the person), check, approval, disclosure and
// payment.
func paidPersonClaim(t *testing.T, svc *ledger.Service, people *ledger.People, id identity.ResidentID, name string, i int) {
	t.Helper()
	ctx := context.Background()
	var f expansion.Facts
	build := func(ref identity.PersonRef, facts identity.Facts) claim.Submit {
		f = youthHire(ref, facts, i)
		return submitExpansion(i, f)
	}
	if _, err := ledger.SubmitPersonClaim(ctx, svc, people, id, name, build, clerkEnv()); err != nil {
		t.Fatal(err)
	}
	vs, err := policy.Seed()
	if err != nil {
		t.Fatal(err)
	}
	v, err := policy.Select(vs, programme.Expansion, claimEffective)
	if err != nil {
		t.Fatal(err)
	}
	a, err := expansion.Assess(v, claimEffective, f)
	if err != nil || !a.Eligible {
		t.Fatalf("assessment %+v, %v", a.Failed(), err)
	}
	claimID := expansionClaimID(i)
	check := claim.Check{Assessment: a, Policy: v, Actor: "clerk1", Role: role.Clerk, At: claimAt}
	if _, err := ledger.Handle(ctx, svc, schema.Claim(claimID), clerkEnv(),
		func(s claim.State) ([]domain.Event, error) { return claim.Decide(s, check) }); err != nil {
		t.Fatal(err)
	}
	steps := []func() (ledger.Result, error){
		func() (ledger.Result, error) {
			return ledger.ApproveClaim(ctx, svc, claimID, approve("appr1"), approverEnv("appr1"))
		},
		func() (ledger.Result, error) {
			start := claim.StartDisclosure{On: claimEffective, Masked: id.Masked(), Actor: "clerk1", Role: role.Clerk, At: claimAt}
			return ledger.StartDisclosure(ctx, svc, claimID, start, clerkEnv())
		},
		func() (ledger.Result, error) {
			done := claim.CompleteDisclosure{On: claimEffective.AddDays(7), Actor: "clerk1", Role: role.Clerk, At: claimAt}
			return ledger.CompleteDisclosure(ctx, svc, claimID, done, clerkEnv())
		},
		func() (ledger.Result, error) {
			return ledger.ReleasePayment(ctx, svc, claimID, release(payID(i)), treasurerEnv())
		},
		func() (ledger.Result, error) {
			return ledger.RecordPaymentResult(ctx, svc, claimID, bankPaid(payID(i)), treasurerEnv())
		},
	}
	for n, step := range steps {
		if _, err := step(); err != nil {
			t.Fatalf("claim %s step %d: %v", claimID, n, err)
		}
	}
}

// ledgerView is what must survive an erasure unchanged: the digest of
// the verified log and the officers' read models rebuilt from it.
type ledgerView struct {
	digest          integrity.Digest
	events          uint64
	budgets, claims []byte
	spentOnTheLine  string
}

func viewOf(t *testing.T, st eventstore.Store) ledgerView {
	t.Helper()
	ctx := context.Background()
	rep, err := integrity.Verify(ctx, st, integrity.Options{})
	if err != nil {
		t.Fatalf("verify: %v", err)
	}
	b, c := projections.NewBudgets(), projections.NewClaims()
	if _, err := projections.Rebuild(ctx, st, schema.Codec(), nil, b, c); err != nil {
		t.Fatal(err)
	}
	bs, err := b.MarshalState()
	if err != nil {
		t.Fatal(err)
	}
	cs, err := c.MarshalState()
	if err != nil {
		t.Fatal(err)
	}
	line, ok := b.Line(expansionLine)
	if !ok {
		t.Fatalf("no budget line %s", expansionLine)
	}
	return ledgerView{digest: rep.Digest, events: rep.Events, budgets: bs, claims: cs, spentOnTheLine: line.Spent.String()}
}

// dirContains reports whether any file in dir contains b.
func dirContains(t *testing.T, dir string, b []byte) bool {
	t.Helper()
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		data, err := os.ReadFile(filepath.Join(dir, e.Name()))
		if err != nil {
			t.Fatal(err)
		}
		if bytes.Contains(data, b) {
			return true
		}
	}
	return false
}

// TestErasePersonKeepsTheLedger is design invariant 13: three youths'
// expansion grants are approved and paid, one youth is erased; the log
// still verifies with the same digest, the budget and claim read models
// rebuilt from it are byte for byte the same, the youth's identity is no
// longer recoverable (ErrErased, also after a restart) while the others'
// still are, and no file of the data directory ever holds a plaintext ID
// or name.
func TestErasePersonKeepsTheLedger(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	st, err := sqlite.Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	svc := paymentService(t, st)
	people := openPeople(t, dir)
	if err := allocate(ctx, svc, 10); err != nil {
		t.Fatal(err)
	}
	persons := []struct {
		id   identity.ResidentID
		name string
	}{
		{residentID(t, "20030415", 123), "马晓梅"},
		{residentID(t, "20011102", 246), "才让多杰"},
		{residentID(t, "20050730", 311), "李建国"},
	}
	for i, p := range persons {
		paidPersonClaim(t, svc, people, p.id, p.name, i)
	}
	erased := people.Ref(persons[0].id)

	who, err := people.Reveal(ctx, svc, revealTo(erased, "aud1", role.Auditor), auditorEnv())
	if err != nil || who.ResidentID != persons[0].id || who.Name != persons[0].name {
		t.Fatalf("reveal before erasure = %v %q, %v", who.ResidentID, who.Name, err)
	}
	before := viewOf(t, st)
	if before.spentOnTheLine != times(3).String() {
		t.Fatalf("the line spent %s, want three grants: the claims were not paid", before.spentOnTheLine)
	}
	// A revealed person logged by mistake shows only the masked ID.
	for _, printed := range []string{fmt.Sprint(who), fmt.Sprintf("%+v", who), fmt.Sprintf("%v", []ledger.Person{who})} {
		if strings.Contains(printed, persons[0].id.Plain()) || strings.Contains(printed, persons[0].name) {
			t.Errorf("a printed person leaks the identity: %s", printed)
		}
	}
	if _, err := json.Marshal(who); !errors.Is(err, identity.ErrPlaintextID) {
		t.Errorf("a revealed person encoded as JSON: err = %v, want ErrPlaintextID", err)
	}
	// The search must find what is there, or not finding the plaintext
	// would prove nothing: the reference is in ledger.db's events.
	if !dirContains(t, dir, []byte(erased)) {
		t.Fatal("the person reference is not found in the data directory's files")
	}
	noPlaintext := func(when string) {
		t.Helper()
		for _, p := range persons {
			for _, secret := range []string{p.id.Plain(), p.name} {
				if dirContains(t, dir, []byte(secret)) {
					t.Errorf("%s: a file in the data directory holds %q in plaintext", when, secret)
				}
			}
		}
	}
	noPlaintext("before erasure")

	if err := people.Erase(ctx, svc, eraseOf(erased, "clerk1", role.Clerk), ledger.Command{ID: uuid.New()}); !errors.Is(err, domain.ErrRejected) {
		t.Fatalf("a clerk erased a person: err = %v", err)
	}
	beforeErasure := lastPosition(t, st)
	if err := people.Erase(ctx, svc, eraseOf(erased, "admin1", role.Administrator), adminEnv()); err != nil {
		t.Fatal(err)
	}

	// The log gained the erasure's record and nothing else; what was
	// there before is unchanged, the whole log verifies (viewOf), and
	// every total is the same.
	after := viewOf(t, st)
	if after.events != before.events+1 {
		t.Errorf("the erasure appended %d events, want its one record", after.events-before.events)
	}
	prefix, err := integrity.Verify(ctx, st, integrity.Options{Through: beforeErasure})
	if err != nil || prefix.Digest != before.digest {
		t.Errorf("the log before the erasure changed: digest %s, was %s (%v)", prefix.Digest, before.digest, err)
	}
	if !bytes.Equal(after.budgets, before.budgets) || !bytes.Equal(after.claims, before.claims) {
		t.Error("the budget or claim read models rebuilt after erasure differ from before")
	}
	checkErasureRecord(t, st, erased, "admin1")
	head := lastPosition(t, st)
	if _, err := people.Reveal(ctx, svc, revealTo(erased, "aud1", role.Auditor), auditorEnv()); !errors.Is(err, persondata.ErrErased) {
		t.Errorf("reveal after erasure: err = %v, want ErrErased", err)
	}
	if got := lastPosition(t, st); got != head {
		t.Errorf("the reveal of an erased person appended: log at %d, was %d", got, head)
	}
	if _, _, err := people.Register(ctx, persons[0].id, persons[0].name); !errors.Is(err, persondata.ErrErased) {
		t.Errorf("register after erasure: err = %v, want ErrErased", err)
	}
	noPlaintext("after erasure")

	// A restart changes nothing: the erasure is durable and the others
	// are still there.
	if err := people.Close(); err != nil {
		t.Fatal(err)
	}
	if err := st.Close(); err != nil {
		t.Fatal(err)
	}
	noPlaintext("after closing")
	people = openPeople(t, dir)
	svc = paymentService(t, openStore(t, dir))
	if _, err := people.Reveal(ctx, svc, revealTo(erased, "aud1", role.Auditor), auditorEnv()); !errors.Is(err, persondata.ErrErased) {
		t.Errorf("reveal after erasure and restart: err = %v, want ErrErased", err)
	}
	for _, p := range persons[1:] {
		who, err := people.Reveal(ctx, svc, revealTo(people.Ref(p.id), "tre1", role.Treasurer), treasurerEnv())
		if err != nil || who.ResidentID != p.id || who.Name != p.name {
			t.Errorf("reveal of a person not erased = %v %q, %v", who.ResidentID, who.Name, err)
		}
	}
}

func TestRevealIsForEntitledRolesOnly(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	people := openPeople(t, dir)
	svc := paymentService(t, openStore(t, dir))
	id := residentID(t, "19900101", 123)
	ref, facts, err := people.Register(ctx, id, "")
	if err != nil {
		t.Fatal(err)
	}
	if ref != people.Ref(id) || facts != id.Facts() {
		t.Fatalf("register = %s %+v, want the reference and facts of the ID", ref, facts)
	}
	if _, _, err := people.Register(ctx, identity.ResidentID{}, "x"); !errors.Is(err, domain.ErrInvalid) {
		t.Errorf("register without an ID: err = %v, want ErrInvalid", err)
	}
	tests := []struct {
		role string
		ok   bool
	}{
		{role.Clerk, true}, {role.Approver, true}, {role.Treasurer, true}, {role.Auditor, true},
		{role.Evaluator, false}, {role.Administrator, false}, {"", false},
	}
	for _, tt := range tests {
		t.Run("role "+tt.role, func(t *testing.T) {
			who, err := people.Reveal(ctx, svc, revealTo(ref, "someone", tt.role), ledger.Command{ID: uuid.New(), Actor: "someone", Role: tt.role})
			switch {
			case tt.ok && (err != nil || who.ResidentID != id):
				t.Errorf("reveal = %v, %v; want the ID", who.ResidentID, err)
			case !tt.ok && !errors.Is(err, domain.ErrRejected):
				t.Errorf("reveal = %v, %v; want a refusal", who.ResidentID, err)
			}
		})
	}
}

// TestSubmitPersonClaimRefusesAClaimNotAboutThePerson: the claim built
// must name the registered person, or the registration could not be
// traced to it; nothing is submitted.
func TestSubmitPersonClaimRefusesAClaimNotAboutThePerson(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	st := openStore(t, dir)
	svc := paymentService(t, st)
	people := openPeople(t, dir)
	other := identity.PersonRef(fmt.Sprintf("%064x", 99))
	build := func(identity.PersonRef, identity.Facts) claim.Submit { return submitExpansion(0, hire(other, 0)) }
	if _, err := ledger.SubmitPersonClaim(ctx, svc, people, residentID(t, "20030415", 123), "", build,
		ledger.Command{ID: uuid.New(), Actor: "clerk1", Role: role.Clerk}); err == nil {
		t.Fatal("a claim about someone else was submitted")
	}
	if evs := readStream(t, st, claim.Stream(expansionClaimID(0))); len(evs) != 0 {
		t.Errorf("the claim stream holds %d events", len(evs))
	}
}
