package ledger_test

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"strconv"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/haixi-hrss/fundledger/domain"
	"github.com/haixi-hrss/fundledger/domain/claim"
	"github.com/haixi-hrss/fundledger/domain/money"
	"github.com/haixi-hrss/fundledger/eventstore"
	"github.com/haixi-hrss/fundledger/eventstore/sqlite"
	"github.com/haixi-hrss/fundledger/ledger"
	"github.com/haixi-hrss/fundledger/ledger/process"
	"github.com/haixi-hrss/fundledger/ledger/schema"
	"github.com/haixi-hrss/fundledger/projections"
)

// approvalCrashDirEnv tells the test binary to act as the approving
// process that TestKill9DuringApprovals kills.
const approvalCrashDirEnv = "FUNDLEDGER_APPROVAL_CRASH_DIR"

const (
	crashClaims  = 150 // claims under review
	crashCovered = 40  // grants the line covers
	crashKills   = 6
)

// TestApprovalCrashChild approves every claim still under review, two
// workers at a time, printing "ack <i>" for each approval acknowledged.
func TestApprovalCrashChild(t *testing.T) {
	dir := os.Getenv(approvalCrashDirEnv)
	if dir == "" {
		t.Skip("helper process of TestKill9DuringApprovals")
	}
	st, err := sqlite.Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	svc := approvalService(t, st, ledger.WithMaxAttempts(1000))
	var mu sync.Mutex
	fmt.Println("ready")
	var wg sync.WaitGroup
	for w := range 2 {
		wg.Go(func() {
			for i := w; i < crashClaims; i += 2 {
				_, err := ledger.ApproveClaim(context.Background(), svc, expansionClaimID(i), approve("appr1"), approverEnv("appr1"))
				var rule *domain.RuleError
				switch {
				case err == nil:
					mu.Lock()
					fmt.Printf("ack %d\n", i)
					mu.Unlock()
				case errors.As(err, &rule):
					// Out of budget, or approved in an earlier life.
				default:
					t.Error(err)
					return
				}
			}
		})
	}
	wg.Wait()
	fmt.Println("done")
	select {} // wait for the kill
}

// TestKill9DuringApprovals SIGKILLs a process approving claims at random
// moments, several times. After each kill, Reconcile over every claim must
// leave each claim approved exactly when its line holds its amount, every
// acknowledged approval approved, and the line within its allocation.
func TestKill9DuringApprovals(t *testing.T) {
	if testing.Short() {
		t.Skip("starts and kills processes")
	}
	dir := t.TempDir()
	func() {
		st := openStore(t, dir)
		setUpClaims(t, approvalService(t, st), crashCovered, crashClaims)
		if err := st.Close(); err != nil {
			t.Fatal(err)
		}
	}()
	ids := make([]string, crashClaims)
	for i := range ids {
		ids[i] = expansionClaimID(i)
	}
	acked := map[int]bool{}
	var total ledger.Repairs
	midway := 0 // kills that landed before the child was done
	for kill := range crashKills {
		finished := runAndKill(t, dir, acked, 1+rand.N(3), time.Duration(rand.N(2000))*time.Microsecond)
		if !finished {
			midway++
		}

		st, err := sqlite.Open(dir)
		if err != nil {
			t.Fatal(err)
		}
		svc := approvalService(t, st)
		// Only the claims the start-up model finds unfinished are
		// reconciled, as serve does: the checks below then prove that
		// the model missed none.
		n, err := ledger.Reconcile(context.Background(), svc, unfinishedClaims(t, st))
		if err != nil {
			st.Close()
			t.Fatalf("kill %d: reconcile: %v", kill, err)
		}
		approved := checkAgreement(t, svc, st, crashClaims)
		for i := range acked {
			if c := claimState(t, st, ids[i]); c.Status != claim.StatusApproved {
				t.Errorf("kill %d: acknowledged claim %s is %s", kill, ids[i], c.Status)
			}
		}
		t.Logf("kill %d (child finished: %v): %d acknowledged, %d approved, repairs %+v", kill, finished, len(acked), approved, n)
		total.Completed += n.Completed
		total.Released += n.Released
		total.Reserved += n.Reserved
		if err := st.Close(); err != nil {
			t.Fatal(err)
		}
		if approved > crashCovered {
			t.Fatalf("%d claims approved for a line covering %d", approved, crashCovered)
		}
	}
	if midway == 0 || len(acked) == 0 {
		t.Fatalf("%d of %d kills landed while approving, %d approvals acknowledged: the test killed nothing in flight", midway, crashKills, len(acked))
	}
	t.Logf("over %d kills, recovery completed %d approvals, released %d, reserved %d", crashKills, total.Completed, total.Released, total.Reserved)
}

