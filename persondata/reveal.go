package persondata

import (
	"strings"
	"time"
	"unicode/utf8"

	"github.com/haixi-hrss/fundledger/domain"
	"github.com/haixi-hrss/fundledger/domain/identity"
	"github.com/haixi-hrss/fundledger/domain/role"
)

// MaxRevealReason bounds the reason of a reveal or an erasure, in characters: a sentence
// naming the case, not a document.
const MaxRevealReason = 500

// RevealRoles are the roles that may see a person's full identity: those
// who take applications, decide on them, pay them, or audit them.
// Evaluators see aggregates only, administrators have no need.
var RevealRoles = []string{role.Clerk, role.Approver, role.Treasurer, role.Auditor}

// Reveal asks to see the plaintext identity of Person. It is decided
// (DecideReveal) and recorded before the identity is read from the key
// store, so every look at a person's identity leaves a trace in the log.
type Reveal struct {
	// Person is the keyed reference of the person to reveal.
	Person identity.PersonRef `json:"person"`
	// Reason says why the actor needs the identity, e.g. the claim or
	// complaint being handled; required.
	Reason string `json:"reason"`
	// Actor and Role say who asks in which role; At is when.
	Actor string    `json:"actor"`
	Role  string    `json:"role"`
	At    time.Time `json:"at"`
}

// IdentityRevealed records that Actor, in Role, was shown the plaintext
// identity of Person, and why. It names the person by keyed reference only:
// the log never holds the identity itself.
type IdentityRevealed struct {
	Person identity.PersonRef `json:"person"`
	Reason string             `json:"reason"`
	Actor  string             `json:"actor"`
	Role   string             `json:"role"`
	At     time.Time          `json:"at"`
}

// EventType implements domain.Event.
func (IdentityRevealed) EventType() string { return "IdentityRevealed" }

// EventTypes is the registry of this package's events, for codec.Types.
func EventTypes() map[string]func() domain.Event {
	return map[string]func() domain.Event{
		"IdentityRevealed": func() domain.Event { return &IdentityRevealed{} },
		"IdentityErased":   func() domain.Event { return &IdentityErased{} },
	}
}

// RevealStream returns the stream of person ref's reveals: one stream per
// person, so an auditor reads who saw an identity in one place.
func RevealStream(ref identity.PersonRef) string { return "reveal-" + string(ref) }

// Reveals is what a person's reveal stream folds into.
type Reveals struct {
	// Count is how many times the identity was revealed.
	Count int
}

// EvolveReveals folds one event of a reveal stream.
func EvolveReveals(s Reveals, ev domain.Event) Reveals {
	if _, ok := ev.(*IdentityRevealed); ok {
		s.Count++
	}
	return s
}

// DecideReveal checks a reveal: an entitled actor (RevealRoles), a
// well-formed person reference, and a reason that is present, bounded,
// and does not itself carry an identity number (it is recorded in the
// log). Any number of reveals of a person may be recorded, so the state
// is not consulted.
func DecideReveal(_ Reveals, cmd Reveal) ([]domain.Event, error) {
	if err := role.Authorize(cmd.Actor, cmd.Role, cmd.At, RevealRoles...); err != nil {
		return nil, err
	}
	if _, err := identity.ParsePersonRef("person", string(cmd.Person)); err != nil {
		return nil, err
	}
	reason, err := recordedReason(cmd.Reason, "say why the identity is needed")
	if err != nil {
		return nil, err
	}
	return []domain.Event{&IdentityRevealed{Person: cmd.Person, Reason: reason, Actor: cmd.Actor, Role: cmd.Role, At: cmd.At}}, nil
}

// recordedReason checks the reason of a reveal or an erasure, which the
// log records: present (missing says what to write), at most
// MaxRevealReason characters, and free of identity numbers. It returns
// the reason trimmed.
func recordedReason(reason, missing string) (string, error) {
	reason = strings.TrimSpace(reason)
	switch {
	case reason == "":
		return "", domain.Invalid("reason", "required", "%s", missing)
	case utf8.RuneCountInString(reason) > MaxRevealReason:
		return "", domain.Invalid("reason", "max-length", "the reason has %d characters, at most %d are allowed", utf8.RuneCountInString(reason), MaxRevealReason)
	case identity.MayHoldIDNumber(reason):
		return "", domain.Invalid("reason", "no-identifier", "the reason is recorded in the log and must not contain an identity number")
	}
	return reason, nil
}
