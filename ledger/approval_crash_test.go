package ledger_test

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"sync"
	"testing"
	"time"

	"github.com/haixi-hrss/fundledger/domain"
	"github.com/haixi-hrss/fundledger/domain/claim"
	"github.com/haixi-hrss/fundledger/eventstore/sqlite"
	"github.com/haixi-hrss/fundledger/ledger"
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
		finished := runAndKill(t, dir, acked, time.Duration(rand.N(60)+10)*time.Millisecond)
		if !finished {
			midway++
		}

		st, err := sqlite.Open(dir)
		if err != nil {
			t.Fatal(err)
		}
		svc := approvalService(t, st)
		n, err := ledger.Reconcile(context.Background(), svc, ids)
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

// runAndKill starts the child on dir, kills it after it has run for about
// d, and records the approvals it acknowledged; it reports whether the
// child had finished every claim before the kill.
func runAndKill(t *testing.T, dir string, acked map[int]bool, d time.Duration) bool {
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
	read := func() bool {
		if !lines.Scan() {
			return false
		}
		var i int
		switch text := lines.Text(); {
		case text == "done":
			finished = true
		case text == "ready":
			return false
		default:
			if _, err := fmt.Sscanf(text, "ack %d", &i); err == nil {
				acked[i] = true
			}
		}
		return true
	}
	for read() {
	}
	time.Sleep(d)
	if err := child.Process.Kill(); err != nil {
		t.Fatal(err)
	}
	// Acknowledgements printed before the kill landed count too.
	for lines.Scan() {
		var i int
		if lines.Text() == "done" {
			finished = true
		} else if _, err := fmt.Sscanf(lines.Text(), "ack %d", &i); err == nil {
			acked[i] = true
		}
	}
	_ = child.Wait() // killed: the error is expected
	return finished
}
