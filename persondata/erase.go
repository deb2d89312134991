package persondata

import (
	"time"

	"github.com/haixi-hrss/fundledger/domain"
	"github.com/haixi-hrss/fundledger/domain/identity"
	"github.com/haixi-hrss/fundledger/domain/role"
)

// Erase asks to erase Person's identity: to destroy the person's key and
// sealed identity in the key store (crypto-shredding). It is decided
// (DecideErase) and recorded in the log before the key is destroyed, so
// every erasure leaves a trace, and a destruction cut off after the
// record is completed by a retry.
type Erase struct {
	// Person is the keyed reference of the person to erase.
	Person identity.PersonRef `json:"person"`
	// Reason says why, e.g. the deletion request or the end of the
	// retention period; required.
	Reason string `json:"reason"`
	// Actor and Role say who erases in which role; At is when.
	Actor string    `json:"actor"`
	Role  string    `json:"role"`
	At    time.Time `json:"at"`
}

// IdentityErased records that Actor, in Role, erased the identity of
// Person, and why. Like every event of this package it names the person by
// keyed reference only.
type IdentityErased struct {
	Person identity.PersonRef `json:"person"`
	Reason string             `json:"reason"`
	Actor  string             `json:"actor"`
	Role   string             `json:"role"`
	At     time.Time          `json:"at"`
}

// EventType implements domain.Event.
func (IdentityErased) EventType() string { return "IdentityErased" }

// ErasureStream returns the stream recording person ref's erasure.
func ErasureStream(ref identity.PersonRef) string { return "erasure-" + string(ref) }

// Erasure is what a person's erasure stream folds into.
type Erasure struct {
	// Erased is true once the erasure is recorded.
	Erased bool
}

// EvolveErasure folds one event of an erasure stream.
func EvolveErasure(s Erasure, ev domain.Event) Erasure {
	if _, ok := ev.(*IdentityErased); ok {
		s.Erased = true
	}
	return s
}

// DecideErase checks an erasure: an administrator, a well-formed person
// reference, and a reason that is present, bounded and holds no identity
// number (it is recorded in the log). A person's erasure is recorded once:
// when it already is, the decision records nothing and the caller goes on
// to destroy the key, which completes an erasure cut off before that.
func DecideErase(s Erasure, cmd Erase) ([]domain.Event, error) {
	if err := role.Authorize(cmd.Actor, cmd.Role, cmd.At, role.Administrator); err != nil {
		return nil, err
	}
	if _, err := identity.ParsePersonRef("person", string(cmd.Person)); err != nil {
		return nil, err
	}
	reason, err := recordedReason(cmd.Reason, "say why the identity is erased")
	if err != nil {
		return nil, err
	}
	if s.Erased {
		return nil, nil
	}
	return []domain.Event{&IdentityErased{Person: cmd.Person, Reason: reason, Actor: cmd.Actor, Role: cmd.Role, At: cmd.At}}, nil
}