// runAndKill starts the child on dir, waits until it has acknowledged
// acks more approvals (or finished), lets it run for jitter more, kills
// it, and records the approvals it acknowledged; it reports whether the
// child had finished every claim before the kill. Counting
// acknowledgements, not time, keeps the kills in flight on a fast machine
// (where 40 approvals take a few milliseconds) and on a loaded one.
func runAndKill(t *testing.T, dir string, acked map[int]bool, acks int, jitter time.Duration) bool {
	t.Helper()
	child := exec.Command(os.Args[0], "-test.run=^TestApprovalCrashChild$", "-test.count=1")
	child.Env = append(os.Environ(), approvalCrashDirEnv+"="+dir)
	out, err := child.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	child.Stderr = os.Stderr
	if err := child.Start(); err != nil {
		t.Fatal(err)
	}
	lines := bufio.NewScanner(out)
	finished := false
	// read records one line; it reports false at "done" or the end.
	read := func() bool {
		if !lines.Scan() {
			return false
		}
		var i int
		if lines.Text() == "done" {
			finished = true
			return false
		}
		if _, err := fmt.Sscanf(lines.Text(), "ack %d", &i); err == nil {
			acked[i] = true
			acks--
		}
		return true
	}
	for acks > 0 && read() {
	}
	time.Sleep(jitter)
	if err := child.Process.Kill(); err != nil {
		t.Fatal(err)
	}
	// Acknowledgements printed before the kill landed count too.
	for read() {
	}
	_ = child.Wait() // killed: the error is expected
	return finished
}

// The payment crash child's settings: the data directory, the step it
// runs for every claim ("pay" or "clawback"), and the claim whose claim
// event it stops after, waiting to be killed (-1: none).
const (
	paymentCrashDirEnv  = "FUNDLEDGER_PAYMENT_CRASH_DIR"
	paymentCrashStepEnv = "FUNDLEDGER_PAYMENT_CRASH_STEP"
	paymentCrashAtEnv   = "FUNDLEDGER_PAYMENT_CRASH_AT"
	paymentCrashClaims  = 6
)

// paymentCrashSpace derives the child's command IDs, so each life retries
// the same commands.
var paymentCrashSpace = uuid.MustParse("0d6f3c1e-3a4b-4f7e-8a1d-5c2b9e7f6a10")

// windowStore lets appends through and, after the append of an event of
// type watchType to stream watch is durable, prints "window" and stops the
// caller for good: the process is then between a claim event and its
// budget step, where the parent kills it. It hides the store's
// multi-stream appends, so the ledger takes the path KurrentDB takes, the
// only one with such a window: on the embedded store the claim event and
// its movement share a commit (TestMoneyMovesWithTheClaimInOneCommit).
type windowStore struct {
	eventstore.Store
	watch, watchType string
}

func (w *windowStore) Append(ctx context.Context, stream string, expected eventstore.ExpectedVersion, events ...eventstore.EventData) (eventstore.AppendResult, error) {
	res, err := w.Store.Append(ctx, stream, expected, events...)
	if err == nil && stream == w.watch {
		for _, ev := range events {
			if ev.Type == w.watchType {
				fmt.Println("window")
				time.Sleep(time.Hour) // a sleeping goroutine, not a deadlock: wait for the kill
			}
		}
	}
	return res, err
}

// TestPaymentCrashChild records the bank's payment (or a clawback of
// 500.00) for every claim in order, printing "ack <i>" for each.
func TestPaymentCrashChild(t *testing.T) {
	dir := os.Getenv(paymentCrashDirEnv)
	if dir == "" {
		t.Skip("helper process of TestKill9BetweenClaimEventAndBudgetStep")
	}
	at, err := strconv.Atoi(os.Getenv(paymentCrashAtEnv))
	if err != nil {
		t.Fatal(err)
	}
	st, err := sqlite.Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	step := os.Getenv(paymentCrashStepEnv)
	w := &windowStore{Store: st, watch: claim.Stream(expansionClaimID(at)), watchType: (claim.InstalmentPaid{}).EventType()}
	if step == "clawback" {
		w.watchType = (claim.ClawedBack{}).EventType()
	}
	svc := paymentService(t, w)
	ctx := context.Background()
	for i := range paymentCrashClaims {
		id := expansionClaimID(i)
		env := treasurerEnv()
		env.ID = uuid.NewSHA1(paymentCrashSpace, []byte(step+"/"+id))
		if step == "clawback" {
			_, err = ledger.RecordClawback(ctx, svc, id, clawback("r-"+id, "500.00"), env)
		} else {
			_, err = ledger.RecordPaymentResult(ctx, svc, id, bankPaid(payID(i)), env)
		}
		if err != nil {
			t.Fatal(err)
		}
		fmt.Printf("ack %d\n", i)
	}
	fmt.Println("done")
}

