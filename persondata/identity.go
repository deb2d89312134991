package persondata

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

	"github.com/haixi-hrss/fundledger/domain/identity"
)

// ErrNoIdentity is returned by Get for a person with a key but no kept
// identity.
var ErrNoIdentity = errors.New("persondata: no identity kept for person")

// Put seals plaintext (the person's identity) under ref's key, creating
// the key on first use, and keeps the ciphertext in place of any earlier
// one. An erased person cannot be put again: the error matches ErrErased.
func (s *KeyStore) Put(ctx context.Context, ref identity.PersonRef, plaintext []byte) error {
	sealed, err := s.Seal(ctx, ref, plaintext)
	if err != nil {
		return err
	}
	// The key's existence is checked in the same statement that writes, so
	// an Erase between Seal and here cannot leave a ciphertext behind.
	res, err := s.db.ExecContext(ctx, `INSERT INTO sealed_identity (person, sealed)
		SELECT ?1, ?2 WHERE EXISTS (SELECT 1 FROM person_key WHERE person = ?1)
		ON CONFLICT (person) DO UPDATE SET sealed = excluded.sealed`, string(ref), sealed)
	if err != nil {
		return fmt.Errorf("persondata: keep identity: %w", err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return fmt.Errorf("persondata: keep identity: %w", err)
	}
	if n == 0 {
		_, err := s.key(ctx, ref)
		return fmt.Errorf("persondata: keep identity: %w", err)
	}
	return nil
}

// Get returns the plaintext Put kept for ref. After Erase the error
// matches ErrErased.
func (s *KeyStore) Get(ctx context.Context, ref identity.PersonRef) ([]byte, error) {
	var sealed []byte
	err := s.db.QueryRowContext(ctx, `SELECT sealed FROM sealed_identity WHERE person = ?`, string(ref)).Scan(&sealed)
	if errors.Is(err, sql.ErrNoRows) {
		if _, err := s.key(ctx, ref); err != nil {
			return nil, err
		}
		return nil, fmt.Errorf("%w: %s", ErrNoIdentity, ref)
	}
	if err != nil {
		return nil, fmt.Errorf("persondata: read identity: %w", err)
	}
	return s.Open(ctx, ref, sealed)
}
