package ledger

import (
	"cmp"
	"crypto/sha1"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"strconv"

	"github.com/google/uuid"

	"github.com/haixi-hrss/fundledger/domain"
	"github.com/haixi-hrss/fundledger/eventstore"
)

// maxIdempotencyKey bounds a client's key; it is stored in every event's
// metadata.
const maxIdempotencyKey = 255

// Command is the envelope every command travels in: who asked, why, under
// which rules, and what, independent of the aggregate it targets.
type Command struct {
	// ID identifies this command; required. The IDs of the events it
	// decides derive from it (see EventID).
	ID uuid.UUID
	// Name is the command's name, e.g. "SubmitClaim"; it is part of the
	// fingerprint an idempotency key is bound to.
	Name string
	// IdempotencyKey is the client's key, if it sent one. A command with a
	// key seen before returns the first result and appends nothing.
	IdempotencyKey string
	// StepKey, set instead of IdempotencyKey, names one step of a request
	// whose first step's IdempotencyKey binds the whole request's input
	// (the API's claim check after its submission). It is recorded in the
	// events' metadata as their idempotency key but claims no record of
	// its own: the step is recognised on a retry by its event IDs alone,
	// so ID must derive from the request's key.
	StepKey string
	// Actor and Role say who issued the command in which role.
	Actor, Role string
	// CorrelationID groups everything caused by one user request; the
	// command ID is recorded when it is empty.
	CorrelationID string
	// CausationID is what caused this command (an event ID for a process
	// manager's step); the command ID is recorded when it is empty.
	CausationID string
	// EffectiveDate is the business date (YYYY-MM-DD, Asia/Shanghai).
	EffectiveDate string
	// PolicyVersion names the policy version the decision applies.
	PolicyVersion string
	// Payload is the command's input as JSON-encodable data. It is not
	// interpreted here, only fingerprinted for idempotency.
	Payload any

	// fp is the command's Fingerprint for stream fpStream, once a process
	// that checks the key before Handle (SubmitClaim, ReleaseBatch) has
	// computed it on its own copy of the command.
	fp, fpStream string
	// with are appends to other streams, each with expected version
	// NoStream, that must be committed with the command's events or not
	// at all (SubmitClaim's uniqueness reservations, on a store that is an
	// eventstore.MultiAppender). If any of them, or the events, find
	// their stream taken, nothing is written and the run ends with
	// errWithTaken, for the caller to take the slower path.
	with []eventstore.StreamAppend
	// next, a *nextCommand[S] for the aggregate's state S, is the
	// request's next command on the same stream, appended in the same
	// commit as this command's events when they go with appends to other
	// streams (with); see chainNext.
	next any
	// keyOf is another command's idempotency-key claim, to be recorded in
	// the same commit as this command's events if they are appended (an
	// approval's key with its reservation on the budget line, a shared
	// stream's combined append). Its tried is set when that commit
	// succeeds; a key found taken ends this command with errKeyTaken and
	// writes nothing of it.
	keyOf *keyClaim
	// partOf is another command's own append, recorded in the same
	// commit as this command's events if they are appended (an
	// approval with its reservation; see step). Its done and res are set
	// when that commit succeeds; its stream found moved ends this command
	// with errPartMoved and writes nothing of it. Like keyOf it is read
	// only by a shared stream's combined append (appendBatch); elsewhere
	// done stays false and the owner appends its events itself.
	partOf *ownPart
}

// named fills in the command's name and payload when its caller gave
// none: the name of the use case and its input, which the idempotency
// fingerprint covers.
func (c *Command) named(name string, payload any) {
	if c.Name == "" {
		c.Name = name
	}
	if c.Payload == nil {
		c.Payload = payload
	}
}

func (c *Command) validate() error {
	switch {
	case c.ID == uuid.Nil:
		return domain.Invalid("commandId", "required", "a command needs a non-nil ID")
	case len(c.IdempotencyKey) > maxIdempotencyKey || len(c.StepKey) > maxIdempotencyKey:
		return domain.Invalid("idempotencyKey", "max-length", "must be at most %d bytes", maxIdempotencyKey)
	case c.IdempotencyKey != "" && c.StepKey != "":
		return domain.Invalid("stepKey", "exclusive", "a command has an idempotency key or a step key, not both")
	}
	return nil
}

// label names c in error messages.
func (c *Command) label() string {
	if c.Name != "" {
		return c.Name
	}
	return "command " + c.ID.String()
}

