package ledger

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/google/uuid"

	"github.com/haixi-hrss/fundledger/domain"
	"github.com/haixi-hrss/fundledger/domain/claim"
	"github.com/haixi-hrss/fundledger/domain/paymentbatch"
	"github.com/haixi-hrss/fundledger/domain/role"
)

// batchChunk bounds how many item outcomes one batch append records, so
// one append stays far below a store's request limit (KurrentDB: 1 MiB).
const batchChunk = 256

// batchStepSpace is the UUID namespace of the commands a batch run derives
// per item. It is fixed forever: a re-run must derive the first run's IDs
// to find the steps it already took.
var batchStepSpace = uuid.MustParse("6b77d5ad-caba-4595-8c07-cd6bfd4e22c9")

// batchAggregate describes payment batch id's stream to Handle.
func batchAggregate(id string) Aggregate[paymentbatch.State] {
	return Aggregate[paymentbatch.State]{Stream: paymentbatch.Stream(id), Evolve: paymentbatch.Evolve, Fold: paymentbatch.FoldFrom}
}

// ReleaseBatch sends closed payment batch id to the bank: it records the
// treasurer's order (PaymentBatchSent, through Handle with env), then
// releases each pending item's claim instalment for payment through
// ReleasePayment and records in the batch which items were released and
// which were withdrawn. The service's codec must know the claim, budget
// and payment batch event types. It returns the batch as it leaves it.
//
// An item is withdrawn, with the rule, when it does not match its claim
// (budget line, payee, instalment amount, or for a fund-scoped batch the
// line's fund) or when the claim refuses the release (e.g. it was
// cancelled, or the instalment is already paid). An item's claim released
// under the item's payment ID by another path counts as released.
//
// Every step is idempotent: a claim release's command ID derives from the
// batch, the item and its payment ID, so after a crash a re-run (of a sent
// batch, by a treasurer) replays the releases already made and records
// them. An idempotency key first used for another command is an
// *IdempotencyMismatchError before any step, whether or not the batch was
// sent. An error other than a domain refusal stops the run after recording
// the outcomes reached so far.
func ReleaseBatch(ctx context.Context, s *Service, id string, cmd paymentbatch.Send, env Command) (paymentbatch.State, error) {
	if err := env.validate(); err != nil {
		return paymentbatch.State{}, err
	}
	env.named("ReleaseBatch", cmd)
	st, err := s.loadBatch(ctx, id)
	if err != nil {
		return st, err
	}
	// A re-run of a sent batch skips Handle, so its key is checked here:
	// a key first used for another command releases nothing.
	if _, err := s.repeated(ctx, paymentbatch.Stream(id), &env, nil); err != nil {
		return st, fmt.Errorf("ledger: release batch %s: %w", id, err)
	}
	if st.Status == paymentbatch.StatusSent || st.Status == paymentbatch.StatusSettled {
		// A re-run completes the releases; it must be a treasurer's.
		if err := role.Authorize(cmd.Actor, cmd.Role, cmd.At, role.Treasurer); err != nil {
			return st, fmt.Errorf("ledger: release batch %s: %w", id, err)
		}
	} else if _, err := Handle(ctx, s, batchAggregate(id), env, func(b paymentbatch.State) ([]domain.Event, error) {
		return paymentbatch.Decide(b, cmd)
	}); err != nil {
		return st, err
	}
	if st, err = s.loadBatch(ctx, id); err != nil {
		return st, err
	}

	by := batchBy{actor: cmd.Actor, role: cmd.Role, at: cmd.At, cause: env}
	funds := map[string]string{} // budget line → its fund, for a fund scope
	var outcomes []paymentbatch.Release
	var runErr error
	for _, it := range st.Items {
		if it.Status != paymentbatch.Pending {
			continue
		}
		out, err := s.releaseItem(ctx, st, it, by, funds)
		if err != nil {
			runErr = fmt.Errorf("ledger: release batch %s, claim %s instalment %d: %w", id, it.ClaimID, it.Instalment, err)
			break
		}
		outcomes = append(outcomes, out)
	}
	rec := paymentbatch.RecordReleases{Actor: cmd.Actor, Role: cmd.Role, At: cmd.At}
	err = s.recordInChunks(ctx, id, by, "Releases", len(outcomes), func(from, to int) paymentbatch.Command {
		rec.Releases = outcomes[from:to]
		return rec
	})
	if runErr != nil || err != nil {
		return st, errors.Join(runErr, err)
	}
	return s.loadBatch(ctx, id)
}

// batchBy is who runs a batch step, and the command that caused it.
type batchBy struct {
	actor, role string
	at          time.Time
	cause       Command
}

