package ledger

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	"github.com/haixi-hrss/fundledger/domain"
	"github.com/haixi-hrss/fundledger/domain/claim"
	"github.com/haixi-hrss/fundledger/domain/identity"
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
	return OpenPeopleWith(dir, hasher)
}

// OpenPeopleWith opens the key store of data directory dir with a secret
// kept elsewhere (e.g. 'fundledger serve --person-secret-file'): the
// references it makes are then the ones hasher makes everywhere else.
func OpenPeopleWith(dir string, hasher identity.Hasher) (*People, error) {
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
// facts derived from the ID. Registering a person again with a name
// replaces the sealed identity (a corrected name); without one, the name
// registered before is kept, so a claim that carries only the resident ID
// does not wipe it. An erased person cannot be
// registered again, since the same ID gives the same reference: the error
// matches persondata.ErrErased.
func (p *People) Register(ctx context.Context, id identity.ResidentID, name string) (identity.PersonRef, identity.Facts, error) {
	if id.IsZero() {
		return "", identity.Facts{}, domain.Invalid("residentId", "required", "the resident ID is missing")
	}
	ref := p.hasher.Ref(id)
	if name == "" {
		before, err := p.keys.Get(ctx, ref)
		switch {
		case err == nil:
			var sealed sealedPerson
			if err := json.Unmarshal(before, &sealed); err != nil {
				return "", identity.Facts{}, fmt.Errorf("ledger: register person %s: %w", ref, err)
			}
			name = sealed.Name
		case !errors.Is(err, persondata.ErrUnknownPerson) && !errors.Is(err, persondata.ErrNoIdentity):
			return "", identity.Facts{}, fmt.Errorf("ledger: register person %s: %w", ref, err)
		}
	}
	plain, err := json.Marshal(sealedPerson{ResidentID: id.Plain(), Name: name})
	if err != nil {
		return "", identity.Facts{}, fmt.Errorf("ledger: register person: %w", err)
	}
	if err := p.keys.Put(ctx, ref, plain); err != nil {
		return "", identity.Facts{}, fmt.Errorf("ledger: register person %s: %w", ref, err)
	}
	return ref, id.Facts(), nil
}

// Reveal returns the identity registered for cmd.Person, after
// recording the reveal in the log: IdentityRevealed (who, in which role,
// why, and the person's keyed reference, never the identity) is appended
// to the person's reveal stream (persondata.RevealStream) through Handle
// with env, and the identity is returned only once that append succeeded.
// The service's codec must know persondata's event types.
//
// persondata.DecideReveal refuses first, recording nothing: a role not
// entitled (clerk, approver, treasurer, auditor) with a *domain.RuleError,
// a missing reason or malformed reference with a *domain.FieldError. The
// identity is opened before the record is appended, so an unknown or
// erased person (the error matches persondata.ErrErased) records nothing
// either: nothing was shown. A retry under env's idempotency key is
// recorded once.
func (p *People) Reveal(ctx context.Context, s *Service, cmd persondata.Reveal, env Command) (Person, error) {
	if _, err := persondata.DecideReveal(persondata.Reveals{}, cmd); err != nil {
		return Person{}, fmt.Errorf("ledger: reveal person: %w", err)
	}
	plain, err := p.keys.Get(ctx, cmd.Person)
	if err != nil {
		return Person{}, fmt.Errorf("ledger: reveal person %s: %w", cmd.Person, err)
	}
	var sealed sealedPerson
	if err := json.Unmarshal(plain, &sealed); err != nil {
		return Person{}, fmt.Errorf("ledger: reveal person %s: %w", cmd.Person, err)
	}
	id, err := identity.ParseResidentID("residentId", sealed.ResidentID)
	if err != nil {
		return Person{}, fmt.Errorf("ledger: reveal person %s: %w", cmd.Person, err)
	}
	env.named("RevealIdentity", cmd)
	agg := Aggregate[persondata.Reveals]{Stream: persondata.RevealStream(cmd.Person), Evolve: persondata.EvolveReveals}
	if _, err := Handle(ctx, s, agg, env, func(st persondata.Reveals) ([]domain.Event, error) {
		return persondata.DecideReveal(st, cmd)
	}); err != nil {
		return Person{}, err
	}
	return Person{ResidentID: id, Name: sealed.Name}, nil
}

// Erase erases the person cmd.Person (an administrator's act, on a
// deletion request under PIPL or when retention ends): it records the
// erasure, then shreds the person's key and sealed identity.
//
//  1. persondata.DecideErase refuses first, destroying and recording
//     nothing: a role other than administrator with a *domain.RuleError,
//     a missing or unfit reason or a malformed reference with a
//     *domain.FieldError.
//  2. IdentityErased (who, in which role, why, and the keyed reference,
//     never the identity) is appended to the person's erasure stream
//     (persondata.ErasureStream) through Handle with env. If the append
//     fails, nothing is destroyed.
//  3. The key and sealed identity are destroyed. If that fails after the
//     append, the error is returned and a retry completes it: the
//     erasure, already recorded, is not recorded again (a retry under
//     env's command ID or idempotency key replays; any other finds the
//     stream says erased), and destroying is idempotent.
//
// Nothing recorded before changes: the hash chains still verify, the
// money still adds up, and the person's claims keep their reference and
// facts, which no longer lead to anyone. Erasing twice is not an error.
// The service's codec must know persondata's event types.
func (p *People) Erase(ctx context.Context, s *Service, cmd persondata.Erase, env Command) error {
	if _, err := persondata.DecideErase(persondata.Erasure{}, cmd); err != nil {
		return fmt.Errorf("ledger: erase person: %w", err)
	}
	env.named("EraseIdentity", cmd)
	agg := Aggregate[persondata.Erasure]{Stream: persondata.ErasureStream(cmd.Person), Evolve: persondata.EvolveErasure}
	if _, err := Handle(ctx, s, agg, env, func(st persondata.Erasure) ([]domain.Event, error) {
		return persondata.DecideErase(st, cmd)
	}); err != nil {
		return err
	}
	if err := p.keys.Erase(ctx, cmd.Person); err != nil {
		return fmt.Errorf("ledger: erase person %s (the erasure is recorded; retry to complete it): %w", cmd.Person, err)
	}
	return nil
}

// SubmitPersonClaim registers the person a claim is about, then submits
// the claim build makes from the person's reference and facts
// (SubmitClaim). The person is registered before the claim's keys are
// reserved or its events appended, so every reference the log holds has
// an identity behind it until erased; a submission that then fails leaves
// the registration, which a retry reuses. A command applied before (same
// command ID or idempotency key) returns the first result without
// registering again, so a retry cannot overwrite the sealed identity, and
// a malformed claim or a key first used for another command registers
// nothing. The resident ID must not be in env.Payload: leave it nil and
// the command is recorded.
func SubmitPersonClaim(ctx context.Context, s *Service, p *People, id identity.ResidentID, name string,
	build func(identity.PersonRef, identity.Facts) claim.Submit, env Command) (Result, error) {
	cmd, register, err := personClaim(ctx, p, id, name, build)
	if err != nil {
		return Result{}, err
	}
	return submitClaim(ctx, s, cmd, env, register)
}

// personClaim builds the claim SubmitPersonClaim submits and the
// registration it runs once the claim is known to be new.
func personClaim(ctx context.Context, p *People, id identity.ResidentID, name string,
	build func(identity.PersonRef, identity.Facts) claim.Submit) (claim.Submit, func() error, error) {
	if id.IsZero() {
		return claim.Submit{}, nil, domain.Invalid("residentId", "required", "the resident ID is missing")
	}
	ref := p.hasher.Ref(id)
	cmd := build(ref, id.Facts())
	if !mentions(cmd, ref) {
		return claim.Submit{}, nil, errors.New("ledger: submit person claim: the claim built names the person neither as beneficiary nor in a uniqueness key")
	}
	return cmd, func() error {
		_, _, err := p.Register(ctx, id, name)
		return err
	}, nil
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
