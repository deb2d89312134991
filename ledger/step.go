package ledger

import (
	"errors"

	"github.com/google/uuid"
	"github.com/haixi-hrss/fundledger/domain"
	"github.com/haixi-hrss/fundledger/eventstore"
)

// step is what a command does in other streams once its decision has
// events, just before they are appended: a process's cross-stream step,
// such as an approval's reservation, which a refused, repeated or
// mismatched command must not take. For a keyed command, claim is its key's
// claim when the step may record it (on a store that is an
// eventstore.MultiAppender): a step that appends records it in that
// commit (Command.keyOf), so the key is claimed no later than the step's
// effect; else the key is claimed (or followed, under the claim's
// command, cmd) before the step. An error from it ends the call;
// errKeyTaken (the key found taken, nothing of the step written) runs the
// loop again, following the key. It runs once per run of the decide-append
// loop, so it must be idempotent for cmd (derive its IDs from cmd.ID).
//
// own, on a store that is an eventstore.MultiAppender, is the command's
// own append, for a step that appends to record in the same commit
// (Command.partOf): then the run appends nothing more. A step whose commit
// was refused because own's stream moved writes nothing and returns
// errPartMoved, and the run reads on and decides again.
type step func(cmd *Command, decided []domain.Event, claim *keyClaim, own *ownPart) error

// ownPart is a command's own append handed to its step (see step). The
// commit that records it sets done and res.
type ownPart struct {
	part eventstore.StreamAppend
	// ids are the IDs of the command's decided events, in part.
	ids []uuid.UUID
	// first, set by the step, records the part before the step's own
	// events (a payment before the spend it calls for); by default it
	// follows them (a reservation before the approval made on it).
	first bool
	done  bool
	res   eventstore.AppendResult
}

// errPartMoved ends a step whose commit was refused because the stream of
// the command's own part (Command.partOf) moved: nothing was written.
var errPartMoved = errors.New("ledger: the command's stream moved since it was decided")
