// Package persondata keeps people's plaintext identities out of the log
// (design invariant 13). Events carry a keyed person reference and the
// derived facts the rules need; the identity itself is sealed under a
// per-person key kept here and never enters the log.
//
// A data directory holds two files of personal data beside the ledger:
//
//   - persondata.db (FileName), a SQLite file: one random AES-256 key per
//     person, the identity sealed under it with AES-256-GCM (Put, Get),
//     and the references of erased people, so none is keyed again.
//   - person.key (SecretFileName): the ledger's secret, the HMAC key that
//     turns a resident ID into its person reference. OpenSecret creates it
//     (mode 0600, 256 random bits) when a ledger is first opened.
//
// The log can be archived and handed to auditors as it is; these two files
// cannot: back them up apart from it, with the care personal data needs. Erase destroys a person's key and sealed
// identity (crypto-shredding): any copy of the ciphertext becomes noise,
// while the log's hash chains still verify and the money still adds up.
// A backup of persondata.db taken before an erasure still holds the key,
// so such backups must expire or be erased from as well.
//
// Each look at an identity is recorded in the log first (Reveal,
// DecideReveal, IdentityRevealed: who, in which role, why, and the keyed
// reference only); ledger.People.Reveal records before it returns. Each
// erasure likewise (Erase, DecideErase, IdentityErased):
// ledger.People.Erase records it before it destroys the key.
package persondata

import (
	"context"
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"database/sql"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"time"

	_ "github.com/mattn/go-sqlite3" // registers the "sqlite3" driver

	"github.com/haixi-hrss/fundledger/domain/identity"
)

// FileName is the key store's file inside the data directory.
const FileName = "persondata.db"

// format is the first byte of every ciphertext, so the layout
// (nonce ‖ AES-256-GCM output) can change without ambiguity.
const format byte = 1

var (
	// ErrErased is returned for a person whose key was erased.
	ErrErased = errors.New("persondata: person erased")
	// ErrUnknownPerson is returned by Open for a person with no key.
	ErrUnknownPerson = errors.New("persondata: no key for person")
	// ErrCiphertext is returned for a ciphertext that does not decrypt
	// under the person's key (damaged, or sealed for someone else).
	ErrCiphertext = errors.New("persondata: ciphertext does not authenticate")
)

// KeyStore holds one random 256-bit key per person. It is safe for
// concurrent use.
type KeyStore struct {
	db *sql.DB
}

// Open opens (creating if needed) the key store in data directory dir.
// Writes are durable on return (WAL, synchronous=FULL), and secure_delete
// makes SQLite zero the bytes of deleted rows instead of leaving them in
// free space. The file is readable by its owner only, as the ledger
// secret is: it holds every person's key.
func Open(dir string) (*KeyStore, error) {
	path := filepath.Join(dir, FileName)
	if err := ownerOnly(path); err != nil {
		return nil, err
	}
	dsn := "file:" + path +
		"?_journal_mode=WAL&_synchronous=FULL&_secure_delete=on&_busy_timeout=10000&_txlock=immediate&_foreign_keys=on"
	db, err := sql.Open("sqlite3", dsn)
	if err != nil {
		return nil, fmt.Errorf("persondata: open %s: %w", dir, err)
	}
	const schema = `
CREATE TABLE IF NOT EXISTS person_key (
	person TEXT PRIMARY KEY,
	key    BLOB NOT NULL CHECK (length(key) = 32)
) STRICT;
CREATE TABLE IF NOT EXISTS erased (
	person    TEXT PRIMARY KEY,
	erased_at TEXT NOT NULL
) STRICT;
CREATE TABLE IF NOT EXISTS sealed_identity (
	person TEXT PRIMARY KEY,
	sealed BLOB NOT NULL
) STRICT;`
	// One connection: key operations are tiny, and no read transaction of
	// our own can then hold back the checkpoint Erase relies on.
	db.SetMaxOpenConns(1)
	if _, err := db.Exec(schema); err != nil {
		db.Close()
		return nil, fmt.Errorf("persondata: create schema in %s: %w", dir, err)
	}
	return &KeyStore{db: db}, nil
}

// Close closes the key store.
func (s *KeyStore) Close() error { return s.db.Close() }

// Seal encrypts plaintext (the person's identity, typically JSON) under
// ref's key with AES-256-GCM, binding it to ref as additional data so a
// ciphertext cannot be passed off as another person's. The person's key is
// created on first use. An erased person cannot be sealed for again.
func (s *KeyStore) Seal(ctx context.Context, ref identity.PersonRef, plaintext []byte) ([]byte, error) {
	key, err := s.keyFor(ctx, ref)
	if err != nil {
		return nil, err
	}
	aead, err := newAEAD(key)
	if err != nil {
		return nil, err
	}
	out := make([]byte, 1+aead.NonceSize(), 1+aead.NonceSize()+len(plaintext)+aead.Overhead())
	out[0] = format
	if _, err := rand.Read(out[1:]); err != nil {
		return nil, fmt.Errorf("persondata: nonce: %w", err)
	}
	return aead.Seal(out, out[1:], plaintext, []byte(ref)), nil
}

