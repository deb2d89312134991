// Package uniqueness names the "at most once" rules of the business as data:
// a Key the ledger reserves by appending to the key's own stream with
// expected version "no stream", so the store's concurrency control, not a
// projection lookup, decides who was first.
package uniqueness

import (
	"crypto/sha256"
	"encoding/hex"
)

// Key is one reservation: Rule is a stable rule name such as
// "expansion-person"; Value identifies what may occur once under it (a
// person reference, a credit code and year, ...). Value may hold personal
// references, so only its hash appears in the stream name.
type Key struct {
	Rule  string `json:"rule"`
	Value string `json:"value"`
}

// Stream returns the reservation stream's name,
// "uniq-<rule>-<first 32 hex digits of SHA-256(value)>".
func (k Key) Stream() string {
	sum := sha256.Sum256([]byte(k.Value))
	return "uniq-" + k.Rule + "-" + hex.EncodeToString(sum[:])[:32]
}
