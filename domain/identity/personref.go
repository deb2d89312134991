package identity

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"

	"github.com/haixi-hrss/fundledger/domain"
)

// MinSecretLen is the shortest ledger secret accepted: HMAC-SHA-256 wants a
// key of at least its output size.
const MinSecretLen = 32

// PersonRef is how events name a person: the hex HMAC-SHA-256 of the
// resident ID under the ledger's secret. It matches the same person across
// claims and streams without revealing the ID, and survives the erasure of
// the person's plaintext record.
type PersonRef string

// Hasher computes PersonRefs under one ledger secret.
type Hasher struct{ key []byte }

// NewHasher returns a Hasher holding a copy of secret, which must be at
// least MinSecretLen bytes.
func NewHasher(secret []byte) (Hasher, error) {
	if len(secret) < MinSecretLen {
		return Hasher{}, domain.Invalid("secret", "secret-length", "the ledger secret has %d bytes, at least %d are needed", len(secret), MinSecretLen)
	}
	return Hasher{key: append([]byte(nil), secret...)}, nil
}

// Ref returns the person reference of id.
func (h Hasher) Ref(id ResidentID) PersonRef {
	m := hmac.New(sha256.New, h.key)
	m.Write([]byte(id.s))
	return PersonRef(hex.EncodeToString(m.Sum(nil)))
}

// ParsePersonRef checks that s is 64 lower-case hex digits.
func ParsePersonRef(field, s string) (PersonRef, error) {
	if len(s) != 64 {
		return "", domain.Invalid(field, "person-ref", "a person reference has 64 hex digits, this one has %d characters", len(s))
	}
	for i := range len(s) {
		if c := s[i]; (c < '0' || c > '9') && (c < 'a' || c > 'f') {
			return "", domain.Invalid(field, "person-ref", "a person reference is lower-case hex")
		}
	}
	return PersonRef(s), nil
}

// String returns the reference itself.
func (r PersonRef) String() string { return string(r) }