// Open decrypts a ciphertext Seal made for ref. After Erase it returns an
// error matching ErrErased.
func (s *KeyStore) Open(ctx context.Context, ref identity.PersonRef, ciphertext []byte) ([]byte, error) {
	key, err := s.key(ctx, ref)
	if err != nil {
		return nil, err
	}
	aead, err := newAEAD(key)
	if err != nil {
		return nil, err
	}
	n := 1 + aead.NonceSize()
	if len(ciphertext) < n+aead.Overhead() || ciphertext[0] != format {
		return nil, fmt.Errorf("%w: not a persondata ciphertext", ErrCiphertext)
	}
	plain, err := aead.Open(nil, ciphertext[1:n], ciphertext[n:], []byte(ref))
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrCiphertext, err)
	}
	return plain, nil
}

// Erase destroys ref's key and the identity Put kept for ref, and
// remembers that ref was erased. The rows are deleted under secure_delete and the write-ahead log is checkpointed and
// truncated, so the key's bytes leave both files before Erase returns.
// Erasing an erased or unknown person is not an error.
func (s *KeyStore) Erase(ctx context.Context, ref identity.PersonRef) error {
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("persondata: erase: %w", err)
	}
	defer tx.Rollback()
	if _, err := tx.ExecContext(ctx, `DELETE FROM person_key WHERE person = ?`, string(ref)); err != nil {
		return fmt.Errorf("persondata: erase: %w", err)
	}
	// The ciphertext is noise without the key; it goes too, so the file
	// does not keep growing with the sealed identities of erased people.
	if _, err := tx.ExecContext(ctx, `DELETE FROM sealed_identity WHERE person = ?`, string(ref)); err != nil {
		return fmt.Errorf("persondata: erase: %w", err)
	}
	if _, err := tx.ExecContext(ctx, `INSERT OR IGNORE INTO erased (person, erased_at) VALUES (?, ?)`,
		string(ref), time.Now().UTC().Format(time.RFC3339)); err != nil {
		return fmt.Errorf("persondata: erase: %w", err)
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("persondata: erase: %w", err)
	}
	// Until a checkpoint the WAL still holds the page images that carried
	// the key; TRUNCATE copies the zeroed pages back and empties the WAL.
	var busy, logFrames, checkpointed int
	if err := s.db.QueryRowContext(ctx, `PRAGMA wal_checkpoint(TRUNCATE)`).Scan(&busy, &logFrames, &checkpointed); err != nil {
		return fmt.Errorf("persondata: erase: checkpoint: %w", err)
	}
	if busy != 0 {
		return fmt.Errorf("persondata: erase: checkpoint blocked by a reader; the key is deleted but may linger in the WAL until the next checkpoint")
	}
	return nil
}

// keyFor returns ref's key, creating it if ref has none and was not erased.
func (s *KeyStore) keyFor(ctx context.Context, ref identity.PersonRef) ([]byte, error) {
	if ref == "" {
		return nil, errors.New("persondata: empty person reference")
	}
	key := make([]byte, 32)
	if _, err := rand.Read(key); err != nil {
		return nil, fmt.Errorf("persondata: new key: %w", err)
	}
	// One statement decides atomically: concurrent first Seals for the
	// same person agree on one key, and an erased person gets none.
	if _, err := s.db.ExecContext(ctx, `INSERT INTO person_key (person, key)
		SELECT ?1, ?2 WHERE NOT EXISTS (SELECT 1 FROM erased WHERE person = ?1)
		ON CONFLICT (person) DO NOTHING`, string(ref), key); err != nil {
		return nil, fmt.Errorf("persondata: store key: %w", err)
	}
	return s.key(ctx, ref)
}

// key returns ref's existing key.
func (s *KeyStore) key(ctx context.Context, ref identity.PersonRef) ([]byte, error) {
	var key []byte
	err := s.db.QueryRowContext(ctx, `SELECT key FROM person_key WHERE person = ?`, string(ref)).Scan(&key)
	if err == nil {
		return key, nil
	}
	if !errors.Is(err, sql.ErrNoRows) {
		return nil, fmt.Errorf("persondata: read key: %w", err)
	}
	var erased int
	if err := s.db.QueryRowContext(ctx, `SELECT count(*) FROM erased WHERE person = ?`, string(ref)).Scan(&erased); err != nil {
		return nil, fmt.Errorf("persondata: read key: %w", err)
	}
	if erased > 0 {
		return nil, fmt.Errorf("%w: %s", ErrErased, ref)
	}
	return nil, fmt.Errorf("%w: %s", ErrUnknownPerson, ref)
}

func newAEAD(key []byte) (cipher.AEAD, error) {
	block, err := aes.NewCipher(key)
	if err != nil {
		return nil, fmt.Errorf("persondata: cipher: %w", err)
	}
	aead, err := cipher.NewGCM(block)
	if err != nil {
		return nil, fmt.Errorf("persondata: cipher: %w", err)
	}
	return aead, nil
}

// ownerOnly creates the key store's file with mode 0600 before SQLite
// opens it (SQLite gives its -wal and -shm files the database file's
// mode), and takes group and other access away from one created looser.
func ownerOnly(path string) error {
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return fmt.Errorf("persondata: open %s: %w", path, err)
	}
	defer f.Close()
	info, err := f.Stat()
	if err != nil {
		return fmt.Errorf("persondata: %s: %w", path, err)
	}
	if info.Mode().Perm()&0o077 != 0 {
		if err := f.Chmod(0o600); err != nil {
			return fmt.Errorf("persondata: make %s owner-only: %w", path, err)
		}
	}
	return nil
}
