package ledger

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/haixi-hrss/fundledger/domain"
	"github.com/haixi-hrss/fundledger/domain/claim"
	"github.com/haixi-hrss/fundledger/domain/identity"
	"github.com/haixi-hrss/fundledger/domain/role"
	"github.com/haixi-hrss/fundledger/persondata"
)

// People registers the persons claims are about (design invariant 13).
// The log only ever sees a person's keyed reference (identity.PersonRef,
// an HMAC of the resident ID under the ledger's secret) and the facts the
// rules need; the plaintext identity is sealed under the person's own key
// in persondata.db, and Erase shreds that key. It is safe for concurrent
// use.
type People struct {
	keys   *persondata.KeyStore
	hasher identity.Hasher
}

// Person is a plaintext identity as Reveal returns it. It prints as the
// masked resident ID, name left out, and refuses to be encoded as JSON
// (identity.ErrPlaintextID), so logging one leaks nothing; use the fields.
type Person struct {
	ResidentID identity.ResidentID
	Name       string
}

// String returns the masked resident ID.
func (p Person) String() string { return p.ResidentID.Masked() }

// sealedPerson is the plaintext People seals: the only place the full
// resident ID is written, and only as ciphertext.
type sealedPerson struct {
	ResidentID string `json:"residentId"`
	Name       string `json:"name,omitempty"`
}

// revealRoles are the roles that may see a person's full identity: those
// who take applications, decide on them, pay them, or audit them.
// Evaluators see aggregates only, administrators have no need.
var revealRoles = []string{role.Clerk, role.Approver, role.Treasurer, role.Auditor}

// OpenPeople opens the person register of data directory dir: the key
// store (persondata.FileName) and the ledger's secret
// (persondata.SecretFileName, created 0600 with 256 random bits on first
// open). Both stay in dir, outside the log; back them up apart from it.
func OpenPeople(dir string) (*People, error) {
	secret, err := persondata.OpenSecret(dir)
	if err != nil {
		return nil, fmt.Errorf("ledger: people: %w", err)
	}
	hasher, err := identity.NewHasher(secret)
	if err != nil {
		return nil, fmt.Errorf("ledger: people: %w", err)
	}
	keys, err := persondata.Open(dir)
	if err != nil {
		return nil, fmt.Errorf("ledger: people: %w", err)
	}
	return &People{keys: keys, hasher: hasher}, nil
}

// Close closes the key store.
func (p *People) Close() error { return p.keys.Close() }

// Ref returns id's person reference without registering anyone, e.g. to
// look a person up in the read models.
func (p *People) Ref(id identity.ResidentID) identity.PersonRef { return p.hasher.Ref(id) }

// Register seals id and name (which may be empty) under the person's key
// and returns what events may carry instead: the person reference and the
// facts derived from the ID. Registering a person again replaces the
// sealed identity (a corrected name). An erased person cannot be
// registered again, since the same ID gives the same reference: the error
// matches persondata.ErrErased.
func (p *People) Register(ctx context.Context, id identity.ResidentID, name string) (identity.PersonRef, identity.Facts, error) {
	if id.IsZero() {
		return "", identity.Facts{}, domain.Invalid("residentId", "required", "the resident ID is missing")
	}
	ref := p.hasher.Ref(id)
	plain, err := json.Marshal(sealedPerson{ResidentID: id.Plain(), Name: name})
	if err != nil {
		return "", identity.Facts{}, fmt.Errorf("ledger: register person: %w", err)
	}
	if err := p.keys.Put(ctx, ref, plain); err != nil {
		return "", identity.Facts{}, fmt.Errorf("ledger: register person %s: %w", ref, err)
	}
	return ref, id.Facts(), nil
}

// Reveal returns the identity registered for ref to an actor in one of
// the roles entitled to it (clerk, approver, treasurer, auditor); any
// other role is refused with a *domain.RuleError. After Erase the error
// matches persondata.ErrErased.
func (p *People) Reveal(ctx context.Context, ref identity.PersonRef, actor, roleName string, at time.Time) (Person, error) {
	if err := role.Authorize(actor, roleName, at, revealRoles...); err != nil {
		return Person{}, err
	}
	plain, err := p.keys.Get(ctx, ref)
	if err != nil {
		return Person{}, fmt.Errorf("ledger: reveal person %s: %w", ref, err)
	}
	var s sealedPerson
	if err := json.Unmarshal(plain, &s); err != nil {
		return Person{}, fmt.Errorf("ledger: reveal person %s: %w", ref, err)
	}
	id, err := identity.ParseResidentID("residentId", s.ResidentID)
	if err != nil {
		return Person{}, fmt.Errorf("ledger: reveal person %s: %w", ref, err)
	}
	return Person{ResidentID: id, Name: s.Name}, nil
}

// Erase shreds ref's key and sealed identity (an administrator's act, on
// a deletion request under PIPL or when retention ends). Nothing in the
// log changes: its hash chains still verify, the money still adds up, and
// the person's claims keep their reference and facts, which no longer
// lead to anyone. Erasing twice is not an error.
func (p *People) Erase(ctx context.Context, ref identity.PersonRef, actor, roleName string, at time.Time) error {
	if err := role.Authorize(actor, roleName, at, role.Administrator); err != nil {
		return err
	}
	if err := p.keys.Erase(ctx, ref); err != nil {
		return fmt.Errorf("ledger: erase person %s: %w", ref, err)
	}
	return nil
}

// SubmitPersonClaim registers the person a claim is about, then submits
// the claim build makes from the person's reference and facts
// (SubmitClaim). The person is registered first, so every reference the
// log holds has an identity behind it until erased; a submission that then
// fails leaves the registration, which a retry reuses. The resident ID
// must not be in env.Payload: leave it nil and the command is recorded.
func SubmitPersonClaim(ctx context.Context, s *Service, p *People, id identity.ResidentID, name string,
	build func(identity.PersonRef, identity.Facts) claim.Submit, env Command) (Result, error) {
	ref, facts, err := p.Register(ctx, id, name)
	if err != nil {
		return Result{}, err
	}
	cmd := build(ref, facts)
	if !mentions(cmd, ref) {
		return Result{}, errors.New("ledger: submit person claim: the claim built names the person neither as beneficiary nor in a uniqueness key")
	}
	return SubmitClaim(ctx, s, cmd, env)
}

// mentions reports whether cmd names ref as its beneficiary or in one of
// its uniqueness keys, so that the registration can be traced to the claim.
func mentions(cmd claim.Submit, ref identity.PersonRef) bool {
	if cmd.Beneficiary.Kind == claim.Person && cmd.Beneficiary.Ref == string(ref) {
		return true
	}
	for _, k := range cmd.UniquenessKeys {
		if strings.HasPrefix(k.Value, string(ref)) {
			return true
		}
	}
	return false
}