// metadata is the envelope metadata recorded on every event c decides.
func (c *Command) metadata() eventstore.Metadata {
	m := eventstore.Metadata{
		Actor:          c.Actor,
		Role:           c.Role,
		CorrelationID:  c.CorrelationID,
		CausationID:    c.CausationID,
		IdempotencyKey: cmp.Or(c.IdempotencyKey, c.StepKey),
		EffectiveDate:  c.EffectiveDate,
		PolicyVersion:  c.PolicyVersion,
	}
	if m.CorrelationID == "" {
		m.CorrelationID = c.ID.String()
	}
	if m.CausationID == "" {
		m.CausationID = c.ID.String()
	}
	return m
}

// cause is the metadata of a step c causes in another stream (a key
// reserved for a claim, money moved for an approval): c's actor, role,
// correlation and business date, with c as the cause. The idempotency key
// and policy version stay c's own events'.
func (c *Command) cause() eventstore.Metadata {
	m := c.metadata()
	m.CausationID = c.ID.String()
	m.IdempotencyKey, m.PolicyVersion = "", ""
	return m
}

// causedBy is the metadata of a step event ev causes in another stream:
// ev's actor, role, correlation and business date, with ev as the cause.
func causedBy(ev *eventstore.Event) eventstore.Metadata {
	corr := ev.Metadata.CorrelationID
	if corr == "" {
		corr = ev.ID.String()
	}
	return eventstore.Metadata{Actor: ev.Metadata.Actor, Role: ev.Metadata.Role, CorrelationID: corr,
		CausationID: ev.ID.String(), EffectiveDate: ev.Metadata.EffectiveDate}
}

// fingerprintInput is what an idempotency key is bound to: everything that
// can change a command's outcome. The command, correlation and causation
// IDs are left out because a client's retry carries new ones.
type fingerprintInput struct {
	Stream        string          `json:"stream"`
	Name          string          `json:"name"`
	Actor         string          `json:"actor"`
	Role          string          `json:"role"`
	EffectiveDate string          `json:"effectiveDate"`
	PolicyVersion string          `json:"policyVersion"`
	Payload       json.RawMessage `json:"payload"`
}

// Fingerprint returns the hex SHA-256 of the canonical JSON of c aimed at
// stream. Canonical means object keys sorted and no insignificant space,
// so two encodings of the same input (field order, map order) agree.
func Fingerprint(stream string, c *Command) (string, error) {
	payload, err := canonicalJSON(c.Payload)
	if err != nil {
		return "", fmt.Errorf("ledger: fingerprint payload of %s: %w", c.label(), err)
	}
	b, err := json.Marshal(fingerprintInput{
		Stream: stream, Name: c.Name, Actor: c.Actor, Role: c.Role,
		EffectiveDate: c.EffectiveDate, PolicyVersion: c.PolicyVersion, Payload: payload,
	})
	if err != nil {
		return "", fmt.Errorf("ledger: fingerprint %s: %w", c.label(), err)
	}
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:]), nil
}

// fingerprint is Fingerprint(stream, c), computed once per copy of c.
func (c *Command) fingerprint(stream string) (string, error) {
	if c.fp != "" && c.fpStream == stream {
		return c.fp, nil
	}
	fp, err := Fingerprint(stream, c)
	if err != nil {
		return "", err
	}
	c.fp, c.fpStream = fp, stream
	return fp, nil
}

// eventIDSpace is the UUID namespace of the event IDs commands derive. Its
// value is fixed forever: changing it would make retries of commands issued
// before the change unrecognisable.
var eventIDSpace = uuid.MustParse("6f1d3a2e-52c4-4b7e-9d0a-1c8e5b7f4a30")

// EventID returns the ID of the index-th event (0-based) that command
// commandID appends to stream. A retried command derives the same IDs, which
// is how the ledger recognises events it already appended.
func EventID(commandID uuid.UUID, stream string, index int) uuid.UUID {
	// uuid.NewSHA1(eventIDSpace, name), without its hash's allocations:
	// every command derives several IDs and checks for them on a retry.
	var buf [128]byte
	in := append(buf[:0], eventIDSpace[:]...)
	in = append(in, commandID[:]...)
	in = strconv.AppendQuote(in, stream)
	in = strconv.AppendInt(in, int64(index), 10)
	sum := sha1.Sum(in)
	var id uuid.UUID
	copy(id[:], sum[:])
	id[6] = id[6]&0x0f | 5<<4 // version 5, name-based with SHA-1
	id[8] = id[8]&0x3f | 0x80 // the RFC 4122 variant
	return id
}