// releaseItem releases one item's instalment and says what became of it.
// Only errors that are not a domain refusal are returned.
func (s *Service) releaseItem(ctx context.Context, b paymentbatch.State, it paymentbatch.Item, by batchBy, funds map[string]string) (paymentbatch.Release, error) {
	out := paymentbatch.Release{ClaimID: it.ClaimID, Instalment: it.Instalment}
	c, err := s.loadClaim(ctx, claim.Stream(it.ClaimID))
	if err != nil {
		return out, err
	}
	if rule, detail, err := s.itemMismatch(ctx, b, it, c, funds); err != nil || rule != "" {
		out.Withdrawn, out.Rule, out.Detail = true, rule, detail
		return out, err
	}
	cmd := claim.ReleasePayment{Instalment: it.Instalment, PaymentID: it.PaymentID, Actor: by.actor, Role: by.role, At: by.at}
	_, err = ReleasePayment(ctx, s, it.ClaimID, cmd, by.step(b.ID, "release", it))
	var fe *domain.FieldError
	var re *domain.RuleError
	switch {
	case err == nil:
		return out, nil
	case errors.As(err, &re):
		out.Rule, out.Detail = re.Rule, re.Error()
	case errors.As(err, &fe):
		out.Rule, out.Detail = fe.Rule, fe.Error()
	default:
		return out, err
	}
	// Released under this payment ID by another path: not a refusal.
	if c, err = s.loadClaim(ctx, claim.Stream(it.ClaimID)); err != nil {
		return out, err
	}
	if i, ok := instalmentOf(c, it.Instalment); ok && c.Instalments[i].PaymentID == it.PaymentID {
		return paymentbatch.Release{ClaimID: it.ClaimID, Instalment: it.Instalment}, nil
	}
	out.Withdrawn = true
	return out, nil
}

// itemMismatch returns the rule an item breaks by differing from its
// claim, with a sentence saying how, or "" when it matches.
func (s *Service) itemMismatch(ctx context.Context, b paymentbatch.State, it paymentbatch.Item, c claim.State, funds map[string]string) (string, string, error) {
	const rule = "item-matches-claim"
	i, ok := instalmentOf(c, it.Instalment)
	switch {
	case c.ID == "":
		return rule, fmt.Sprintf("claim %s does not exist", it.ClaimID), nil
	case !ok:
		return rule, fmt.Sprintf("claim %s has no instalment %d", it.ClaimID, it.Instalment), nil
	case !c.Instalments[i].Amount.Equal(it.Amount):
		return rule, fmt.Sprintf("instalment %d of claim %s is %s, the batch says %s", it.Instalment, it.ClaimID, c.Instalments[i].Amount, it.Amount), nil
	case c.BudgetLineID != it.BudgetLineID:
		return rule, fmt.Sprintf("claim %s is paid from budget line %s, the batch says %s", it.ClaimID, c.BudgetLineID, it.BudgetLineID), nil
	case c.Beneficiary.Ref != it.BeneficiaryRef:
		return rule, fmt.Sprintf("claim %s pays another beneficiary than the batch names", it.ClaimID), nil
	case b.Scope.Kind != paymentbatch.ScopeFund:
		return "", "", nil
	}
	fundID, seen := funds[c.BudgetLineID]
	if !seen {
		line, err := s.loadLine(ctx, c.BudgetLineID)
		if err != nil {
			return "", "", err
		}
		fundID, funds[c.BudgetLineID] = line.FundID, line.FundID
	}
	if fundID != b.Scope.ID {
		return "item-in-scope", fmt.Sprintf("budget line %s belongs to fund %q, the batch pays from fund %s", c.BudgetLineID, fundID, b.Scope.ID), nil
	}
	return "", "", nil
}

func instalmentOf(c claim.State, n int) (int, bool) {
	return n - 1, n >= 1 && n <= len(c.Instalments)
}