// TestKill9BetweenClaimEventAndBudgetStep SIGKILLs a process right after
// it durably recorded a claim's payment (ClaimInstalmentPaid) and before
// the budget line's spend, twice; then right after a clawback
// (ClaimClawedBack) and before the line's credit, twice. After each kill
// the line is shown to lack exactly that step; Reconcile over every claim
// applies it, and the line's spent and recovered money equals what the
// claims paid and recovered, with invariant 5 intact (checkPayments).
func TestKill9BetweenClaimEventAndBudgetStep(t *testing.T) {
	if testing.Short() {
		t.Skip("starts and kills processes")
	}
	dir := t.TempDir()
	func() {
		st := openStore(t, dir)
		releasedClaims(t, paymentService(t, st), paymentCrashClaims, paymentCrashClaims)
		if err := st.Close(); err != nil {
			t.Fatal(err)
		}
	}()
	ids := make([]string, paymentCrashClaims)
	for i := range ids {
		ids[i] = expansionClaimID(i)
	}
	half := money.MustParse("500.00")
	for _, step := range []string{"pay", "clawback"} {
		for _, at := range []int{1, 4, -1} {
			killed := runPaymentChild(t, dir, step, at)
			st, err := sqlite.Open(dir)
			if err != nil {
				t.Fatal(err)
			}
			svc := paymentService(t, st)
			if killed {
				// The kill landed in the window: the claim has the step,
				// its budget line does not.
				c, h := claimState(t, st, ids[at]), lineState(t, svc, st).Claims[ids[at]]
				if step == "pay" && (!c.Paid.Equal(grant) || !h.Spent.IsZero()) {
					t.Fatalf("after the kill claim %s paid %s, line spent %s; want paid, not spent", ids[at], c.Paid, h.Spent)
				}
				if step == "clawback" && (!c.Recovered.Equal(half) || !h.Recovered.IsZero()) {
					t.Fatalf("after the kill claim %s recovered %s, line %s; want recovered, not credited", ids[at], c.Recovered, h.Recovered)
				}
			}
			// As serve does, only the claims the model finds unfinished
			// are reconciled: exactly the one killed in its window.
			candidates := unfinishedClaims(t, st)
			var want ledger.Repairs
			if killed {
				if len(candidates) != 1 || candidates[0] != ids[at] {
					t.Errorf("%s, killed at claim %d: unfinished claims %v, want [%s]", step, at, candidates, ids[at])
				}
				want.Claims = 1
			} else if len(candidates) != 0 {
				t.Errorf("%s, not killed: unfinished claims %v, want none", step, candidates)
			}
			n, err := ledger.Reconcile(context.Background(), svc, candidates)
			if err != nil {
				st.Close()
				t.Fatal(err)
			}
			if killed && step == "pay" {
				want.Spent = 1
			} else if killed {
				want.Recovered = 1
			}
			if n != want {
				t.Errorf("%s, killed at claim %d: repairs %+v, want %+v", step, at, n, want)
			}
			paid, recovered := checkPayments(t, svc, st, paymentCrashClaims)
			t.Logf("%s, kill at claim %d (%v): paid %s, recovered %s, repairs %+v", step, at, killed, paid, recovered, n)
			if err := st.Close(); err != nil {
				t.Fatal(err)
			}
		}
	}
	st := openStore(t, dir)
	paid, recovered := checkPayments(t, paymentService(t, st), st, paymentCrashClaims)
	if !paid.Equal(times(paymentCrashClaims)) || !recovered.Equal(money.Yuan(500*paymentCrashClaims)) {
		t.Errorf("in the end paid %s, recovered %s; want every claim paid once and 500.00 recovered from each", paid, recovered)
	}
}

// runPaymentChild runs the payment crash child on dir and kills it with
// SIGKILL when it reports the window; it reports whether it did. With at
// -1 the child runs to the end.
func runPaymentChild(t *testing.T, dir, step string, at int) bool {
	t.Helper()
	child := exec.Command(os.Args[0], "-test.run=^TestPaymentCrashChild$", "-test.count=1")
	child.Env = append(os.Environ(), paymentCrashDirEnv+"="+dir, paymentCrashStepEnv+"="+step, paymentCrashAtEnv+"="+strconv.Itoa(at))
	out, err := child.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	child.Stderr = os.Stderr
	if err := child.Start(); err != nil {
		t.Fatal(err)
	}
	lines := bufio.NewScanner(out)
	killed, done := false, false
	for lines.Scan() {
		switch lines.Text() {
		case "window":
			if err := child.Process.Kill(); err != nil {
				t.Fatal(err)
			}
			killed = true
		case "done":
			done = true
		}
	}
	err = child.Wait()
	var exit *exec.ExitError
	switch {
	case killed && (!errors.As(err, &exit) || exit.ProcessState.Sys().(syscall.WaitStatus).Signal() != syscall.SIGKILL):
		t.Fatalf("%s child at claim %d ended with %v, want death by SIGKILL", step, at, err)
	case at >= 0 && !killed:
		t.Fatalf("%s child never reached the window at claim %d: %v", step, at, err)
	case at < 0 && (!done || err != nil):
		t.Fatalf("%s child did not finish: %v", step, err)
	}
	return killed
}

// unfinishedClaims replays st's log into process.Unfinished and returns
// the claims it finds with unfinished budget steps.
func unfinishedClaims(t *testing.T, st eventstore.Store) []string {
	t.Helper()
	u := process.NewUnfinished()
	if _, err := projections.Rebuild(context.Background(), st, schema.Codec(), nil, u); err != nil {
		t.Fatal(err)
	}
	return u.Claims()
}
