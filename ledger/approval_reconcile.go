package ledger

import (
	"context"
	"fmt"

	"github.com/google/uuid"

	"github.com/haixi-hrss/fundledger/domain"
	"github.com/haixi-hrss/fundledger/domain/budget"
	"github.com/haixi-hrss/fundledger/domain/claim"
	"github.com/haixi-hrss/fundledger/domain/money"
	"github.com/haixi-hrss/fundledger/eventstore"
)

// Repair says what ReconcileClaim changed to make a claim and its budget
// line agree; the zero Repair means they already did.
type Repair struct {
	// Reserved: the claim was approved without its reservation, which was
	// made.
	Reserved bool
	// Completed: money was reserved for an approval the claim did not
	// record; the approval was recorded under the original command ID.
	Completed bool
	// Released: money was held for a rejected or cancelled claim, or one
	// sent back by an objection, and was released.
	Released bool
	// Spent: a payment the claim records as paid had not been spent on
	// the line, and was.
	Spent bool
	// Recovered: a clawback the claim records had not been credited back
	// to the line, and was.
	Recovered bool
}

// ReconcileClaim makes claim id and its budget line agree, idempotently,
// and reports what it did. It is the budget step after a rejection,
// cancellation, objection, payment or clawback, and the recovery step
// after a crash inside any of them or inside ApproveClaim:
//
//   - every budget movement the claim's events name (the reservation of
//     an approval, the release of an objection or cancellation, the spend
//     of a paid instalment, the credit of a clawback) is applied in the
//     order of the claim's events, so a payment is spent before its
//     clawback is credited; a movement already applied (by its operation
//     ID) decides nothing, and a closed (rejected or cancelled) claim
//     whose reservation never reached the line gets neither the
//     reservation nor its release;
//   - a reservation for the current review round of a claim still under
//     review means ApproveClaim reserved and stopped before the approval
//     was appended. The approval is completed: re-decided with the
//     approver, role and time of the reservation and appended under the
//     command ID the reservation names as its cause. Completing rather
//     than releasing is deliberate: the reservation ID is fixed per round,
//     so a released one could never be reserved again in that round, and
//     a completion races harmlessly with the original process still
//     running (both append the same event IDs; the later one replays).
//     The recorded reason says the approval was completed by recovery,
//     because the approver's own text is not in the log;
//   - money still held for a rejected claim is released.
//
// Cost: a read of the whole claim, and of its budget line the events
// after the service's cached fold of it (the whole line on a cold cache),
// plus one more such read per repair.
func ReconcileClaim(ctx context.Context, s *Service, id string) (Repair, error) {
	var rep Repair
	stream := claim.Stream(id)
	raw, err := s.store.ReadStream(ctx, stream, 0, 0)
	if err != nil {
		return rep, fmt.Errorf("ledger: read %s: %w", stream, err)
	}
	var st claim.State
	var moves []budgetStep
	for i := range raw {
		ev, err := s.codec.Decode(&raw[i])
		if err != nil {
			return rep, fmt.Errorf("ledger: %s version %d: %w", stream, raw[i].Version, err)
		}
		st = claim.Evolve(st, ev)
		var m budgetStep
		switch e := ev.(type) {
		case *claim.Approved:
			m = budgetStep{cmd: budget.Reserve{ReservationID: e.ReservationID, ClaimID: st.ID, Amount: e.Amount, Actor: e.Actor, Role: e.Role, At: e.At}, opID: e.ReservationID, line: e.BudgetLineID}
		case *claim.ObjectionRaised:
			m = releaseMove(st.ID, e.BudgetLineID, e.ReleaseID, e.Release, "objection: "+e.Reason, e.By)
		case *claim.Cancelled:
			m = releaseMove(st.ID, e.BudgetLineID, e.ReleaseID, e.Release, "claim cancelled: "+e.Reason, e.By)
		case *claim.Rejected:
			m = budgetStep{opID: st.ReservationID() + "/release", line: st.BudgetLineID, rejected: &e.By}
		case *claim.InstalmentPaid, *claim.ClawedBack:
			m, _ = moneyMove(st.ID, ev)
		default:
			continue
		}
		m.cause = causedBy(&raw[i])
		moves = append(moves, m)
	}
	if st.ID == "" || st.BudgetLineID == "" {
		return rep, nil
	}
	line, err := s.loadLine(ctx, st.BudgetLineID)
	if err != nil {
		return rep, err
	}
	closed := st.Status == claim.StatusCancelled || st.Status == claim.StatusRejected
	for _, m := range moves {
		if m.cmd == nil && m.rejected == nil {
			continue
		}
		if _, done := line.Ops[m.opID]; done {
			continue
		}
		// A closed claim whose approval never reached the line has
		// nothing to reserve and so nothing to release: reserving only to
		// give the money back would fail on a line that cannot cover it.
		if _, reserve := m.cmd.(budget.Reserve); reserve && closed {
			continue
		}
		if _, release := m.cmd.(budget.Release); release && !line.Claims[st.ID].Pending.IsPositive() {
			continue
		}
		cmd := m.cmd
		if m.rejected != nil {
			pending := line.Claims[st.ID].Pending
			if !pending.IsPositive() {
				continue
			}
			cmd = budget.Release{ReleaseID: m.opID, ClaimID: st.ID, Amount: pending, Reason: "claim rejected", Actor: m.rejected.Actor, Role: m.rejected.Role, At: m.rejected.At}
		}
		if err := s.moveBudget(ctx, m.line, stream, m.opID, cmd, m.cause); err != nil {
			return rep, fmt.Errorf("ledger: reconcile %s: %w", stream, err)
		}
		switch cmd.(type) {
		case budget.Reserve:
			rep.Reserved = true
		case budget.Spend:
			rep.Spent = true
		case budget.Recover:
			rep.Recovered = true
		default:
			rep.Released = true
		}
		if line, err = s.loadLine(ctx, st.BudgetLineID); err != nil {
			return rep, err
		}
	}
	if st.Status == claim.StatusChecked {
		if op, ok := line.Ops[st.ReservationID()]; ok && line.Claims[st.ID].Pending.IsPositive() {
			if err := s.completeApproval(ctx, st, op.Amount); err != nil {
				return rep, fmt.Errorf("ledger: reconcile %s: %w", stream, err)
			}
			rep.Completed = true
		}
	}
	return rep, nil
}

