package persondata

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/haixi-hrss/fundledger/domain/identity"
)

// SecretFileName is the file in the data directory holding the ledger's
// secret, the HMAC key of its person references (identity.Hasher). It is
// the file 'fundledger serve --person-secret-file' reads and the demo
// writes. The key is the file's bytes exactly as they are; OpenSecret
// creates it with 64 hex digits (256 random bits) and no newline.
//
// The secret never enters the log: whoever holds it can test a guessed
// resident ID against a reference, so it is kept like a password (mode
// 0600) and backed up apart from the log. Losing it does not lose money
// or history, but new claims about a person would no longer match the
// person's earlier references.
const SecretFileName = "person.key"

// OpenSecret returns the secret in data directory dir, creating the file
// (mode 0600, synced with its directory) if there is none. A secret file
// that others may read, or shorter than identity.MinSecretLen, is an
// error: it is refused rather than used.
func OpenSecret(dir string) ([]byte, error) {
	path := filepath.Join(dir, SecretFileName)
	secret, err := ReadSecret(path)
	if errors.Is(err, fs.ErrNotExist) {
		if err := createSecret(dir, path); err != nil {
			return nil, err
		}
		secret, err = ReadSecret(path)
	}
	return secret, err
}

// ReadSecret reads the ledger secret at path, refusing a file anyone but
// its owner can read and a secret too short to key the hash.
func ReadSecret(path string) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	info, err := f.Stat()
	if err != nil {
		return nil, fmt.Errorf("persondata: secret: %w", err)
	}
	if perm := info.Mode().Perm(); perm&0o077 != 0 {
		return nil, fmt.Errorf("persondata: secret %s has mode %04o; it must be readable by its owner only (chmod 600)", path, perm)
	}
	secret := make([]byte, info.Size())
	if _, err := f.ReadAt(secret, 0); err != nil {
		return nil, fmt.Errorf("persondata: read secret %s: %w", path, err)
	}
	if len(secret) < identity.MinSecretLen {
		return nil, fmt.Errorf("persondata: secret %s has %d bytes, at least %d are needed", path, len(secret), identity.MinSecretLen)
	}
	return secret, nil
}

// createSecret writes a new secret to a temporary file and links it into
// place, so two processes opening a new ledger at once agree on one secret
// and neither ever reads a half-written file.
func createSecret(dir, path string) error {
	raw := make([]byte, 32)
	if _, err := rand.Read(raw); err != nil {
		return fmt.Errorf("persondata: new secret: %w", err)
	}
	tmp, err := os.CreateTemp(dir, SecretFileName+".new-*")
	if err != nil {
		return fmt.Errorf("persondata: new secret: %w", err)
	}
	defer os.Remove(tmp.Name())
	_, err = tmp.WriteString(hex.EncodeToString(raw))
	if err == nil {
		err = tmp.Sync()
	}
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("persondata: new secret: %w", err)
	}
	// CreateTemp makes the file 0600; Link fails if another process won.
	if err := os.Link(tmp.Name(), path); err != nil && !errors.Is(err, fs.ErrExist) {
		return fmt.Errorf("persondata: new secret: %w", err)
	}
	return syncDir(dir)
}

func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return fmt.Errorf("persondata: sync %s: %w", dir, err)
	}
	defer d.Close()
	if err := d.Sync(); err != nil {
		return fmt.Errorf("persondata: sync %s: %w", dir, err)
	}
	return nil
}
