package projections

import (
	"strings"
	"time"

	"github.com/google/uuid"

	"github.com/haixi-hrss/fundledger/domain/money"
	"github.com/haixi-hrss/fundledger/eventstore"
)

// The trail keeps an envelope for every claim event of the log: on a
// ledger of a million events, about half a million of them. Held as
// TrailEntry values (a dozen strings each, the hash in hex) they took
// several hundred megabytes and their JSON snapshot about 260 MB. The
// model therefore holds fixed-size records instead: the few distinct
// stream, type, actor and role names once each in a table, referred to by
// number, the hash as its 32 bytes and the correlation and causation IDs
// as 16-byte UUIDs when they are canonical ones. A query expands the
// records it returns into TrailEntry values.

// ref is the number of a string in a trail's name table; 0 is "".
type ref uint32

// nameTable holds each distinct name once, numbered in the order first
// seen, which is log order, so equal logs give equal tables.
type nameTable struct {
	strs []string
	ids  map[string]ref
}

func newNameTable() nameTable {
	return nameTable{strs: []string{""}, ids: map[string]ref{"": 0}}
}

// ref returns s's number, adding s to the table if it is new.
func (n *nameTable) ref(s string) ref {
	if r, ok := n.ids[s]; ok {
		return r
	}
	r := ref(len(n.strs))
	n.strs = append(n.strs, s)
	n.ids[s] = r
	return r
}

// str returns the name numbered r.
func (n *nameTable) str(r ref) string { return n.strs[r] }

// uuidText marks an idRef whose text is its UUID's canonical form.
const uuidText = ^ref(0)

// idRef is a correlation or causation ID: a canonical UUID (text is
// uuidText) in 16 bytes, or any other text in the name table.
type idRef struct {
	id   uuid.UUID
	text ref
}

func (n *nameTable) idRef(s string) idRef {
	// Parse reads 36 characters as the hyphenated form, in either case;
	// only lower case is what String gives back.
	if len(s) == 36 && strings.ToLower(s) == s {
		if id, err := uuid.Parse(s); err == nil {
			return idRef{id: id, text: uuidText}
		}
	}
	return idRef{text: n.ref(s)}
}

func (n *nameTable) idText(r idRef) string {
	if r.text == uuidText {
		return r.id.String()
	}
	return n.str(r.text)
}

// trailRec is a TrailEntry held compactly.
type trailRec struct {
	position, version uint64
	// sec and nsec are RecordedAt in Unix time.
	sec                                      int64
	nsec                                     uint32
	stream, typ, actor, role, policy, effect ref
	correlation, causation                   idRef
	hash                                     eventstore.Hash
}

// envNames are the numbers of an envelope's stream, type and actor; the
// zero value is "not looked up yet" (an actor's is never "").
type envNames struct {
	stream, typ, actor ref
}

// envNames returns env's names, adding them to the table (in the order
// the table has always numbered them: actor, stream, type).
func (n *nameTable) envNames(env *eventstore.Event) envNames {
	actor := n.ref(env.Metadata.Actor)
	return envNames{actor: actor, stream: n.ref(env.Stream), typ: n.ref(env.Type)}
}

// record returns env's record, adding its names to the table; names are
// env's, if already looked up.
func (n *nameTable) record(env *eventstore.Event, names envNames) trailRec {
	if names.actor == 0 {
		names = n.envNames(env)
	}
	m := &env.Metadata
	at := env.RecordedAt
	return trailRec{
		position: env.Position, version: env.Version, sec: at.Unix(), nsec: uint32(at.Nanosecond()),
		stream: names.stream, typ: names.typ, actor: names.actor, role: n.ref(m.Role),
		policy: n.ref(m.PolicyVersion), effect: n.ref(m.EffectiveDate),
		correlation: n.idRef(m.CorrelationID), causation: n.idRef(m.CausationID), hash: env.Hash,
	}
}

// entry expands r.
func (n *nameTable) entry(r *trailRec) TrailEntry {
	return TrailEntry{
		Position: r.position, Stream: n.str(r.stream), Version: r.version, Type: n.str(r.typ),
		RecordedAt: time.Unix(r.sec, int64(r.nsec)).UTC(), Actor: n.str(r.actor), Role: n.str(r.role),
		CorrelationID: n.idText(r.correlation), CausationID: n.idText(r.causation),
		PolicyVersion: n.str(r.policy), EffectiveDate: n.str(r.effect), Hash: r.hash.String(),
	}
}

// actionRec is an Action held compactly.
type actionRec struct {
	position    uint64
	stream, typ ref
}

// approvalRec is an Approval whose entry is its claim's entries[entry].
type approvalRec struct {
	entry       int
	round       int
	actor, role ref
}

// allocationRec is an Allocation held compactly.
type allocationRec struct {
	rec                  trailRec
	allocationID, fundID string
	amount               money.Amount
}

// claimTrail is one claim's trail and what TracePayment needs of it.
type claimTrail struct {
	line, checkPolicy ref
	entries           []trailRec
	approvals         []approvalRec
	// gen is the Trail's generation when the trail was made.
	gen uint64
}