// budgetStep is a budget movement a claim's events call for.
type budgetStep struct {
	cmd        budget.Command
	opID, line string
	// rejected, when set, asks for the release of whatever the claim
	// still holds, decided by this rejection.
	rejected *claim.By
	// cause is the metadata of the movement: that of the claim event
	// calling for it, so the movement names who caused it.
	cause eventstore.Metadata
}

func releaseMove(claimID, line, releaseID string, amount money.Amount, reason string, by claim.By) budgetStep {
	if !amount.IsPositive() {
		return budgetStep{}
	}
	return budgetStep{cmd: budget.Release{ReleaseID: releaseID, ClaimID: claimID, Amount: amount, Reason: reason, Actor: by.Actor, Role: by.Role, At: by.At}, opID: releaseID, line: line}
}

// moveBudget applies one budget command for a claim, recording cause
// (actor, role, correlation, causing event); its command ID derives from
// the claim stream and the operation ID, so two reconcilers append at most
// one event.
func (s *Service) moveBudget(ctx context.Context, line, claimStream, opID string, cmd budget.Command, cause eventstore.Metadata) error {
	return s.moveBudgetWith(ctx, line, claimStream, opID, cmd, cause, nil, nil)
}

// moveBudgetWith is moveBudget recording key (a command's key claim) and
// own (its own append) in the movement's commit when they are not nil
// (Command.keyOf, Command.partOf).
func (s *Service) moveBudgetWith(ctx context.Context, line, claimStream, opID string, cmd budget.Command, cause eventstore.Metadata, key *keyClaim, own *ownPart) error {
	env := Command{ID: uuid.NewSHA1(uuid.NameSpaceURL, []byte("reconcile/"+claimStream+"/"+opID)), Name: "ReconcileClaim",
		Actor: cause.Actor, Role: cause.Role, CorrelationID: cause.CorrelationID, CausationID: cause.CausationID,
		EffectiveDate: cause.EffectiveDate, Payload: cmd, keyOf: key, partOf: own}
	_, err := Handle(ctx, s, BudgetLineAggregate(line), env, func(st budget.State) ([]domain.Event, error) {
		return budget.Decide(st, cmd)
	})
	return err
}