// RecordBatchResults records the bank's answers for items of sent payment
// batch id: each answer first on the item's claim through
// RecordPaymentResult (a paid instalment is spent from its reservation on
// the budget line; a failed one stays reserved for a retry), then in the
// batch. env identifies the run: every step's command names it as cause
// and shares its correlation ID. The whole answer file is checked against
// the batch before anything is recorded, so an answer for an unknown, unreleased or
// differently answered item changes nothing. It returns the batch as it
// leaves it, settled once every item has an outcome.
//
// Every step is idempotent: a claim's result is recorded under a command
// ID derived from the batch, the item and its payment ID, so a re-run
// after a crash replays it (and completes its spend) before recording it
// in the batch. An answer the claim already holds from another path is
// accepted when it agrees; a claim that disagrees stops the run with its
// error after the answers reached so far are recorded.
func RecordBatchResults(ctx context.Context, s *Service, id string, cmd paymentbatch.RecordResults, env Command) (paymentbatch.State, error) {
	if err := env.validate(); err != nil {
		return paymentbatch.State{}, err
	}
	st, err := s.loadBatch(ctx, id)
	if err != nil {
		return st, err
	}
	if _, err := paymentbatch.Decide(st, cmd); err != nil {
		return st, fmt.Errorf("ledger: record results of batch %s: %w", id, err)
	}
	by := batchBy{actor: cmd.Actor, role: cmd.Role, at: cmd.At, cause: env}
	var done []paymentbatch.Result
	var runErr error
	for _, r := range cmd.Results {
		i, _ := st.Find(r.ClaimID, r.Instalment)
		it := st.Items[i]
		if it.Status != paymentbatch.Released {
			continue // already recorded: Decide found it the same
		}
		if err := s.recordItemResult(ctx, st.ID, it, r, by); err != nil {
			runErr = fmt.Errorf("ledger: record results of batch %s, claim %s instalment %d: %w", id, it.ClaimID, it.Instalment, err)
			break
		}
		done = append(done, r)
	}
	rec := paymentbatch.RecordResults{Actor: cmd.Actor, Role: cmd.Role, At: cmd.At}
	err = s.recordInChunks(ctx, id, by, "Results", len(done), func(from, to int) paymentbatch.Command {
		rec.Results = done[from:to]
		return rec
	})
	if runErr != nil || err != nil {
		return st, errors.Join(runErr, err)
	}
	return s.loadBatch(ctx, id)
}

// recordItemResult records one answer on the item's claim.
func (s *Service) recordItemResult(ctx context.Context, batchID string, it paymentbatch.Item, r paymentbatch.Result, by batchBy) error {
	cmd := claim.RecordPaymentResult{Instalment: it.Instalment, PaymentID: it.PaymentID, Paid: r.Paid, BankRef: r.BankRef,
		Reason: r.Reason, On: r.On, Actor: by.actor, Role: by.role, At: by.at}
	_, err := RecordPaymentResult(ctx, s, it.ClaimID, cmd, by.step(batchID, "result", it))
	if err == nil || !errors.Is(err, domain.ErrRejected) {
		return err
	}
	// The claim may hold this answer from another path already.
	c, lerr := s.loadClaim(ctx, claim.Stream(it.ClaimID))
	if lerr != nil {
		return errors.Join(err, lerr)
	}
	i, ok := instalmentOf(c, it.Instalment)
	if !ok || c.Instalments[i].PaymentID != it.PaymentID {
		return err
	}
	switch got := c.Instalments[i].Status; {
	case r.Paid && got == claim.InstalmentSettled:
		// Its spend is the other path's step; make sure it happened.
		_, rerr := ReconcileClaim(ctx, s, it.ClaimID)
		return rerr
	case !r.Paid && got == claim.InstalmentFailed:
		return nil
	}
	return err
}

// step is the envelope of a batch's per-item claim command: its ID
// derives from the batch, the step, the item and its payment ID.
func (by batchBy) step(batchID, op string, it paymentbatch.Item) Command {
	name := paymentbatch.Stream(batchID) + "/" + op + "/" + it.ClaimID + "/" + strconv.Itoa(it.Instalment) + "/" + it.PaymentID
	return by.envelope(uuid.NewSHA1(batchStepSpace, []byte(name)), "")
}

// envelope is a batch step's command envelope: the run's actor, and the
// run's command as cause, so every step shares the run's correlation ID.
func (by batchBy) envelope(id uuid.UUID, name string) Command {
	corr := by.cause.CorrelationID
	if corr == "" {
		corr = by.cause.ID.String()
	}
	return Command{ID: id, Name: name, Actor: by.actor, Role: by.role,
		CorrelationID: corr, CausationID: by.cause.ID.String(), EffectiveDate: by.cause.EffectiveDate}
}

// recordInChunks appends n outcomes to batch id, at most batchChunk per
// command; chunk(from, to) builds the command for outcomes [from, to).
// Each command's ID is fresh: the batch skips outcomes it already holds,
// so a repeated chunk appends nothing.
func (s *Service) recordInChunks(ctx context.Context, id string, by batchBy, op string, n int, chunk func(from, to int) paymentbatch.Command) error {
	for from := 0; from < n; from += batchChunk {
		cmd := chunk(from, min(from+batchChunk, n))
		env := by.envelope(uuid.New(), "RecordBatch"+op)
		env.Payload = cmd
		if _, err := Handle(ctx, s, batchAggregate(id), env, func(b paymentbatch.State) ([]domain.Event, error) {
			return paymentbatch.Decide(b, cmd)
		}); err != nil {
			return err
		}
	}
	return nil
}

// loadBatch folds a payment batch's stream into its state.
func (s *Service) loadBatch(ctx context.Context, id string) (paymentbatch.State, error) {
	evs, err := s.readDecoded(ctx, paymentbatch.Stream(id))
	if err != nil {
		return paymentbatch.State{}, err
	}
	return paymentbatch.Fold(evs), nil
}