// completeApproval records the approval that the current round's
// reservation was made for, under the command ID the reservation names as
// its cause.
func (s *Service) completeApproval(ctx context.Context, st claim.State, amount money.Amount) error {
	stream := budget.Stream(st.BudgetLineID)
	raw, err := s.store.ReadStream(ctx, stream, 0, 0)
	if err != nil {
		return fmt.Errorf("ledger: read %s: %w", stream, err)
	}
	for i := range raw {
		if raw[i].Type != "FundsReserved" {
			continue
		}
		ev, err := s.codec.Decode(&raw[i])
		if err != nil {
			return fmt.Errorf("ledger: %s version %d: %w", stream, raw[i].Version, err)
		}
		r, ok := ev.(*budget.FundsReserved)
		if !ok || r.ReservationID != st.ReservationID() {
			continue
		}
		cause, err := uuid.Parse(raw[i].Metadata.CausationID)
		if err != nil {
			return fmt.Errorf("ledger: reservation %s has no command to complete: %w", r.ReservationID, err)
		}
		cmd := claim.Approve{Reason: "approval completed by recovery after reservation " + r.ReservationID, Actor: r.Actor, Role: r.Role, At: r.At}
		// The approval takes the reservation's correlation: both are one
		// approval request's.
		_, err = Handle(ctx, s, ClaimAggregate(st.ID), Command{ID: cause, Name: "ApproveClaim", Actor: r.Actor, Role: r.Role,
			CorrelationID: raw[i].Metadata.CorrelationID, EffectiveDate: raw[i].Metadata.EffectiveDate, Payload: cmd},
			func(cur claim.State) ([]domain.Event, error) {
				evs, err := claim.Decide(cur, cmd)
				if err != nil {
					return nil, err
				}
				if a := approvalIn(evs); a == nil || a.ReservationID != r.ReservationID || !a.Amount.Equal(amount) {
					return nil, domain.Reject("reservation-matches-approval", "reservationId", "reservation %s of %s does not match the approval decided now", r.ReservationID, amount)
				}
				return evs, nil
			})
		return err
	}
	return fmt.Errorf("ledger: reservation %s not found on %s", st.ReservationID(), stream)
}

// Reconcile runs ReconcileClaim for each of ids and counts the repairs.
// It stops at the first error. Cost: per claim, a read of the claim and
// of its budget line's events after the cached fold; at start-up pass
// only the claims the read model process.Unfinished lists, whose number
// follows the processes a crash left half done rather than the ledger's
// size.
func Reconcile(ctx context.Context, s *Service, ids []string) (Repairs, error) {
	var n Repairs
	for _, id := range ids {
		rep, err := ReconcileClaim(ctx, s, id)
		if err != nil {
			return n, err
		}
		n.Claims++
		n.add(rep)
	}
	return n, nil
}

// Repairs counts what Reconcile did.
type Repairs struct {
	Claims, Reserved, Completed, Released, Spent, Recovered int
}

func (n *Repairs) add(r Repair) {
	if r.Reserved {
		n.Reserved++
	}
	if r.Completed {
		n.Completed++
	}
	if r.Released {
		n.Released++
	}
	if r.Spent {
		n.Spent++
	}
	if r.Recovered {
		n.Recovered++
	}
}

// readDecoded reads and decodes a whole stream.
func (s *Service) readDecoded(ctx context.Context, stream string) ([]domain.Event, error) {
	raw, err := s.store.ReadStream(ctx, stream, 0, 0)
	if err != nil {
		return nil, fmt.Errorf("ledger: read %s: %w", stream, err)
	}
	evs := make([]domain.Event, len(raw))
	for i := range raw {
		if evs[i], err = s.codec.Decode(&raw[i]); err != nil {
			return nil, fmt.Errorf("ledger: %s version %d: %w", stream, raw[i].Version, err)
		}
	}
	return evs, nil
}

// loadLine folds a budget line's stream into its state, reading only the
// events after the line's cached fold. It decides nothing: every movement
// decided on it is appended through Handle, whose expected version catches
// a line that moved on.
func (s *Service) loadLine(ctx context.Context, id string) (budget.State, error) {
	return loadShared(ctx, s, BudgetLineAggregate(id))
}
